"""Measure segmenters against ground truth, and draw mask grids (numpy + PIL; no torch).

* :func:`mask_iou` - IoU of two binary masks ``[H, W]`` (both empty -> 1.0).
* :func:`evaluate_segmenter` - mean / median IoU, share of empty masks and
  ms per crop of one segmenter under each recipe on crops with true masks.
* :func:`iou_table` - that for several segmenters on Penn-Fudan held-out crops and
  SynthReID test crops, as a ``pandas.DataFrame`` (rows = segmenter x data x recipe).
* :func:`part_iou` - per-part IoU of label maps (0 bg, 1 head, 2 upper, 3 lower);
  :func:`evaluate_parts` - that for each part method on SynthReID test crops.
* :func:`load_synth_arrays` - SynthReID crops + true masks/parts of one folder.
* :func:`mask_grid` - thumbnails of images with the mask overlaid, as one image;
  :func:`mirror_grid` - the same for a sample of a data folder and its mask mirror.

Runs in a torch-free environment (the mediapipe venv): pandas is imported only
by :func:`to_frame`.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..data.io import read_image, read_mask, read_parts
from .degrade import mask_iou  # the one IoU of two [H, W] masks (both empty: 1.0)
from .pipeline import extract_masks

__all__ = ["mask_iou", "part_iou", "evaluate_segmenter", "iou_table", "to_frame",
           "load_synth_arrays", "mask_grid", "mirror_grid", "evaluate_parts"]


def part_iou(pred: np.ndarray, gt: np.ndarray, num_parts: int = 4) -> np.ndarray:
    """IoU per label ``0..num_parts-1`` over all given maps (``[..., H, W]``); NaN if absent."""
    p, g = np.asarray(pred), np.asarray(gt)
    if p.shape != g.shape:
        raise ValueError(f"part map shapes differ: {p.shape} vs {g.shape}")
    out = np.full(num_parts, np.nan)
    for k in range(num_parts):
        union = np.logical_or(p == k, g == k).sum()
        if union:
            out[k] = np.logical_and(p == k, g == k).sum() / union
    return out


def load_synth_arrays(root: str | os.PathLike, folder: str = "bounding_box_test",
                      limit: int | None = None, parts: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """SynthReID crops ``uint8 [N, H, W, 3]`` and true masks ``[N, H, W]`` (or part maps).

    Only real identities: junk (``-1_*``) and distractor (``0000_*``) crops, which sort first
    in a Market-style folder, are skipped; ``limit`` crops are taken evenly spaced over the
    sorted rest (every camera and identity range, not the first few ids).
    """
    r = Path(root)
    paths = [p for p in sorted((r / folder).glob("*.jpg")) if not p.name.startswith(("-1_", "0000_"))]
    if limit is not None and 0 < limit < len(paths):
        paths = [paths[i] for i in np.linspace(0, len(paths) - 1, limit).round().astype(int)]
    elif limit is not None and limit <= 0:
        raise ValueError(f"limit must be a positive number of crops or None, got {limit}")
    if not paths:
        raise FileNotFoundError(f"no SynthReID images in {r / folder}; make them with "
                                "reidlib.data.synth.ensure_synth(...)")
    imgs, gts = [], []
    for p in paths:
        imgs.append(read_image(p))
        kind, reader = ("parts", read_parts) if parts else ("masks", read_mask)
        gts.append(reader(r / kind / folder / f"{p.stem}.png", imgs[-1].shape[:2]))
    return np.stack(imgs), np.stack(gts)


def evaluate_segmenter(segmenter: Any, images: Sequence[np.ndarray], masks: Sequence[np.ndarray],
                       recipes: Sequence[str] = ("fcn", "mpm_ltl"), batch_size: int = 64,
                       **segmenter_kwargs: Any) -> list[dict[str, Any]]:
    """One row per recipe: ``segmenter, recipe, n, mean_iou, median_iou, empty, ms_per_crop``.

    ``segmenter`` is a name from ``SEGMENTERS`` (built with ``segmenter_kwargs``) or
    a built segmenter. ``empty`` is the share of crops whose mask came out empty.
    """
    if isinstance(segmenter, str):
        from .segmenters import build_segmenter

        segmenter = build_segmenter(segmenter, **segmenter_kwargs)
    if len(images) != len(masks) or len(images) == 0:
        raise ValueError(f"need as many masks as images (>0), got {len(images)} and {len(masks)}")
    rows = []
    for recipe in recipes:
        preds: list[np.ndarray] = []
        t0 = time.perf_counter()
        for s in range(0, len(images), batch_size):
            preds += extract_masks(list(images[s:s + batch_size]), segmenter, recipe)
        ms = 1000.0 * (time.perf_counter() - t0) / len(images)
        ious = np.array([mask_iou(p, g) for p, g in zip(preds, masks)])
        rows.append({"segmenter": getattr(segmenter, "name", type(segmenter).__name__), "recipe": recipe,
                     "n": len(ious), "mean_iou": float(ious.mean()), "median_iou": float(np.median(ious)),
                     "empty": float(np.mean([not p.any() for p in preds])), "ms_per_crop": ms})
    return rows


def iou_table(segmenters: Sequence[str], pennfudan_root: str | os.PathLike | None = None,
              synth_root: str | os.PathLike | None = None, recipes: Sequence[str] = ("fcn", "mpm_ltl"),
              synth_limit: int | None = 300, size: tuple[int, int] = (128, 64)) -> list[dict[str, Any]]:
    """Rows of :func:`evaluate_segmenter` with a ``data`` column, for every segmenter.

    Data: Penn-Fudan held-out crops (``pennfudan_crops(split="test")``) and SynthReID
    ``bounding_box_test`` (first ``synth_limit`` images). Pass rows to :func:`to_frame`.
    """
    sets: list[tuple[str, np.ndarray, np.ndarray]] = []
    if pennfudan_root is not None:
        from .pennfudan import pennfudan_crops

        x, m, _ = pennfudan_crops(pennfudan_root, "test", size=size)
        sets.append(("pennfudan_test", x, m))
    if synth_root is not None:
        x, m = load_synth_arrays(synth_root, limit=synth_limit)
        sets.append(("synthreid_test", x, m))
    if not sets:
        raise ValueError("iou_table needs pennfudan_root and/or synth_root")
    rows = []
    for name in segmenters:
        from .segmenters import build_segmenter

        seg = build_segmenter(name)
        for data, x, m in sets:
            rows += [{"data": data, **r} for r in evaluate_segmenter(seg, x, m, recipes)]
    return rows


def to_frame(rows: Sequence[dict[str, Any]]) -> Any:
    """Rows -> ``pandas.DataFrame``."""
    import pandas as pd

    return pd.DataFrame(list(rows))


def mask_grid(images: Sequence[np.ndarray], masks: Sequence[np.ndarray], ncols: int = 12,
              thumb: tuple[int, int] = (128, 64), colour: tuple[int, int, int] = (255, 40, 40),
              alpha: float = 0.45, pairs: bool = True) -> np.ndarray:
    """Grid ``uint8 [rows*h, cols*w, 3]`` of thumbnails: image | image with mask overlay.

    With ``pairs`` each crop takes two cells (plain image, then overlay); masks may be
    0/1 or part labels (each label > 0 gets a shade of ``colour``). Outline in white.
    """
    from PIL import Image

    if len(images) != len(masks) or not len(images):
        raise ValueError(f"need as many masks as images (>0), got {len(images)} and {len(masks)}")
    th, tw = thumb
    cells = []
    for im, m in zip(images, masks):
        im = np.asarray(Image.fromarray(np.asarray(im)).resize((tw, th), Image.BILINEAR)).astype(np.float32)
        lab = np.asarray(Image.fromarray(np.asarray(m).astype(np.uint8)).resize((tw, th), Image.NEAREST))
        shade = np.zeros_like(im)
        for k in np.unique(lab[lab > 0]):
            f = 1.0 - 0.3 * (int(k) - 1)
            shade[lab == k] = np.asarray(colour, np.float32)[[0, 1, 2] if k % 2 else [2, 1, 0]] * max(f, 0.3)
        over = np.where((lab > 0)[..., None], (1 - alpha) * im + alpha * shade, im * 0.6)
        fg = lab > 0
        edge = fg & ~(np.roll(fg, 1, 0) & np.roll(fg, -1, 0) & np.roll(fg, 1, 1) & np.roll(fg, -1, 1))
        over[edge] = 255
        cells += [im, over] if pairs else [over]
    cols = ncols * (2 if pairs else 1)
    rows = (len(cells) + cols - 1) // cols
    grid = np.full((rows * (th + 2), cols * (tw + 2), 3), 255, np.float32)
    for i, c in enumerate(cells):
        r, q = divmod(i, cols)
        grid[r * (th + 2):r * (th + 2) + th, q * (tw + 2):q * (tw + 2) + tw] = c
    return grid.clip(0, 255).astype(np.uint8)


def mirror_grid(root: str | os.PathLike, out: str | os.PathLike | None = None, n: int = 36, seed: int = 0,
                kind: str = "masks", ncols: int = 9, thumb: tuple[int, int] = (96, 40)) -> np.ndarray:
    """:func:`mask_grid` of ``n`` random images under ``root`` that have a ``kind`` mirror under ``out``.

    ``out`` defaults to ``root`` (the layout of ``python -m reidlib masks --out``).
    """
    r, o = Path(root), Path(out) if out is not None else Path(root)
    files = sorted((o / kind).rglob("*.png"))
    if not files:
        raise FileNotFoundError(f"no {kind} under {o / kind}; run `python -m reidlib masks {r} --out {o}` first")
    pick = np.random.default_rng(seed).choice(len(files), size=min(n, len(files)), replace=False)
    imgs, masks = [], []
    for i in sorted(pick):
        rel = files[i].relative_to(o / kind).with_suffix("")
        cands = [c for c in (r / rel).parent.glob(rel.name + ".*") if c.suffix.lower() != ".csv"]
        if not cands:
            continue
        imgs.append(read_image(cands[0]))
        masks.append(read_parts(files[i]) if kind == "parts" else read_mask(files[i], imgs[-1].shape[:2]))
    return mask_grid(imgs, masks, ncols=ncols, thumb=thumb)


def evaluate_parts(synth_root: str | os.PathLike, methods: Sequence[str] = ("fcn", "ratio"),
                   mask_source: str = "true", limit: int | None = 300, segmenter: Any = None,
                   recipe: str = "fcn") -> list[dict[str, Any]]:
    """Per-part IoU (over all pixels of the set) of each part method on SynthReID test crops.

    ``mask_source``: ``"true"`` gives the methods the true person masks (measures the
    part assignment alone); ``"predicted"`` uses ``segmenter``'s masks (``recipe``).
    """
    from .parts import PART_NAMES, extract_parts
    from .segmenters import build_segmenter

    if mask_source not in ("true", "predicted"):
        raise ValueError(f"mask_source must be 'true' or 'predicted', got {mask_source!r}")
    x, gt = load_synth_arrays(synth_root, limit=limit, parts=True)
    seg = segmenter if segmenter is not None else build_segmenter()
    masks = list(gt > 0) if mask_source == "true" else extract_masks(list(x), seg, recipe)
    rows = []
    for method in methods:
        pred = np.stack(extract_parts(list(x), [np.asarray(m, np.uint8) for m in masks], method,
                                      seg if method == "fcn" else None))
        ious = part_iou(pred, gt)
        rows.append({"method": method, "masks": mask_source, "n": len(x),
                     **{f"iou_{n}": float(v) for n, v in zip(PART_NAMES, ious)},
                     "mean_iou_parts": float(np.nanmean(ious[1:]))})
    return rows
