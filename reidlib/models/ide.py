"""IDE baseline: backbone + global average pooling + (BN) + identity classifier.

The ID-discriminative embedding of Zheng et al. (2016), the "Baseline" of MPM-LTL
Table 1 row 1 (ResNet-50, RGB), here with every input kind of
:mod:`reidlib.models.inputs` so the mask ablations can also be run without parts:

=====================  ==========================================================
``ide_rgb``            row 1, RGB only
``ide_rgbm``           row 2, mask as a 4th convolved channel (also MGCAM's RGB-M)
``ide_mask_bilinear``  row 3, mask channel downsampled bilinearly in the stem
``ide_mask_pool``      row 4 without the part head (MPM stem + global pooling)
``ide_masked_rgb``     masked image (background zeroed)
``ide_mask_only``      mask alone
=====================  ==========================================================

Output dict: ``features [B, D]`` = the pooled feature ("pool5", the IDE retrieval
feature; D = 2048 paper / 256 small), ``bn_features [B, D]`` (after the BN neck;
equal to ``features`` when ``bnneck=False``), ``logits [B, num_classes]``
(classifier on the BN feature), ``feature_map [B, D, h, w]``.
"""
from __future__ import annotations

import os
from functools import partial
from typing import Callable

import torch
from torch import nn

from .backbones import backbone_for_size
from .inputs import InputTrunk
from .mask_pooling import DEFAULT_THRESHOLD
from .weights import load_backbone_weights


def check_num_classes(num_classes: int) -> int:
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int (training identities), got {num_classes!r}")
    return num_classes


class IDE(nn.Module):
    """IDE baseline (MPM-LTL Table 1 row 1 and its input variants).

    Args:
        num_classes: number of training identities.
        size: ``"small"`` (ResNet-18 at half width) or ``"paper"`` (ResNet-50).
        input_kind: see :data:`reidlib.models.inputs.INPUT_KINDS` (default ``"rgb"``).
        backbone: override the backbone name of ``size``.
        last_stride: stride of ``layer4`` (default 1).
        bnneck: BatchNorm1d between the pooled feature and the classifier (default True).
        dropout: dropout before the classifier (default 0).
        threshold: mask pooling threshold (``input_kind="mask_pool"`` only; default
            :data:`~reidlib.models.mask_pooling.DEFAULT_THRESHOLD`).
        pretrained: local torchvision-style checkpoint for the backbone; ``pretrained_sha256``
            its checksum. The :class:`LoadReport` is kept in ``self.load_report``.
    """

    def __init__(self, num_classes: int, size: str = "small", input_kind: str = "rgb",
                 backbone: str | None = None, last_stride: int = 1, bnneck: bool = True,
                 dropout: float = 0.0, threshold: float = DEFAULT_THRESHOLD,
                 pretrained: str | os.PathLike | None = None, pretrained_sha256: str | None = None) -> None:
        super().__init__()
        check_num_classes(num_classes)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.trunk = InputTrunk(input_kind, backbone_for_size(size, backbone), last_stride, threshold)
        dim = self.trunk.out_channels
        self.feature_dim = dim
        self.bottleneck = nn.BatchNorm1d(dim) if bnneck else nn.Identity()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(dim, num_classes)
        nn.init.normal_(self.classifier.weight, std=0.001)
        nn.init.zeros_(self.classifier.bias)
        self.load_report = None
        if pretrained is not None:
            self.load_report = load_backbone_weights(self.trunk.backbone, pretrained, pretrained_sha256)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        fmap = self.trunk(x, mask)
        feat = fmap.mean(dim=(2, 3))
        bn = self.bottleneck(feat)
        return {"features": feat, "bn_features": bn, "logits": self.classifier(self.dropout(bn)),
                "feature_map": fmap}


IDE_MODELS: dict[str, Callable[..., nn.Module]] = {
    f"ide_{kind}": partial(IDE, input_kind=kind)
    for kind in ("rgb", "rgbm", "mask_bilinear", "mask_pool", "masked_rgb", "mask_only")
}
