"""Mask-pooling model (MPM-LTL section III-A and III-C, Fig. 3, 4 and 6).

* :class:`MPMStem`: conv1 with 63 kernels (7x7/2) + BN + ReLU on RGB, the mask
  channel mask-pooled 7x7/2 (64 channels); the conv2_x 3x3/2 max pool on the 63
  channels and a 3x3/2 mask pooling on the mask channel (64 channels), then the rest
  of ResNet-50. The small size uses the same stem at its width (31 + 1).
* :class:`PartHead`: the feature tensor ``T [B, C, h, w]`` is split into ``k`` equal
  parts (3 or 6 horizontal stripes; 12 = 6x2 and 18 = 6x3 grids, Fig. 6), each part
  average-pooled (``G``), reduced by its own 1x1 conv to 256-d (``H``; "k >= 1
  convolutional layers are employed for dimension reducing") followed by BN + ReLU
  (PCB's reduction block [18]; the paper does not say, ``bn_relu=False`` drops it),
  and classified by its own classifier. The retrieval feature is the concatenation
  of the ``k`` part features (PCB-style), ``[B, k * 256]``.
  Parts must tile the map exactly: ``h % rows == 0`` and ``w % cols == 0``, else a
  ``ValueError`` names the map size and the valid ``k`` (``uneven="adaptive"`` uses
  ``adaptive_avg_pool2d`` bins instead, e.g. for k = 18 on the paper's 24 x 8 map).

Registry names and MPM-LTL Table 1 rows (all with the k-part head):

=====================  =========================================================
``mpm_rgb``            row 1, baseline on RGB
``mpm_rgbm``           row 2, mask as a 4th convolved channel
``mpm_mask_bilinear``  row 3, mask channel downsampled bilinearly
``mpm``                rows 4-7, the mask-pooling model (rows 5-7 change only the
                       loss and triplet selection, not the model)
=====================  =========================================================

Output dict: ``features [B, k*d]``, ``parts`` (list of k ``[B, d]``), ``logits`` (list
of k ``[B, num_classes]``), ``feature_map`` ``T [B, C, h, w]`` (for the global-level
triplet loss of row 5). Parts are ordered row-major (top to bottom, then left to right).
"""
from __future__ import annotations

import os
from functools import partial
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .backbones import backbone_for_size
from .ide import check_num_classes
from .inputs import InputTrunk, MaskChannelStem
from .lite0_trunks import LITE0, Lite0Trunk
from .mask_pooling import DEFAULT_THRESHOLD
from .weights import load_backbone_weights

PART_GRIDS: dict[int, tuple[int, int]] = {1: (1, 1), 3: (3, 1), 6: (6, 1), 12: (6, 2), 18: (6, 3)}
UNEVEN = ("error", "adaptive")


class MPMStem(MaskChannelStem):
    """The MPM stem (MPM-LTL III-C, Fig. 4): ``MaskChannelStem`` with mask pooling.

    ``x [B,3,H,W]``, ``mask [B,1,H,W]`` -> ``[B, channels, ceil(H/4), ceil(W/4)]``; the
    last channel is ``MaskPool2d(3,2,1,t)(MaskPool2d(7,2,3,t)(mask))``, exactly binary.
    """

    def __init__(self, channels: int = 64, threshold: float = DEFAULT_THRESHOLD) -> None:
        super().__init__(channels, "mask_pool", threshold)


def part_grid(parts: int | tuple[int, int]) -> tuple[int, int]:
    """``(rows, cols)`` of a part count (:data:`PART_GRIDS`) or an explicit grid."""
    if isinstance(parts, tuple):
        if len(parts) == 2 and all(isinstance(v, int) and v >= 1 for v in parts):
            return parts
        raise ValueError(f"parts grid must be (rows, cols) of positive ints, got {parts!r}")
    if parts not in PART_GRIDS:
        raise ValueError(f"unknown part count {parts!r}; valid: {sorted(PART_GRIDS)} "
                         "(or a (rows, cols) tuple)")
    return PART_GRIDS[parts]


