"""torchvision Mask R-CNN with MPM-LTL's anchors, from a local weights file only.

MPM-LTL III-B: "a modified Mask R-CNN, with anchor areas of {32^2, 64^2} and aspect
ratios of {1:2, 1:1, 2:1}", run on the 3x zero-padded crop. :func:`build_maskrcnn`
makes a ResNet-50-FPN Mask R-CNN whose anchor generator has sizes ``(32, 64)`` and
ratios ``(0.5, 1.0, 2.0)`` on every FPN level (choice: the paper does not say how
the two sizes map onto the pyramid), i.e. 6 anchors per location and an RPN head
built for 6. Nothing is ever downloaded (``weights=None, weights_backbone=None``).

:class:`MaskRCNNSegmenter` needs ``weights``: a local ``state_dict`` file (e.g. a
COCO model fine-tuned with these anchors). With ``allow_head_mismatch=True`` a
checkpoint trained with other anchors loads all but the RPN head's anchor-dependent
layers, which stay random (a warning names them): fine-tune before use.
Output per image: ``(masks float [K, H, W] in [0, 1], scores [K])`` of the detections
of ``person_label`` (COCO: 1) scoring at least ``score_threshold``.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .segmenters import Segmenter

__all__ = ["MPM_LTL_ANCHOR_SIZES", "MPM_LTL_ASPECT_RATIOS", "build_maskrcnn", "MaskRCNNSegmenter"]

MPM_LTL_ANCHOR_SIZES = (32, 64)
MPM_LTL_ASPECT_RATIOS = (0.5, 1.0, 2.0)


def build_maskrcnn(num_classes: int = 91, anchor_sizes: Sequence[int] = MPM_LTL_ANCHOR_SIZES,
                   aspect_ratios: Sequence[float] = MPM_LTL_ASPECT_RATIOS, **kwargs: Any) -> Any:
    """A randomly initialised ``torchvision`` Mask R-CNN (ResNet-50 FPN) with the given anchors."""
    from torchvision.models.detection import maskrcnn_resnet50_fpn
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.rpn import RPNHead

    sizes = tuple(int(s) for s in anchor_sizes)
    ratios = tuple(float(r) for r in aspect_ratios)
    if not sizes or not ratios or min(sizes) <= 0 or min(ratios) <= 0:
        raise ValueError(f"anchor sizes and aspect ratios must be non-empty and > 0, got {sizes}, {ratios}")
    levels = 5  # FPN levels '0'..'3' + 'pool'
    gen = AnchorGenerator(sizes=(sizes,) * levels, aspect_ratios=(ratios,) * levels)
    head = RPNHead(256, gen.num_anchors_per_location()[0])
    return maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=num_classes,
                                 rpn_anchor_generator=gen, rpn_head=head, **kwargs)


class MaskRCNNSegmenter(Segmenter):
    """Instance segmenter around :func:`build_maskrcnn` (see module docstring)."""

    kind = "instance"

    def __init__(self, weights: str | os.PathLike | None = None, num_classes: int = 91, person_label: int = 1,
                 score_threshold: float = 0.5, allow_head_mismatch: bool = False,
                 model: Any = None, **kwargs: Any) -> None:
        import torch

        if model is None:
            if weights is None:
                raise ValueError("the maskrcnn segmenter needs a local weights file: "
                                 "MaskRCNNSegmenter(weights='path/to/maskrcnn.pt') or --weights FILE "
                                 "(reidlib downloads nothing)")
            p = Path(weights)
            if not p.is_file():
                raise FileNotFoundError(f"Mask R-CNN weights not found: {p}")
            model = build_maskrcnn(num_classes, **kwargs)
            sd = torch.load(p, map_location="cpu", weights_only=True)
            sd = sd.get("state_dict", sd) if isinstance(sd, dict) else sd
            own = model.state_dict()
            bad = [k for k, v in sd.items() if k in own and own[k].shape != v.shape]
            if bad and not allow_head_mismatch:
                raise ValueError(f"weights {p} do not fit the MPM-LTL anchors ({len(bad)} tensors differ, "
                                 f"e.g. {bad[:3]}); pass allow_head_mismatch=True to load the rest")
            if bad:
                warnings.warn(f"not loaded (shape differs, left random; fine-tune first): {bad}")
            model.load_state_dict({k: v for k, v in sd.items() if k not in bad}, strict=not bad)
        self.model = model.eval()
        self.person_label = int(person_label)
        self.score_threshold = float(score_threshold)

    def predict_batch(self, images: Sequence[np.ndarray],
                      crop_hw: Sequence[tuple[int, int]] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        import torch

        xs = [torch.from_numpy(np.ascontiguousarray(im)).permute(2, 0, 1).float() / 255.0 for im in images]
        with torch.no_grad():
            outs = self.model(xs)
        res = []
        for im, o in zip(images, outs):
            keep = (o["labels"] == self.person_label) & (o["scores"] >= self.score_threshold)
            masks = o["masks"][keep][:, 0].numpy().astype(np.float32) if "masks" in o else \
                np.zeros((0,) + im.shape[:2], np.float32)
            res.append((masks.reshape((-1,) + im.shape[:2]), o["scores"][keep].numpy()))
        return res

    def predict(self, image: np.ndarray, crop_hw: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.predict_batch([image])[0]
