"""Colour-histogram re-ID baseline (the SynthReID difficulty table, notebook 00_synthreid): no learning, colours only.

Each image is cut into ``stripes`` horizontal stripes of equal height (the classic
ELF/LOMO-style layout, here without texture); each stripe gets a joint HSV histogram
with ``bins = (h, s, v)`` bins (PIL's 8-bit HSV, uniform bins). Feature of one image::

    f = concat_s sqrt(hist_s / sum(hist_s))        [stripes * h * s * v]

so Euclidean distance between features is the (summed per stripe) Hellinger
distance. A stripe with no counted pixel gets a zero histogram. ``use_mask=True``
counts only pixels of the record's person mask (``mask_path``, > 127), which removes
the background and the clutter around the person but keeps occluders that the mask
excludes out of the count too; ``use_mask=False`` counts every pixel.

Distances (``metric``): ``euclidean`` (Hellinger on the sqrt features, default),
``l1`` and ``chi2`` (``0.5 * sum (p - q)^2 / (p + q)`` on the squared, i.e. plain
normalised, histograms). Chosen defaults (the issue leaves them open): 6 stripes,
8x4x4 bins, images resized to 128x64 (nearest) so the feature does not depend on the
source size.

Use::

    ds = read_market1501(ensure_synth("quick", "market"))
    evaluate_histogram(ds, use_mask=True)   # {"rank1": ..., "mAP": ..., ...}
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from PIL import Image

from reidlib.data.base import Record, ReIDDataset
from reidlib.metrics import compute_distance, evaluate_rank

HIST_METRICS = ("euclidean", "l1", "chi2")


def _check_params(stripes: int, bins: Sequence[int]) -> tuple[int, int, int]:
    if not isinstance(stripes, (int, np.integer)) or stripes < 1:
        raise ValueError(f"stripes must be a positive integer, got {stripes!r}")
    if len(bins) != 3 or any(not isinstance(b, (int, np.integer)) or not 1 <= b <= 256 for b in bins):
        raise ValueError(f"bins must be three integers (h, s, v) in [1, 256], got {bins!r}")
    return int(bins[0]), int(bins[1]), int(bins[2])


def stripe_histogram(hsv: np.ndarray, mask: np.ndarray | None = None, stripes: int = 6,
                     bins: Sequence[int] = (8, 4, 4)) -> np.ndarray:
    """sqrt-normalised HSV histograms of ``stripes`` horizontal stripes, concatenated.

    ``hsv`` uint8 ``[H, W, 3]`` (PIL HSV: every channel 0..255); ``mask`` bool ``[H, W]``
    or ``None`` (all pixels). Returns float32 ``[stripes * prod(bins)]``.
    """
    bh, bs, bv = _check_params(stripes, bins)
    if hsv.ndim != 3 or hsv.shape[2] != 3 or hsv.dtype != np.uint8:
        raise ValueError(f"hsv must be a uint8 [H, W, 3] array, got {hsv.dtype} {hsv.shape}")
    H, W = hsv.shape[:2]
    if H < stripes:
        raise ValueError(f"image height {H} is smaller than stripes={stripes}: use fewer stripes")
    if mask is not None and mask.shape != (H, W):
        raise ValueError(f"mask shape {mask.shape} does not match the image {(H, W)}")
    nb = bh * bs * bv
    h = hsv[..., 0].astype(np.int64) * bh >> 8
    s = hsv[..., 1].astype(np.int64) * bs >> 8
    v = hsv[..., 2].astype(np.int64) * bv >> 8
    stripe = (np.arange(H) * stripes // H)[:, None]
    idx = stripe * nb + (h * bs + s) * bv + v
    weights = None if mask is None else mask.astype(np.float64).ravel()
    hist = np.bincount(idx.ravel(), weights=weights, minlength=stripes * nb).reshape(stripes, nb)
    total = hist.sum(axis=1, keepdims=True)
    hist = hist / np.maximum(total, 1e-12)
    return np.sqrt(hist).astype(np.float32).ravel()


def histogram_features(records: Sequence[Record], use_mask: bool = False, stripes: int = 6,
                       bins: Sequence[int] = (8, 4, 4), size: tuple[int, int] = (128, 64)) -> np.ndarray:
    """Features ``[N, stripes * prod(bins)]`` float32 of ``records`` (see module docstring).

    ``size`` (height, width) every image (and mask) is resized to first (nearest).
    ``use_mask`` needs every record's ``mask_path``.
    """
    _check_params(stripes, bins)
    hw = (int(size[1]), int(size[0]))  # PIL wants (width, height)
    out = np.zeros((len(records), stripes * int(np.prod(bins))), np.float32)
    for i, rec in enumerate(records):
        img = Image.open(rec["path"]).convert("RGB")
        if img.size != hw:
            img = img.resize(hw, Image.NEAREST)
        mask = None
        if use_mask:
            if not rec.get("mask_path"):
                raise FileNotFoundError(f"record {rec['path']} has no mask_path: use_mask=True needs masks "
                                        "(<root>/masks/<folder>/<stem>.png, e.g. a SynthReID folder), "
                                        "or use use_mask=False")
            m = Image.open(rec["mask_path"]).convert("L")
            if m.size != hw:
                m = m.resize(hw, Image.NEAREST)
            mask = np.asarray(m) > 127
        out[i] = stripe_histogram(np.asarray(img.convert("HSV")), mask, stripes, bins)
    return out


def histogram_distance(qf: np.ndarray, gf: np.ndarray, metric: str = "euclidean",
                       chunk_size: int = 256) -> np.ndarray:
    """Distance ``[Q, G]`` float64 between sqrt-histogram features ``qf [Q, D]`` and ``gf [G, D]``."""
    if metric not in HIST_METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid metrics: {', '.join(HIST_METRICS)}")
    qf, gf = np.asarray(qf, np.float64), np.asarray(gf, np.float64)
    if qf.ndim != 2 or gf.ndim != 2 or qf.shape[1] != gf.shape[1]:
        raise ValueError(f"qf and gf must be [Q, D] and [G, D] with the same D, got {qf.shape} and {gf.shape}")
    if metric == "euclidean":
        return np.asarray(compute_distance(qf, gf, "euclidean"), np.float64)
    p, q = qf * qf, gf * gf  # back to normalised histograms
    out = np.empty((len(p), len(q)), np.float64)
    for a in range(0, len(p), chunk_size):
        pa = p[a:a + chunk_size, None, :]
        diff = np.abs(pa - q[None])
        if metric == "l1":
            out[a:a + chunk_size] = diff.sum(-1)
        else:
            s = pa + q[None]
            out[a:a + chunk_size] = 0.5 * np.divide(diff * diff, s, out=np.zeros_like(s), where=s > 0).sum(-1)
    return out


def evaluate_histogram(dataset: ReIDDataset, use_mask: bool = False, metric: str = "euclidean",
                       stripes: int = 6, bins: Sequence[int] = (8, 4, 4),
                       size: tuple[int, int] = (128, 64)) -> dict[str, Any]:
    """Rank-1 / mAP of the histogram baseline on ``dataset.query`` vs ``dataset.gallery``.

    Returns ``{"rank1", "rank5", "mAP", "num_query", "num_gallery", "use_mask", "metric"}``
    (Market-1501 protocol of :func:`reidlib.metrics.evaluate_rank`).
    """
    if metric not in HIST_METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid metrics: {', '.join(HIST_METRICS)}")
    if not dataset.query or not dataset.gallery:
        raise ValueError(f"data set {dataset.name} has an empty query or gallery split")
    qf = histogram_features(dataset.query, use_mask, stripes, bins, size)
    gf = histogram_features(dataset.gallery, use_mask, stripes, bins, size)
    dist = histogram_distance(qf, gf, metric)
    ids = lambda recs, k: np.array([r[k] for r in recs], np.int64)  # noqa: E731
    res = evaluate_rank(dist, ids(dataset.query, "pid"), ids(dataset.gallery, "pid"),
                        ids(dataset.query, "camid"), ids(dataset.gallery, "camid"), max_rank=5)
    return {"rank1": float(res["cmc"][0]), "rank5": float(res["cmc"][4]), "mAP": float(res["mAP"]),
            "num_query": len(dataset.query), "num_gallery": len(dataset.gallery),
            "use_mask": bool(use_mask), "metric": metric}
