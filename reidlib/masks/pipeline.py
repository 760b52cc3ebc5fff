"""Pad - segment - select - crop back - dilate: person masks for re-ID crops.

MPM-LTL (paper 001, section III-B) makes masks for low-resolution re-ID crops by

1. padding the crop with zeros to 3x its width and height, the crop in the centre;
2. segmenting the padded image with a Mask R-CNN (anchors {32^2, 64^2}, ratios
   {1:2, 1:1, 2:1});
3. (implied) keeping the person of the crop and cutting the mask back to the crop;
4. "extending the mask contour by 3 pixels" (dilation).

:func:`extract_mask` is this recipe with every step optional (:class:`MaskRecipe`),
so the FCN recipe that MaskReID and MGCAM used (no padding, no dilation) is the same
function with other settings; :data:`RECIPES` names both.

Choices where the paper is vague (all parameters of :class:`MaskRecipe`):

* which instance is "the person": the one whose mask covers the most of the
  original box (ties: higher score); for semantic segmenters (a probability map)
  the 8-connected component that overlaps the central box most;
* dilation uses a disk (Euclidean radius ``n``) by default, ``"square"`` for a
  chessboard radius;
* padding mode ``constant`` (value 0, as the paper) or ``edge`` / ``reflect``.

Arrays: images ``uint8 [H, W, 3]``; masks ``uint8 [H, W]`` in {0, 1}; semantic
segmenter output ``float [H, W]`` in [0, 1]; instance output ``[K, H, W]`` (+ scores
``[K]``). This module imports numpy (and scipy lazily), never torch.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np

__all__ = ["MaskRecipe", "RECIPES", "get_recipe", "pad_crop", "crop_back", "dilate_mask",
           "select_instance", "select_component", "extract_mask", "extract_masks"]

PAD_MODES = ("constant", "edge", "reflect")
DILATE_SHAPES = ("disk", "square")


@dataclass(frozen=True)
class MaskRecipe:
    """Which steps :func:`extract_mask` runs, and with which settings.

    ``pad``/``pad_factor``/``pad_mode``/``pad_value``: pad the crop to ``pad_factor``
    times its size, centred. ``select``: keep the instance / connected component
    that best covers the original box. ``dilate``: grow the mask by this many
    pixels (0 = off). ``threshold``: probability -> binary for semantic output.
    """

    pad: bool = True
    pad_factor: int = 3
    pad_mode: str = "constant"
    pad_value: int = 0
    select: bool = True
    dilate: int = 3
    dilate_shape: str = "disk"
    threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.pad_mode not in PAD_MODES:
            raise ValueError(f"pad_mode {self.pad_mode!r} unknown; valid: {', '.join(PAD_MODES)}")
        if self.dilate_shape not in DILATE_SHAPES:
            raise ValueError(f"dilate_shape {self.dilate_shape!r} unknown; valid: {', '.join(DILATE_SHAPES)}")
        if int(self.pad_factor) < 1 or int(self.pad_factor) % 2 == 0:
            raise ValueError(f"pad_factor must be an odd integer >= 1 (crop centred), got {self.pad_factor}")
        if int(self.dilate) < 0:
            raise ValueError(f"dilate must be >= 0 pixels, got {self.dilate}")
        if not 0.0 < float(self.threshold) < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")


#: named recipes: MPM-LTL III-B, the plain FCN use of MaskReID / MGCAM, and two
#: ablations (component selection only; padding + selection without dilation)
RECIPES: dict[str, MaskRecipe] = {
    "mpm_ltl": MaskRecipe(pad=True, pad_factor=3, select=True, dilate=3),
    "fcn": MaskRecipe(pad=False, select=False, dilate=0),
    "fcn_select": MaskRecipe(pad=False, select=True, dilate=0),
    "pad_select": MaskRecipe(pad=True, pad_factor=3, select=True, dilate=0),
}


def get_recipe(recipe: str | MaskRecipe, **overrides: Any) -> MaskRecipe:
    """A recipe by name (or as given) with ``overrides`` applied."""
    if isinstance(recipe, MaskRecipe):
        base = recipe
    else:
        if recipe not in RECIPES:
            raise KeyError(f"unknown mask recipe {recipe!r}; valid: {', '.join(sorted(RECIPES))}")
        base = RECIPES[recipe]
    return replace(base, **overrides) if overrides else base


def _check_image(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"image must be [H, W, 3] (RGB), got shape {arr.shape}")
    return arr


def pad_crop(image: np.ndarray, factor: int = 3, mode: str = "constant",
             value: int = 0) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Pad ``[H, W, C]`` (or ``[H, W]``) to ``factor`` x its size with the crop centred.

    Returns the padded array and the box ``(top, left, H, W)`` of the crop in it.
    """
    if mode not in PAD_MODES:
        raise ValueError(f"pad mode {mode!r} unknown; valid: {', '.join(PAD_MODES)}")
    if int(factor) < 1 or int(factor) % 2 == 0:
        raise ValueError(f"pad factor must be an odd integer >= 1, got {factor}")
    arr = np.asarray(image)
    h, w = arr.shape[:2]
    ph, pw = (factor - 1) // 2 * h, (factor - 1) // 2 * w
    widths = [(ph, ph), (pw, pw)] + [(0, 0)] * (arr.ndim - 2)
    if mode == "constant":
        out = np.pad(arr, widths, mode="constant", constant_values=value)
    elif mode == "reflect" and (h < 2 or w < 2):
        out = np.pad(arr, widths, mode="symmetric")
    else:
        out = np.pad(arr, widths, mode=mode)
    return out, (ph, pw, h, w)


