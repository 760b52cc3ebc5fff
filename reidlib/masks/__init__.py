"""Person masks and body-part maps for re-ID crops.

Torch-free at import: ``pipeline`` (MPM-LTL III-B pad-segment-dilate), ``segmenters``
(registry), ``parts`` and ``evaluate`` load numpy only; the FCN, Mask R-CNN and
mediapipe segmenters import their dependencies when built. ``degrade_mask`` (issue
8, :mod:`reidlib.masks.degrade`) is re-exported lazily.
"""
from __future__ import annotations

from typing import Any

from .evaluate import evaluate_segmenter, iou_table, load_synth_arrays, mask_grid, mask_iou, part_iou, to_frame
from .parts import PART_METHODS, PART_NAMES, extract_parts, split_parts_by_ratio
from .pipeline import (RECIPES, MaskRecipe, crop_back, dilate_mask, extract_mask, extract_masks, get_recipe,
                       pad_crop, select_component, select_instance)
from .segmenters import DEFAULT_SEGMENTER, SEGMENTERS, Segmenter, build_segmenter

__all__ = ["RECIPES", "MaskRecipe", "crop_back", "dilate_mask", "extract_mask", "extract_masks", "get_recipe",
           "pad_crop", "select_component", "select_instance", "DEFAULT_SEGMENTER", "SEGMENTERS", "Segmenter",
           "build_segmenter", "PART_METHODS", "PART_NAMES", "extract_parts", "split_parts_by_ratio",
           "evaluate_segmenter", "iou_table", "load_synth_arrays", "mask_grid", "mask_iou", "part_iou",
           "to_frame", "train_person_fcn", "degrade_mask"]


def __getattr__(name: str) -> Any:  # lazy: these import torch / the other engineer's module
    if name == "train_person_fcn":
        from .train import train_person_fcn

        return train_person_fcn
    if name == "degrade_mask":
        from .degrade import degrade_mask

        return degrade_mask
    raise AttributeError(f"module 'reidlib.masks' has no attribute {name!r}")
