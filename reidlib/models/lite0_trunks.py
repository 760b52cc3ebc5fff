"""The papers' mask entry points on an ImageNet EfficientNet-Lite0 (the real-pixel arm, issue 16).

MPM-LTL (sec. IV-B) fine-tunes an ImageNet ResNet-50; DGD, MaskReID's base (MaskReID sec. 4),
trains its Inception network from scratch on GPUs. On this project's CPUs small models from
scratch learn nothing on real crops (``../shared/NOTES.md``), and the one ImageNet backbone
that installs offline is EfficientNet-Lite0 (:mod:`reidlib.models.efficientnet_lite`). These
trunks put each paper's mask entry onto it, so the CUHK01 rows differ only where the papers'
rows differ. This deviation from the papers is stated in every table that uses them.

:class:`Lite0Trunk` (MPM-LTL Table 1 rows, ``input_kind``):

* ``"rgb"``        row 1: Lite0 as it is.
* ``"mask_pool"``  rows 4-7, the MPM stem (MPM-LTL III-C, Fig. 4) moved to Lite0's stem. The
  stem conv (3x3/2) keeps 31 of its 32 ImageNet kernels on RGB (BN + ReLU6). The mask is
  mask-pooled with the stem's own window, ``MaskPool2d(3, 2, 1, t)`` (MPM-LTL eq. 1), and
  joins as the 32nd channel, without BN or activation, as in MPM-LTL. MPM pools the mask a
  second time at conv2_x's 3x3/2 max pool; Lite0 has no pooling layer, so the mask enters
  once. The kernel dropped is the last; the paper does not say which of ResNet's 64 it drops.
* ``"masked_rgb"`` ``x * mask`` into the unchanged network.

:class:`Lite0Levels` (MaskReID sec. 3.1, Fig. 3). Each input (``"rgb"``, ``"masked"`` or
``"both"``) gets its own copy of Lite0's first three conv layers: the stem conv and block 0's
depthwise and projection, the paper's "three separated convolution layers". The copies are
concatenated into the shared rest. With two streams, block 1's 1x1 expansion sees 32
channels; its ImageNet kernel is split over them (``[W/2, W/2]``), so two equal streams give
the pretrained response. The three levels the skipped fusing layer pools are taken at the
strides of DGD's:

* low: stage 2 (24 ch, /4);
* mid: stage 3 (40 ch, /8);
* high: the 1x1 head (1280 ch, /16 with ``last_stride=1``).

Inputs arrive normalised with ImageNet's mean / std (:class:`reidlib.data.transforms.Normalize`,
:data:`INPUT_MEAN` / :data:`INPUT_STD`). The first op maps them to the checkpoint's 127 / 128
scaling (:data:`reidlib.models.efficientnet_lite.MEAN` / ``STD``). ``pretrained``: the
checkpoint file, loaded strictly (:func:`reidlib.models.efficientnet_lite.load_imagenet`)
before the stem and block 1 are cut.

Shapes: ``x [B,3,H,W]``, ``mask [B,1,H,W]`` -> Lite0Trunk ``[B, 1280, ceil(H/16), ceil(W/16)]``;
Lite0Levels -> ``{"low": [B,24,H/4,W/4], "mid": [B,40,H/8,W/8], "high": [B,1280,H/16,W/16]}``.
"""
from __future__ import annotations

import os

import torch
from torch import nn

from .efficientnet_lite import MEAN, STD, EfficientNetLite0, load_imagenet
from .inputs import check_inputs
from .mask_pooling import DEFAULT_THRESHOLD, MaskPool2d

#: the normalisation reidlib's data pipeline applies (reidlib.data.transforms.IMAGENET_MEAN / _STD)
INPUT_MEAN, INPUT_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
LITE0 = "efficientnet_lite0"
TRUNK_KINDS = ("rgb", "mask_pool", "masked_rgb")
LEVEL_INPUTS = ("rgb", "masked", "both")
#: last block index (into EfficientNetLite0._blocks) of stage 2 (low) and stage 3 (mid)
LOW_BLOCK, MID_BLOCK = 2, 4