def crop_back(array: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Cut ``box = (top, left, H, W)`` out of ``[H', W']`` or ``[H', W', C]`` (inverse of :func:`pad_crop`)."""
    t, l, h, w = box
    return np.asarray(array)[t:t + h, l:l + w]


def _disk(radius: int, shape: str) -> np.ndarray:
    r = int(radius)
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    if shape == "square":
        return np.ones((2 * r + 1, 2 * r + 1), dtype=bool)
    return (yy * yy + xx * xx) <= r * r


def dilate_mask(mask: np.ndarray, n: int = 3, shape: str = "disk") -> np.ndarray:
    """Grow a binary mask ``[H, W]`` by ``n`` pixels (disk or square element); ``uint8`` out."""
    if int(n) < 0:
        raise ValueError(f"dilation must be >= 0 pixels, got {n}")
    if shape not in DILATE_SHAPES:
        raise ValueError(f"dilate shape {shape!r} unknown; valid: {', '.join(DILATE_SHAPES)}")
    m = np.asarray(mask) > 0
    if n == 0 or not m.any():
        return m.astype(np.uint8)
    from scipy import ndimage

    return ndimage.binary_dilation(m, structure=_disk(n, shape)).astype(np.uint8)


def select_instance(instances: np.ndarray, box: tuple[int, int, int, int],
                    scores: Sequence[float] | None = None, threshold: float = 0.5) -> np.ndarray:
    """Among ``[K, H, W]`` instance masks keep the one covering most of ``box``.

    Coverage = foreground pixels inside the box. Ties go to the higher score.
    Returns a ``uint8 [H, W]`` mask (all zero when ``K == 0``).
    """
    inst = np.asarray(instances)
    if inst.ndim != 3:
        raise ValueError(f"instances must be [K, H, W], got shape {inst.shape}")
    if inst.shape[0] == 0:
        return np.zeros(inst.shape[1:], dtype=np.uint8)
    t, l, h, w = box
    binary = inst > threshold if inst.dtype != bool else inst
    cover = binary[:, t:t + h, l:l + w].reshape(inst.shape[0], -1).sum(1).astype(float)
    sc = np.zeros(len(cover)) if scores is None else np.asarray(scores, dtype=float)
    best = max(range(len(cover)), key=lambda k: (cover[k], sc[k]))
    return binary[best].astype(np.uint8)


def select_component(mask: np.ndarray, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """Keep the 8-connected component of ``mask`` with most pixels inside ``box``.

    ``box=None`` means the whole image (then the largest component is kept).
    """
    m = np.asarray(mask) > 0
    if not m.any():
        return m.astype(np.uint8)
    from scipy import ndimage

    labels, n = ndimage.label(m, structure=np.ones((3, 3), dtype=bool))
    if n <= 1:
        return m.astype(np.uint8)
    t, l, h, w = box if box is not None else (0, 0, m.shape[0], m.shape[1])
    inside = np.bincount(labels[t:t + h, l:l + w].ravel(), minlength=n + 1)[1:]
    total = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    best = max(range(n), key=lambda k: (inside[k], total[k])) + 1
    return (labels == best).astype(np.uint8)


def _finish(output: Any, box: tuple[int, int, int, int], recipe: MaskRecipe) -> np.ndarray:
    """Turn one raw segmenter output into the crop's binary mask."""
    if isinstance(output, tuple):  # instance output: (masks [K, H, W], scores [K])
        inst, scores = output
        inst = np.asarray(inst)
        if recipe.select:
            full = select_instance(inst, box, scores, recipe.threshold)
        else:  # union of every instance
            full = (inst > recipe.threshold).any(0).astype(np.uint8) if len(inst) else \
                np.zeros(inst.shape[1:], np.uint8)
        mask = crop_back(full, box)
    else:
        prob = np.asarray(output, dtype=np.float32)
        if prob.ndim != 2:
            raise ValueError(f"semantic segmenter output must be [H, W], got shape {prob.shape}")
        binary = (prob > recipe.threshold).astype(np.uint8)
        if recipe.select:
            binary = select_component(binary, box)
        mask = crop_back(binary, box)
    if recipe.dilate:
        mask = dilate_mask(mask, recipe.dilate, recipe.dilate_shape)
    return mask.astype(np.uint8)


def extract_masks(images: Sequence[np.ndarray], segmenter: Any,
                  recipe: str | MaskRecipe = "mpm_ltl", **overrides: Any) -> list[np.ndarray]:
    """Masks ``uint8 [H, W]`` {0,1} for a batch of crops with ``segmenter`` and ``recipe``.

    ``segmenter`` follows :class:`reidlib.masks.segmenters.Segmenter`:
    ``segmenter.predict_batch(images, crop_hw=[(H, W), ...])`` returns per image a
    ``float [H', W']`` probability map or a ``(masks [K, H', W'], scores [K])`` tuple.
    """
    rec = get_recipe(recipe, **overrides)
    imgs = [_check_image(im) for im in images]
    inputs, boxes = [], []
    for im in imgs:
        if rec.pad:
            padded, box = pad_crop(im, rec.pad_factor, rec.pad_mode, rec.pad_value)
        else:
            padded, box = im, (0, 0, im.shape[0], im.shape[1])
        inputs.append(padded)
        boxes.append(box)
    outputs = segmenter.predict_batch(inputs, crop_hw=[im.shape[:2] for im in imgs])
    return [_finish(o, b, rec) for o, b in zip(outputs, boxes)]


def extract_mask(image: np.ndarray, segmenter: Any, recipe: str | MaskRecipe = "mpm_ltl",
                 **overrides: Any) -> np.ndarray:
    """One crop's mask: :func:`extract_masks` on a batch of one."""
    return extract_masks([image], segmenter, recipe, **overrides)[0]
