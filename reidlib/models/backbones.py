"""ResNet backbones at the paper's size and at CPU-trainable widths.

MPM-LTL (III-C, Table 1 row 1) and the IDE baseline use ResNet-50 [He et al. 2016].
The blocks are torchvision's ``BasicBlock`` / ``Bottleneck``; the layout and the
parameter names equal ``torchvision.models.resnet50`` except that ``conv1``,
``bn1``, ``relu`` and ``maxpool`` live in ``stem`` (so the stem can be swapped for
the MPM mask-channel stem); :func:`reidlib.models.weights.torchvision_key_map`
maps torchvision checkpoints onto these names. No weights are ever downloaded.

====================  ==========  =======  =====  ============================
name                  block       blocks   width  output channels
====================  ==========  =======  =====  ============================
``resnet50``          Bottleneck  3,4,6,3  64     2048 (``size="paper"``)
``resnet50_quarter``  Bottleneck  3,4,6,3  16     512
``resnet18``          BasicBlock  2,2,2,2  64     512
``resnet18_half``     BasicBlock  2,2,2,2  32     256
``resnet18_quarter``  BasicBlock  2,2,2,2  16     128
====================  ==========  =======  =====  ============================

``last_stride`` (stride of ``layer4``) defaults to 1, the common re-ID choice; it
gives MPM-LTL's 24 x 8 map at 384 x 128 input (section IV-B). Output stride is
16 with ``last_stride=1`` and 32 with 2.

Shapes: ``x [B, in_channels, H, W]`` -> ``[B, out_channels, ceil(H/16), ceil(W/16)]``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck


@dataclass(frozen=True)
class BackboneSpec:
    """Block type, blocks per stage and base width of one ResNet."""

    block: type
    layers: tuple[int, int, int, int]
    width: int


BACKBONES: dict[str, BackboneSpec] = {
    "resnet50": BackboneSpec(Bottleneck, (3, 4, 6, 3), 64),
    "resnet50_quarter": BackboneSpec(Bottleneck, (3, 4, 6, 3), 16),
    "resnet18": BackboneSpec(BasicBlock, (2, 2, 2, 2), 64),
    "resnet18_half": BackboneSpec(BasicBlock, (2, 2, 2, 2), 32),
    "resnet18_quarter": BackboneSpec(BasicBlock, (2, 2, 2, 2), 16),
}
SIZE_BACKBONES: dict[str, str] = {"paper": "resnet50", "small": "resnet18_half"}


def backbone_for_size(size: str, backbone: str | None = None) -> str:
    """Backbone name for a model size (``"paper"`` | ``"small"``), or ``backbone`` if given."""
    if size not in SIZE_BACKBONES:
        raise ValueError(f"unknown size {size!r}; valid sizes: {sorted(SIZE_BACKBONES)}")
    name = SIZE_BACKBONES[size] if backbone is None else backbone
    if name not in BACKBONES:
        raise KeyError(f"unknown backbone {name!r}; valid backbones: {sorted(BACKBONES)}")
    return name


class PlainStem(nn.Module):
    """ResNet conv1 (7x7, stride 2) + BN + ReLU + conv2_x max pool (3x3, stride 2).

    ``x [B, in_channels, H, W]`` -> ``[B, channels, H/4, W/4]``; ``mask`` is ignored
    (the input kinds that use it fold it into ``x`` beforehand).
    """

    def __init__(self, in_channels: int = 3, channels: int = 64) -> None:
        super().__init__()
        if in_channels < 1 or channels < 1:
            raise ValueError(f"PlainStem: in_channels and channels must be >= 1, got {in_channels}, {channels}")
        self.conv1 = nn.Conv2d(in_channels, channels, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.maxpool(self.relu(self.bn1(self.conv1(x))))


def _make_layer(block: type, inplanes: int, planes: int, blocks: int, stride: int) -> tuple[nn.Sequential, int]:
    out = planes * block.expansion
    downsample = None
    if stride != 1 or inplanes != out:
        downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride, bias=False), nn.BatchNorm2d(out))
    layers = [block(inplanes, planes, stride, downsample)]
    layers += [block(out, planes) for _ in range(blocks - 1)]
    return nn.Sequential(*layers), out


class ResNetBackbone(nn.Module):
    """ResNet trunk without pooling/classifier: ``stem`` then ``layer1``..``layer4``.

    Args:
        name: one of :data:`BACKBONES`.
        in_channels: input channels of the plain stem (3 RGB, 4 RGB-M, 1 mask only).
        last_stride: stride of ``layer4`` (1 or 2; default 1).
        stem: a replacement stem module ``forward(x, mask) -> [B, width, H/4, W/4]``.
    """

    def __init__(self, name: str = "resnet50", in_channels: int = 3, last_stride: int = 1,
                 stem: nn.Module | None = None) -> None:
        super().__init__()
        if name not in BACKBONES:
            raise KeyError(f"unknown backbone {name!r}; valid backbones: {sorted(BACKBONES)}")
        if last_stride not in (1, 2):
            raise ValueError(f"last_stride must be 1 or 2, got {last_stride!r}")
        spec = BACKBONES[name]
        self.name, self.width, self.last_stride = name, spec.width, last_stride
        self.stem = stem if stem is not None else PlainStem(in_channels, spec.width)
        inplanes = spec.width
        for i, (blocks, stride) in enumerate(zip(spec.layers, (1, 2, 2, last_stride))):
            layer, inplanes = _make_layer(spec.block, inplanes, spec.width * 2 ** i, blocks, stride)
            self.add_module(f"layer{i + 1}", layer)
        self.out_channels = inplanes
        for m in self.modules():  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward_layers(self, x: torch.Tensor) -> torch.Tensor:
        """``layer1``..``layer4`` on the stem output ``[B, width, h, w]``."""
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.forward_layers(self.stem(x, mask))
