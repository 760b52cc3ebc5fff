"""Body-part maps for SemParts on real images: 0 background, 1 head, 2 upper, 3 lower body.

SemParts (paper 003) uses part maps from a human-parsing network; real re-ID data do
not ship them. Two methods (``PART_METHODS``):

* ``"fcn"`` (default): the 4-output :class:`reidlib.masks.fcn.PersonFCN` trained on
  SynthReID's true part maps (:mod:`reidlib.masks.train`); inside the person mask
  each pixel gets the arg-max of the head/upper/lower probabilities, outside it 0.
  Keeping the labels inside the final (possibly dilated) mask keeps masks and parts
  consistent.
* ``"ratio"``: documented fallback without a part model: split the mask by fixed
  fractions of its own vertical extent (top row to bottom row of the mask):
  head above ``ratios[0]`` (default 0.16, ~1/6 of a standing person), upper body
  down to ``ratios[1]`` (0.52, the hips), lower body below.

Shapes: masks ``uint8 [H, W]`` {0,1}; part maps ``uint8 [H, W]`` in 0..3.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["PART_NAMES", "PART_METHODS", "split_parts_by_ratio", "parts_from_probabilities", "extract_parts"]

PART_NAMES = ("background", "head", "upper", "lower")
PART_METHODS = ("fcn", "ratio")


def split_parts_by_ratio(mask: np.ndarray, ratios: tuple[float, float] = (0.16, 0.52)) -> np.ndarray:
    """Label mask pixels head/upper/lower by their height within the mask's extent."""
    m = np.asarray(mask) > 0
    if m.ndim != 2:
        raise ValueError(f"mask must be [H, W], got shape {m.shape}")
    r0, r1 = float(ratios[0]), float(ratios[1])
    if not 0.0 <= r0 <= r1 <= 1.0:
        raise ValueError(f"ratios must satisfy 0 <= head <= upper <= 1, got {ratios}")
    out = np.zeros(m.shape, dtype=np.uint8)
    rows = np.nonzero(m.any(1))[0]
    if rows.size == 0:
        return out
    top, bottom = rows[0], rows[-1] + 1
    rel = (np.arange(m.shape[0]) - top) / float(bottom - top)  # row centre-agnostic: top edge of the row
    label = np.where(rel < r0, 1, np.where(rel < r1, 2, 3)).astype(np.uint8)
    out[m] = np.broadcast_to(label[:, None], m.shape)[m]
    return out


def parts_from_probabilities(prob: Any, mask: np.ndarray) -> np.ndarray:
    """Part map from ``[4, H, W]`` part probabilities restricted to ``mask`` ``[H, W]``."""
    p = np.asarray(prob)
    m = np.asarray(mask) > 0
    if p.ndim != 3 or p.shape[0] != 4 or p.shape[1:] != m.shape:
        raise ValueError(f"need prob [4, H, W] and mask [H, W] of one size, got {p.shape} and {m.shape}")
    label = (p[1:].argmax(0) + 1).astype(np.uint8)
    return np.where(m, label, 0).astype(np.uint8)


def extract_parts(images: Sequence[np.ndarray], masks: Sequence[np.ndarray], method: str = "fcn",
                  segmenter: Any = None, ratios: tuple[float, float] = (0.16, 0.52)) -> list[np.ndarray]:
    """Part maps for crops ``images`` given their person ``masks`` (see module docstring).

    ``segmenter``: an :class:`reidlib.masks.fcn.FCNSegmenter` with a 4-output model
    (built from the shipped weights when ``None`` and ``method == "fcn"``).
    """
    if method not in PART_METHODS:
        raise KeyError(f"unknown part method {method!r}; valid: {', '.join(PART_METHODS)}")
    if len(images) != len(masks):
        raise ValueError(f"got {len(images)} images but {len(masks)} masks")
    if method == "ratio":
        return [split_parts_by_ratio(m, ratios) for m in masks]
    if segmenter is None:
        from .fcn import FCNSegmenter

        segmenter = FCNSegmenter()
    if getattr(getattr(segmenter, "model", None), "out_channels", 0) != 4:
        raise ValueError("part method 'fcn' needs an FCNSegmenter with a 4-output part model "
                         "(the shipped person_fcn.pt); use method='ratio' otherwise")
    probs = segmenter.probabilities(list(images))
    return [parts_from_probabilities(p.numpy(), m) for p, m in zip(probs, masks)]
