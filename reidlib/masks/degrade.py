"""Mask degradation that mimics real segmenters, controlled by the expected IoU.

Experiments compare true masks, masks from a segmenter and *degraded* true masks
(SynthReID). Each kind maps a strength ``s`` in [0, 1] to a mask whose IoU
with the true mask falls monotonically as ``s`` grows (the random fields are drawn
once per call, so the sets removed/added are nested in ``s``):

``erode``     drop pixels closer than ``s * R`` to the background (``R`` = max inside
              distance; a fixed random sub-pixel offset breaks ties so IoU moves smoothly)
``dilate``    add pixels closer than ``s * R`` to the person (same tie-breaking)
``holes``     drop interior pixels where a smooth random field is in its lowest ``s`` share
``blobs``     add outside pixels near the person where a smooth field is high (false positives)
``boundary``  move the contour by ``s * R`` times a smooth random field in [-1, 1] (ragged edges)

:func:`degrade_mask` mixes the chosen kinds with random weights and bisects ``s`` to
reach ``target_iou`` within ``tol``. Masks are ``[H, W]`` arrays (bool, or numbers where
> 0 is person, e.g. 0/255 PNGs); results are bool ``[H, W]``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.ndimage import distance_transform_edt, gaussian_filter

KINDS = ("erode", "dilate", "holes", "blobs", "boundary")


def as_bool(mask: np.ndarray) -> np.ndarray:
    """``[H, W]`` mask (bool, 0/1 or 0/255) -> bool array; raises on other shapes."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"mask must be a 2-D [H, W] array, got shape {m.shape}")
    return m > 0 if m.dtype != bool else m


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two masks (1.0 when both are empty)."""
    a, b = as_bool(a), as_bool(b)
    if a.shape != b.shape:
        raise ValueError(f"mask shapes differ: {a.shape} vs {b.shape}")
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def erode(mask: np.ndarray, radius: float) -> np.ndarray:
    """Remove pixels within ``radius`` (pixels, Euclidean) of the background."""
    m = as_bool(mask)
    return distance_transform_edt(m) > radius


def dilate(mask: np.ndarray, radius: float) -> np.ndarray:
    """Add pixels within ``radius`` (pixels, Euclidean) of the mask."""
    m = as_bool(mask)
    return distance_transform_edt(~m) <= radius


def _rank(field: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Field values inside ``where`` replaced by their rank share in [0, 1) (uniform)."""
    out = np.ones(field.shape, np.float64)
    vals = field[where]
    if vals.size:
        out[where] = np.argsort(np.argsort(vals, kind="stable"), kind="stable") / vals.size
    return out


class _Degrader:
    """Precomputed distances and random fields of one mask; ``__call__(s)`` -> degraded mask."""

    def __init__(self, mask: np.ndarray, rng: np.random.Generator, kinds: Sequence[str],
                 blob_scale: float) -> None:
        bad = [k for k in kinds if k not in KINDS]
        if bad or not kinds:
            raise ValueError(f"unknown degradation kind(s) {bad or list(kinds)}; valid kinds: {list(KINDS)}")
        self.m = mask
        self.d_in = distance_transform_edt(mask)
        self.d_out = distance_transform_edt(~mask)
        self.R = max(float(self.d_in.max()), 1.0)
        size = max(mask.shape) * blob_scale
        smooth = lambda: gaussian_filter(rng.standard_normal(mask.shape), size, mode="wrap")  # noqa: E731
        # sub-pixel tie-breaker so erosion/dilation remove/add part of a ring at a time
        self.jitter = _rank(gaussian_filter(rng.standard_normal(mask.shape), 1.0), np.ones(mask.shape, bool))
        w = rng.uniform(0.5, 1.0, len(kinds))
        self.w = dict(zip(kinds, w / w.max()))
        if "holes" in kinds:
            self.hole_rank = _rank(smooth(), mask)            # low rank -> hole first
        if "blobs" in kinds:
            f = smooth()
            f = (f - f.mean()) / (f.std() + 1e-9) - self.d_out / self.R  # prefer near the body
            self.blob_rank = 1.0 - _rank(f, ~mask)            # high field -> added first
        if "boundary" in kinds:
            f = gaussian_filter(rng.standard_normal(mask.shape), max(mask.shape) / 16, mode="wrap")
            self.edge_field = f / (np.abs(f).max() + 1e-9)
            self.sd = self.d_in - self.d_out                  # > 0 inside

    def __call__(self, s: float) -> np.ndarray:
        out = self.m.copy()
        w = self.w
        if "boundary" in w:
            out = self.sd + s * w["boundary"] * self.R * self.edge_field > 0
        if "erode" in w:
            out &= self.d_in - self.jitter > s * w["erode"] * self.R
        if "holes" in w:
            out &= ~(self.m & (self.hole_rank < s * w["holes"] * 0.6))
        if "dilate" in w:
            out |= (~self.m) & (self.d_out + self.jitter <= s * w["dilate"] * self.R)
        if "blobs" in w:
            out |= (~self.m) & (self.blob_rank < s * w["blobs"] * 0.15)
        return out


def degrade_mask(mask: np.ndarray, target_iou: float, rng: np.random.Generator,
                 kinds: Sequence[str] = KINDS, tol: float = 0.01, blob_scale: float = 0.06,
                 max_iter: int = 40) -> np.ndarray:
    """Degrade ``mask`` until its IoU with the original is ``target_iou`` (+- ``tol``).

    ``kinds``: subset of :data:`KINDS`, mixed with weights drawn from ``rng``.
    An empty mask is returned unchanged (its IoU is 1 by convention). Raises
    ``ValueError`` when the target is out of (0, 1] or cannot be reached with these kinds.
    """
    if not 0.0 < target_iou <= 1.0:
        raise ValueError(f"target_iou must be in (0, 1], got {target_iou}")
    m = as_bool(mask)
    if target_iou == 1.0 or not m.any():
        return m.copy()
    deg = _Degrader(m, rng, list(kinds), blob_scale)
    lo, hi = 0.0, 1.0
    best, best_err = m.copy(), 1.0 - target_iou
    while mask_iou(m, deg(hi)) > target_iou and hi < 64:
        hi *= 2.0
    for _ in range(max_iter):
        mid = 0.5 * (lo + hi)
        out = deg(mid)
        iou = mask_iou(m, out)
        if abs(iou - target_iou) < best_err:
            best, best_err = out, abs(iou - target_iou)
        if best_err <= tol:
            break
        lo, hi = (mid, hi) if iou > target_iou else (lo, mid)
    if best_err > max(tol, 0.05):
        raise ValueError(f"could not reach IoU {target_iou} with kinds {list(kinds)} "
                         f"(closest error {best_err:.3f}); add 'erode' or 'dilate' or lower tol")
    return best
