"""How the person mask enters the network (MPM-LTL Table 1 rows 1-4; MaskReID/MGCAM inputs).

Input kinds (``x [B,3,H,W]`` normalised RGB, ``mask [B,1,H,W]`` in [0, 1]):

=================  ==================================================================
``rgb``            RGB only; the mask is ignored (MPM-LTL row 1, the baseline).
``rgbm``           ``cat(x, mask)`` -> 4-channel conv1: the mask is a 4th *convolved*
                   channel (row 2, "mask (convolution)"; MGCAM's RGB-M input).
``mask_bilinear``  the MPM stem with bilinear interpolation in place of mask pooling
                   (row 3): conv1 has ``width - 1`` kernels on RGB, the mask is resized
                   bilinearly to conv1's output size and concatenated (``width``
                   channels), then the 3x3 max pool runs on the RGB channels and the
                   mask channel is resized bilinearly again to the pooled size. Placing
                   it exactly where mask pooling sits makes rows 3 and 4 differ only
                   in the downsampling operator (the paper does not say where).
``mask_pool``      the MPM stem (row 4+, MPM-LTL III-C): as ``mask_bilinear`` with
                   :class:`MaskPool2d` (7x7/2 then 3x3/2) instead of interpolation.
``masked_rgb``     ``x * mask``: background set to 0, i.e. the normalised mean colour
                   (MaskReID's masked image).
``mask_only``      the mask alone, a 1-channel conv1.
=================  ==================================================================

In the mask-channel stems the mask channel skips BN and ReLU (the paper applies
"BatchNorm normalization and ReLU activation" to the RGB kernels only), so after mask
pooling it is exactly binary.

Shapes: trunk ``(x, mask) -> [B, C, ceil(H/16), ceil(W/16)]`` (``last_stride=1``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .backbones import BACKBONES, ResNetBackbone
from .mask_pooling import DEFAULT_THRESHOLD, MaskPool2d

INPUT_KINDS: dict[str, int] = {  # kind -> channels of the image fed to conv1
    "rgb": 3, "rgbm": 4, "mask_bilinear": 3, "mask_pool": 3, "masked_rgb": 3, "mask_only": 1,
}
MASK_CHANNEL_KINDS = {"mask_bilinear": "bilinear", "mask_pool": "mask_pool"}
MASK_DOWNSAMPLES = ("mask_pool", "bilinear")


def check_input_kind(kind: str) -> str:
    if kind not in INPUT_KINDS:
        raise KeyError(f"unknown input kind {kind!r}; valid kinds: {sorted(INPUT_KINDS)}")
    return kind


def check_inputs(x: torch.Tensor, mask: torch.Tensor | None, kind: str) -> None:
    """Raise a clear error for a wrong ``x``/``mask`` shape or a missing mask."""
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"expected x of shape [B, 3, H, W] (normalised RGB), got {tuple(x.shape)}")
    if mask is None:
        if kind != "rgb":
            raise ValueError(f"input kind {kind!r} needs a mask [B, 1, H, W]; pass forward(x, mask)")
        return
    if mask.dim() != 4 or mask.shape[1] != 1 or mask.shape[0] != x.shape[0] or mask.shape[2:] != x.shape[2:]:
        raise ValueError(f"expected mask of shape [B, 1, H, W] = {[x.shape[0], 1, *x.shape[2:]]}, "
                         f"got {tuple(mask.shape)}")


def pixel_input(kind: str, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """The image fed to conv1 for ``kind`` (see the module docstring)."""
    check_input_kind(kind)
    if kind == "rgbm":
        return torch.cat([x, mask.to(x.dtype)], dim=1)
    if kind == "masked_rgb":
        return x * mask.to(x.dtype)
    if kind == "mask_only":
        return mask.to(x.dtype)
    return x


class MaskChannelStem(nn.Module):
    """Stem with a separate mask channel (MPM-LTL III-C, Fig. 4).

    conv1: ``channels - 1`` kernels (7x7, stride 2) + BN + ReLU on RGB, the mask
    downsampled to the same size -> ``channels`` maps; conv2_x pool: 3x3/2 max pool on
    the ``channels - 1`` maps, the mask channel downsampled again -> ``channels``.

    ``mask_downsample="mask_pool"``: ``MaskPool2d(7, 2, 3, threshold)`` then
    ``MaskPool2d(3, 2, 1, threshold)`` (the MPM stem); ``"bilinear"``: bilinear
    interpolation to the same sizes (row 3). Shapes: ``x [B,3,H,W]``, ``mask [B,1,H,W]``
    -> ``[B, channels, ceil(H/4), ceil(W/4)]``; the last channel is the mask.
    """

    def __init__(self, channels: int = 64, mask_downsample: str = "mask_pool",
                 threshold: float = DEFAULT_THRESHOLD) -> None:
        super().__init__()
        if mask_downsample not in MASK_DOWNSAMPLES:
            raise ValueError(f"unknown mask_downsample {mask_downsample!r}; valid: {list(MASK_DOWNSAMPLES)}")
        if channels < 2:
            raise ValueError(f"MaskChannelStem needs channels >= 2 (RGB kernels + mask), got {channels}")
        self.channels, self.mask_downsample = channels, mask_downsample
        self.conv1 = nn.Conv2d(3, channels - 1, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(channels - 1)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        if mask_downsample == "mask_pool":
            self.mask_pool1 = MaskPool2d(7, 2, 3, threshold)
            self.mask_pool2 = MaskPool2d(3, 2, 1, threshold)
        self.threshold = float(threshold)

    def _down(self, mask: torch.Tensor, size: torch.Size, stage: int) -> torch.Tensor:
        if self.mask_downsample == "mask_pool":
            return (self.mask_pool1 if stage == 1 else self.mask_pool2)(mask)
        return F.interpolate(mask, size=tuple(size), mode="bilinear", align_corners=False)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            raise ValueError("MaskChannelStem needs a mask [B, 1, H, W]")
        y = self.relu(self.bn1(self.conv1(x)))
        m = self._down(mask.to(y.dtype), y.shape[2:], 1)  # conv1 level: cat(y, m) has `channels` maps
        y = self.maxpool(y)
        m = self._down(m, y.shape[2:], 2)
        return torch.cat([y, m.to(y.dtype)], dim=1)


class InputTrunk(nn.Module):
    """Input kind + ResNet backbone: ``(x, mask) -> feature map [B, out_channels, h, w]``."""

    def __init__(self, input_kind: str = "rgb", backbone: str = "resnet18_half", last_stride: int = 1,
                 threshold: float = DEFAULT_THRESHOLD) -> None:
        super().__init__()
        self.input_kind = check_input_kind(input_kind)
        if backbone not in BACKBONES:
            raise KeyError(f"unknown backbone {backbone!r}; valid backbones: {sorted(BACKBONES)}")
        stem = None
        if input_kind in MASK_CHANNEL_KINDS:
            stem = MaskChannelStem(BACKBONES[backbone].width, MASK_CHANNEL_KINDS[input_kind], threshold)
        self.backbone = ResNetBackbone(backbone, INPUT_KINDS[input_kind], last_stride, stem)
        self.out_channels = self.backbone.out_channels

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        check_inputs(x, mask, self.input_kind)
        if self.input_kind in MASK_CHANNEL_KINDS:
            return self.backbone(x, mask)
        return self.backbone(pixel_input(self.input_kind, x, mask))