class PartHead(nn.Module):
    """k-part head of MPM-LTL (III-A, Fig. 6): ``T [B,C,h,w]`` -> k part features and logits."""

    def __init__(self, in_channels: int, num_classes: int, parts: int | tuple[int, int] = 6,
                 dim: int = 256, bn_relu: bool = True, uneven: str = "error") -> None:
        super().__init__()
        check_num_classes(num_classes)
        if uneven not in UNEVEN:
            raise ValueError(f"unknown uneven mode {uneven!r}; valid: {list(UNEVEN)}")
        if dim < 1:
            raise ValueError(f"part feature dim must be >= 1, got {dim}")
        self.rows, self.cols = part_grid(parts)
        self.num_parts, self.dim, self.uneven = self.rows * self.cols, dim, uneven
        self.reductions = nn.ModuleList(
            nn.Sequential(nn.Conv2d(in_channels, dim, 1, bias=not bn_relu),
                          *([nn.BatchNorm2d(dim), nn.ReLU(inplace=True)] if bn_relu else []))
            for _ in range(self.num_parts))
        self.classifiers = nn.ModuleList(nn.Linear(dim, num_classes) for _ in range(self.num_parts))
        for fc in self.classifiers:
            nn.init.normal_(fc.weight, std=0.001)
            nn.init.zeros_(fc.bias)

    def pool(self, fmap: torch.Tensor) -> torch.Tensor:
        """Average pool per part: ``[B, C, h, w]`` -> ``G [B, C, rows, cols]``."""
        h, w = fmap.shape[2:]
        if h % self.rows == 0 and w % self.cols == 0:
            return F.avg_pool2d(fmap, (h // self.rows, w // self.cols))
        if self.uneven == "adaptive":
            return F.adaptive_avg_pool2d(fmap, (self.rows, self.cols))
        valid = [k for k, (r, c) in PART_GRIDS.items() if h % r == 0 and w % c == 0]
        raise ValueError(f"{self.num_parts} parts ({self.rows}x{self.cols} grid) do not divide the "
                         f"{h}x{w} feature map; valid part counts for this map: {valid}. Change the "
                         f"input size (the map is 1/16 of it with last_stride=1) or pass uneven='adaptive'")

    def forward(self, fmap: torch.Tensor) -> dict[str, torch.Tensor | list[torch.Tensor]]:
        g = self.pool(fmap)
        cells = [g[:, :, r:r + 1, c:c + 1] for r in range(self.rows) for c in range(self.cols)]
        parts = [red(cell).flatten(1) for red, cell in zip(self.reductions, cells)]
        logits = [fc(p) for fc, p in zip(self.classifiers, parts)]
        return {"features": torch.cat(parts, dim=1), "parts": parts, "logits": logits}


class MPM(nn.Module):
    """Mask-pooling model: input trunk (MPM stem by default) + :class:`PartHead`.

    Args:
        num_classes: training identities. size: ``"small"`` | ``"paper"``.
        input_kind: ``"mask_pool"`` (MPM) or any other kind for the ablation rows.
        parts: 1, 3, 6 (default), 12, 18 or a ``(rows, cols)`` grid. dim: part feature size (256).
        threshold: mask pooling threshold (default :data:`DEFAULT_THRESHOLD` = 0.4, the
            paper's best on Market, Fig. 7).
        backbone, last_stride, pretrained, pretrained_sha256: as :class:`IDE`; ``backbone=
            "efficientnet_lite0"`` puts the input kind on an EfficientNet-Lite0
            (:class:`reidlib.models.lite0_trunks.Lite0Trunk`: ``rgb`` / ``mask_pool`` /
            ``masked_rgb``; ``pretrained`` is then its ImageNet checkpoint; the real-pixel arm).
        bn_relu, uneven: see :class:`PartHead`.
    """

    def __init__(self, num_classes: int, size: str = "small", input_kind: str = "mask_pool",
                 parts: int | tuple[int, int] = 6, dim: int = 256, threshold: float = DEFAULT_THRESHOLD,
                 backbone: str | None = None, last_stride: int = 1, bn_relu: bool = True,
                 uneven: str = "error", pretrained: str | os.PathLike | None = None,
                 pretrained_sha256: str | None = None) -> None:
        super().__init__()
        check_num_classes(num_classes)
        self.load_report = None
        if backbone == LITE0:
            self.trunk = Lite0Trunk(input_kind, last_stride, threshold, pretrained, pretrained_sha256)
        else:
            self.trunk = InputTrunk(input_kind, backbone_for_size(size, backbone), last_stride, threshold)
            if pretrained is not None:
                self.load_report = load_backbone_weights(self.trunk.backbone, pretrained, pretrained_sha256)
        self.head = PartHead(self.trunk.out_channels, num_classes, parts, dim, bn_relu, uneven)
        self.feature_dim = self.head.num_parts * dim

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> dict:
        fmap = self.trunk(x, mask)
        out = self.head(fmap)
        out["feature_map"] = fmap
        return out


MPM_MODELS: dict[str, Callable[..., nn.Module]] = {
    "mpm": partial(MPM, input_kind="mask_pool"),
    "mpm_rgb": partial(MPM, input_kind="rgb"),
    "mpm_rgbm": partial(MPM, input_kind="rgbm"),
    "mpm_mask_bilinear": partial(MPM, input_kind="mask_bilinear"),
}
