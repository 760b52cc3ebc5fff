"""MSCAN-body: multi-scale context-aware network, the base of MGCAM (MGCAM sec. 3.1, Table 2).

MSCAN (Li et al., CVPR 2017) is trained from scratch on ``160 x 64`` inputs. Each of its
four stages is a *multi-scale context-aware convolution*: three parallel 3x3 convolutions
with dilations 1, 2, 3 (``branch`` channels each, BN each), concatenated, ReLU; stages
are separated by 2x2 max pooling. Layout (paper size, ``branch=32``, as in the MGCAM
authors' released deploy prototxt)::

    input [B,cin,160,64] -> conv0 5x5 (32) BN ReLU -> pool0      [B,32,80,32]
    stage1 MSC -> [B,96,80,32] -> pool1 -> stage2 MSC            [B,96,40,16]  = f_stage-2
    pool2 -> stage3 MSC [B,96,20,8] -> pool3 -> stage4 MSC [B,96,10,4] -> pool4 [B,96,5,2]
    flatten -> FC 128 -> Dropout(0.2)                            [B,128]

:class:`MSCANStem` is conv0..stage2 and :class:`MSCANHead` is pool2..FC, so MGCAM can
run three heads on one stem. Choice: pool4 is an adaptive max pool to a fixed ``5 x 2``
grid, which equals the 2x2 max pool at 160x64 and lets other input sizes work.

Input kinds (MGCAM Table 2): ``rgb`` (3 ch), ``mask`` (1 ch), ``masked_rgb`` (``x*mask``,
3 ch; background = mean colour after normalisation) and ``rgbm`` (RGB + mask, 4 ch).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

INPUT_KINDS = {"rgb": 3, "mask": 1, "masked_rgb": 3, "rgbm": 4}
SIZES = {"paper": 32, "small": 12}  # branch channels per dilation
PAPER_INPUT_SIZE = (160, 64)


def check_size(size: str) -> int:
    """Branch channels of a size preset, or raise naming the valid sizes."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; valid sizes: {sorted(SIZES)}")
    return SIZES[size]


def make_input(x: torch.Tensor, mask: torch.Tensor | None, kind: str) -> torch.Tensor:
    """Build the network input of ``kind`` from ``x [B,3,H,W]`` and ``mask [B,1,H,W]``."""
    if kind not in INPUT_KINDS:
        raise ValueError(f"unknown input kind {kind!r}; valid: {sorted(INPUT_KINDS)}")
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"x must be [B,3,H,W] normalised RGB, got {tuple(x.shape)}")
    if kind == "rgb":
        return x
    if mask is None:
        raise ValueError(f"input kind {kind!r} needs mask [B,1,H,W]; pass mask= or use kind 'rgb'")
    if mask.shape != (x.shape[0], 1, *x.shape[2:]):
        raise ValueError(f"mask must be [B,1,H,W] = {(x.shape[0], 1, *x.shape[2:])}, got {tuple(mask.shape)}")
    if kind == "mask":
        return mask
    if kind == "masked_rgb":
        return x * mask
    return torch.cat([x, mask], dim=1)


class MultiScaleConv(nn.Module):
    """Parallel 3x3 convs with the given dilations, BN each, concatenated, ReLU.

    ``[B,cin,H,W] -> [B,len(dilations)*branch,H,W]``.
    """

    def __init__(self, cin: int, branch: int, dilations: tuple[int, ...] = (1, 2, 3)) -> None:
        super().__init__()
        if branch < 1 or not dilations or min(dilations) < 1:
            raise ValueError(f"branch must be >= 1 and dilations >= 1, got {branch}, {dilations}")
        self.branches = nn.ModuleList(
            nn.Sequential(nn.Conv2d(cin, branch, 3, padding=d, dilation=d), nn.BatchNorm2d(branch))
            for d in dilations)
        self.relu = nn.ReLU(inplace=True)
        self.out_channels = branch * len(dilations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(torch.cat([b(x) for b in self.branches], dim=1))


class MSCANStem(nn.Sequential):
    """conv0 .. stage 2: ``[B,cin,H,W] -> f_stage-2 [B,3*branch,H/4,W/4]``."""

    def __init__(self, cin: int, branch: int = 32, dilations: tuple[int, ...] = (1, 2, 3)) -> None:
        s1 = MultiScaleConv(branch, branch, dilations)
        s2 = MultiScaleConv(s1.out_channels, branch, dilations)
        super().__init__(nn.Conv2d(cin, branch, 5, padding=2), nn.BatchNorm2d(branch), nn.ReLU(inplace=True),
                         nn.MaxPool2d(2, 2), s1, nn.MaxPool2d(2, 2), s2)
        self.out_channels = s2.out_channels


class MSCANHead(nn.Module):
    """pool2 .. FC: ``f [B,cin,h,w] -> [B,feat_dim]`` (stages 3-4, pool4 to ``grid``, FC, dropout)."""

    def __init__(self, cin: int, branch: int = 32, feat_dim: int = 128, dropout: float = 0.2,
                 dilations: tuple[int, ...] = (1, 2, 3), grid: tuple[int, int] = (5, 2)) -> None:
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        s3 = MultiScaleConv(cin, branch, dilations)
        s4 = MultiScaleConv(s3.out_channels, branch, dilations)
        self.body = nn.Sequential(nn.MaxPool2d(2, 2), s3, nn.MaxPool2d(2, 2), s4, nn.AdaptiveMaxPool2d(grid))
        self.fc = nn.Linear(s4.out_channels * grid[0] * grid[1], feat_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.fc(self.body(f).flatten(1)))


class MSCAN(nn.Module):
    """MSCAN-body baseline (MGCAM Table 2 rows 1-4). ``forward(x, mask) -> dict``.

    Output ``features [B,feat_dim]`` (the FC output) and ``logits [B,num_classes]``.
    """

    def __init__(self, num_classes: int, input_kind: str = "rgb", branch: int = 32,
                 feat_dim: int = 128, dropout: float = 0.2) -> None:
        super().__init__()
        if input_kind not in INPUT_KINDS:
            raise ValueError(f"unknown input_kind {input_kind!r}; valid: {sorted(INPUT_KINDS)}")
        if num_classes < 1 or feat_dim < 1:
            raise ValueError(f"num_classes and feat_dim must be >= 1, got {num_classes}, {feat_dim}")
        self.input_kind = input_kind
        self.stem = MSCANStem(INPUT_KINDS[input_kind], branch)
        self.head = MSCANHead(self.stem.out_channels, branch, feat_dim, dropout)
        self.classifier = nn.Linear(feat_dim, num_classes)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> dict:
        feat = self.head(self.stem(make_input(x, mask, self.input_kind)))
        return {"features": feat, "logits": self.classifier(feat)}


def build_mscan(num_classes: int, size: str = "small", **kwargs) -> MSCAN:
    """MSCAN-body; ``input_kind`` in rgb / mask / masked_rgb / rgbm (default rgb)."""
    params = {"branch": check_size(size)}
    params.update(kwargs)
    return MSCAN(num_classes, **params)


MODELS: dict[str, Callable[..., nn.Module]] = {"mscan": build_mscan}
