"""Person segmenters behind one registry; every one loads local files only.

``SEGMENTERS[name](**kwargs) -> Segmenter``; :func:`build_segmenter` raises a
``KeyError`` listing the valid names. A :class:`Segmenter` maps RGB ``uint8
[H, W, 3]`` images to either

* ``kind == "semantic"``: a person probability map ``float32 [H, W]`` in [0, 1], or
* ``kind == "instance"``: a tuple ``(masks float [K, H, W], scores float [K])``.

``predict_batch(images, crop_hw=None)`` gets an optional hint: the size of the
original re-ID crop inside each (possibly padded, see
:mod:`reidlib.masks.pipeline`) image, which fixed-scale models such as the FCN
use to rescale. Registered:

================== ======== =================================================
name               kind     what
================== ======== =================================================
reidlib_fcn        semantic reidlib's own small FCN, shipped weights (default)
mediapipe_selfie   semantic mediapipe 0.10.21 selfie segmentation (extra)
mediapipe_pose     semantic mediapipe 0.10.21 pose segmentation (extra)
maskrcnn           instance torchvision Mask R-CNN, MPM-LTL anchors, user weights
================== ======== =================================================

Builders import their heavy dependencies lazily, so this module imports without
torch (for a mediapipe-only environment).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["Segmenter", "SEGMENTERS", "build_segmenter", "segmenter_fingerprint", "DEFAULT_SEGMENTER"]

DEFAULT_SEGMENTER = "reidlib_fcn"


class Segmenter:
    """Base class: subclasses set ``kind`` and implement :meth:`predict`."""

    kind: str = "semantic"
    name: str = "segmenter"

    def predict(self, image: np.ndarray, crop_hw: tuple[int, int] | None = None) -> Any:
        raise NotImplementedError

    def predict_batch(self, images: Sequence[np.ndarray],
                      crop_hw: Sequence[tuple[int, int]] | None = None) -> list[Any]:
        hws = list(crop_hw) if crop_hw is not None else [None] * len(images)
        return [self.predict(im, hw) for im, hw in zip(images, hws)]

    def __call__(self, image: np.ndarray) -> Any:
        return self.predict(image)


def _fcn(**kwargs: Any) -> Segmenter:
    from .fcn import FCNSegmenter

    return FCNSegmenter(**kwargs)


def _mp_selfie(**kwargs: Any) -> Segmenter:
    from .mediapipe_seg import MediapipeSelfie

    return MediapipeSelfie(**kwargs)


def _mp_pose(**kwargs: Any) -> Segmenter:
    from .mediapipe_seg import MediapipePose

    return MediapipePose(**kwargs)


def _maskrcnn(**kwargs: Any) -> Segmenter:
    from .maskrcnn import MaskRCNNSegmenter

    return MaskRCNNSegmenter(**kwargs)


SEGMENTERS: dict[str, Callable[..., Segmenter]] = {
    "reidlib_fcn": _fcn,
    "mediapipe_selfie": _mp_selfie,
    "mediapipe_pose": _mp_pose,
    "maskrcnn": _maskrcnn,
}


def segmenter_fingerprint(name: str) -> str:
    """What a segmenter's masks depend on besides the images: ``name`` plus, for the shipped
    FCN, a digest of its weights file (runs trained on extracted masks carry it in their
    config, so new weights never reuse runs made with the old ones)."""
    if name != "reidlib_fcn":
        return name
    import hashlib

    from .fcn import default_weights

    path = default_weights()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "missing"
    return f"{name}:{digest}"


def build_segmenter(name: str = DEFAULT_SEGMENTER, **kwargs: Any) -> Segmenter:
    """Build the segmenter ``name`` (see the table above) with builder ``kwargs``."""
    if name not in SEGMENTERS:
        raise KeyError(f"unknown segmenter {name!r}; valid: {', '.join(sorted(SEGMENTERS))}")
    seg = SEGMENTERS[name](**kwargs)
    seg.name = name
    return seg
