"""mediapipe person segmenters (optional extra ``pip install reidlib[mediapipe]``).

``mediapipe==0.10.21`` carries its TFLite models inside the wheel and runs offline
(later releases download them). It pins ``numpy<2``, so it lives in its own
environment; this module imports neither torch nor mediapipe until a segmenter
is built.

* :class:`MediapipeSelfie` - ``solutions.selfie_segmentation`` (``model_selection``
  0: 256x256 general model, 1: 144x256 landscape model); output ``float [H, W]``.
* :class:`MediapipePose` - ``solutions.pose`` with ``enable_segmentation=True``,
  ``static_image_mode=True`` and ``model_complexity=1`` (the only complexity whose
  model ships in the wheel); when no body is found the map is all zero.

``upscale``: crops are resized by this factor before inference (re-ID crops are
small; 1.0 keeps them), probabilities are resized back.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .segmenters import Segmenter

__all__ = ["MediapipeSelfie", "MediapipePose", "import_mediapipe"]


def import_mediapipe() -> Any:
    """Import mediapipe or raise an ImportError naming the extra to install."""
    try:
        import mediapipe as mp  # noqa: PLC0415
    except ImportError as exc:
        raise ImportError(
            "the mediapipe segmenters need the optional extra: pip install 'reidlib[mediapipe]' "
            "(mediapipe==0.10.21, which needs numpy<2: use a separate virtual environment)"
        ) from exc
    return mp


def _resize(arr: np.ndarray, hw: tuple[int, int], bilinear: bool = True) -> np.ndarray:
    from PIL import Image

    if arr.shape[:2] == tuple(hw):
        return arr
    if arr.dtype == np.uint8:
        return np.asarray(Image.fromarray(arr).resize((hw[1], hw[0]), Image.BILINEAR))
    return np.asarray(Image.fromarray(arr.astype(np.float32), mode="F").resize((hw[1], hw[0]), Image.BILINEAR))


class _MediapipeBase(Segmenter):
    kind = "semantic"

    def __init__(self, upscale: float = 1.0) -> None:
        if upscale <= 0:
            raise ValueError(f"upscale must be > 0, got {upscale}")
        self.mp = import_mediapipe()
        self.upscale = float(upscale)
        self._model = self._build()

    def _build(self) -> Any:
        raise NotImplementedError

    def predict(self, image: np.ndarray, crop_hw: tuple[int, int] | None = None) -> np.ndarray:
        im = np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
        h, w = im.shape[:2]
        if self.upscale != 1.0:
            im = _resize(im, (max(1, round(h * self.upscale)), max(1, round(w * self.upscale))))
        res = self._model.process(im)
        seg = getattr(res, "segmentation_mask", None)
        if seg is None:
            return np.zeros((h, w), np.float32)
        return _resize(np.asarray(seg, dtype=np.float32), (h, w)).clip(0, 1)

    def close(self) -> None:
        self._model.close()


class MediapipeSelfie(_MediapipeBase):
    """mediapipe selfie segmentation (see module docstring)."""

    def __init__(self, model_selection: int = 0, upscale: float = 1.0) -> None:
        if model_selection not in (0, 1):
            raise ValueError(f"model_selection must be 0 (general) or 1 (landscape), got {model_selection}")
        self.model_selection = model_selection
        super().__init__(upscale)

    def _build(self) -> Any:
        return self.mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=self.model_selection)


class MediapipePose(_MediapipeBase):
    """mediapipe pose segmentation, ``model_complexity=1`` (see module docstring)."""

    def __init__(self, min_detection_confidence: float = 0.3, upscale: float = 1.0) -> None:
        self.min_detection_confidence = float(min_detection_confidence)
        super().__init__(upscale)

    def _build(self) -> Any:
        return self.mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1,
                                           enable_segmentation=True,
                                           min_detection_confidence=self.min_detection_confidence)