class Renormalise(nn.Module):
    """ImageNet-normalised RGB -> the Lite checkpoints' (p - 127) / 128 scaling, per channel."""

    def __init__(self) -> None:
        super().__init__()
        a = torch.tensor(INPUT_STD) / torch.tensor(STD)
        b = (torch.tensor(INPUT_MEAN) - torch.tensor(MEAN)) / torch.tensor(STD)
        self.register_buffer("scale", a.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("shift", b.view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale.to(x.dtype) + self.shift.to(x.dtype)


def lite0(last_stride: int, pretrained: str | os.PathLike | None, sha256: str | None = None) -> EfficientNetLite0:
    """A headless Lite0, ImageNet weights loaded from ``pretrained`` (checked against ``sha256``) when given."""
    net = EfficientNetLite0(last_stride=last_stride, num_classes=0)
    return load_imagenet(net, pretrained, sha256) if pretrained is not None else net


def _keep_kernels(conv: nn.Conv2d, bn: nn.BatchNorm2d, n: int) -> tuple[nn.Conv2d, nn.BatchNorm2d]:
    """The first ``n`` output kernels of ``conv`` and their BN (weights and running statistics)."""
    new_conv = nn.Conv2d(conv.in_channels, n, conv.kernel_size, conv.stride, conv.padding, bias=False)
    new_bn = nn.BatchNorm2d(n, eps=bn.eps, momentum=bn.momentum)
    with torch.no_grad():
        new_conv.weight.copy_(conv.weight[:n])
        for name in ("weight", "bias", "running_mean", "running_var"):
            getattr(new_bn, name).copy_(getattr(bn, name)[:n])
    return new_conv, new_bn


class Lite0Trunk(nn.Module):
    """Input kind + Lite0: ``(x, mask) -> [B, 1280, h, w]`` (module docstring)."""

    def __init__(self, input_kind: str = "rgb", last_stride: int = 1, threshold: float = DEFAULT_THRESHOLD,
                 pretrained: str | os.PathLike | None = None, pretrained_sha256: str | None = None) -> None:
        super().__init__()
        if input_kind not in TRUNK_KINDS:
            raise KeyError(f"input kind {input_kind!r} has no EfficientNet-Lite0 trunk; valid: {list(TRUNK_KINDS)}")
        self.input_kind, self.renorm = input_kind, Renormalise()
        self.net = lite0(last_stride, pretrained, pretrained_sha256)
        if input_kind == "mask_pool":
            n = self.net._conv_stem.out_channels - 1
            self.net._conv_stem, self.net._bn0 = _keep_kernels(self.net._conv_stem, self.net._bn0, n)
            self.mask_pool = MaskPool2d(3, 2, 1, threshold)
        self.out_channels = self.net.out_channels

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        check_inputs(x, mask, self.input_kind)
        x = self.renorm(x)
        if self.input_kind == "masked_rgb":
            x = x * mask.to(x.dtype)
        net = self.net
        y = net.act(net._bn0(net._conv_stem(x)))
        if self.input_kind == "mask_pool":
            y = torch.cat([y, self.mask_pool(mask.to(y.dtype)).to(y.dtype)], dim=1)
        for block in net._blocks:
            y = block(y)
        return net.act(net._bn1(net._conv_head(y)))


class Lite0Stream(nn.Module):
    """One input's own conv layers: Lite0's stem conv + block 0: ``[B,3,H,W] -> [B,16,H/2,W/2]``."""

    def __init__(self, net: EfficientNetLite0) -> None:
        super().__init__()
        self._conv_stem, self._bn0, self.block0, self.act = net._conv_stem, net._bn0, net._blocks[0], nn.ReLU6()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block0(self.act(self._bn0(self._conv_stem(x))))


class Lite0Levels(nn.Module):
    """MaskReID's streams and shared trunk on Lite0: ``(x, mask) -> {"low", "mid", "high"}``."""

    def __init__(self, inputs: str = "both", last_stride: int = 1,
                 pretrained: str | os.PathLike | None = None, pretrained_sha256: str | None = None) -> None:
        super().__init__()
        if inputs not in LEVEL_INPUTS:
            raise ValueError(f"unknown inputs {inputs!r}; valid: {list(LEVEL_INPUTS)}")
        self.inputs, self.renorm = inputs, Renormalise()
        names = ["rgb", "masked"] if inputs == "both" else [inputs]
        nets = [lite0(last_stride, pretrained, pretrained_sha256) for _ in names]   # each stream its own ImageNet copy
        self.streams = nn.ModuleDict({n: Lite0Stream(net) for n, net in zip(names, nets)})
        shared = nets[0]
        if len(names) > 1:   # block 1's expansion over the concatenated streams: [W/2, W/2]
            old = shared._blocks[1]._expand_conv
            new = nn.Conv2d(old.in_channels * len(names), old.out_channels, 1, bias=False)
            with torch.no_grad():
                new.weight.copy_(torch.cat([old.weight / len(names)] * len(names), dim=1))
            shared._blocks[1]._expand_conv = new
        self.blocks = nn.ModuleList(list(shared._blocks)[1:])
        self._conv_head, self._bn1, self.act = shared._conv_head, shared._bn1, nn.ReLU6()
        self.level_channels = {"low": shared._blocks[LOW_BLOCK]._bn2.num_features,
                               "mid": shared._blocks[MID_BLOCK]._bn2.num_features, "high": shared.out_channels}

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        x = self.renorm(x)
        feeds = {"rgb": x, "masked": x * mask.to(x.dtype) if mask is not None else None}
        y = torch.cat([s(feeds[n]) for n, s in self.streams.items()], dim=1)
        levels = {}
        for i, block in enumerate(self.blocks, start=1):
            y = block(y)
            if i == LOW_BLOCK:
                levels["low"] = y
            elif i == MID_BLOCK:
                levels["mid"] = y
        levels["high"] = self.act(self._bn1(self._conv_head(y)))
        return levels
