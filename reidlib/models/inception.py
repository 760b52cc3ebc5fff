"""DGD-style inception network, the base of MaskReID (MaskReID sec. 3.1, Fig. 3).

MaskReID adopts "the network of Xiao et al. [33] which has an inception structure"
(DGD, *Learning deep feature representations with domain guided dropout*, CVPR 2016).
DGD's table (input ``3 x 144 x 56``)::

    conv1-conv3  3x3/1            32 x 144 x 56     -> :class:`ConvStem`
    pool3        2x2/2            32 x  72 x 28
    inception 4a                 256 x  72 x 28     -> :class:`InceptionA` (4 x 64)
    inception 4b  stride 2       384 x  36 x 14     -> :class:`InceptionB` (256 + 2 x 64)
    inception 5a                 512 x  36 x 14
    inception 5b  stride 2       768 x  18 x  7
    inception 6a                1024 x  18 x  7
    inception 6b  stride 2      1536 x   9 x  4

:class:`InceptionTrunk` returns the three *levels* MaskReID fuses: ``low`` (after 4b),
``mid`` (after 5b) and ``high`` (after 6b). The paper does not say where its levels
are cut; the ends of the three stride-2 stages are the natural reading.

Choices where DGD/MaskReID are silent: every conv is conv-BN-ReLU; "a" modules have
the four GoogLeNet branches (1x1; 1x1-3x3; 1x1-3x3-3x3; 3x3 avg-pool-1x1), each
``branch`` channels; "b" modules are BN-Inception's grid reductions (1x1-3x3/2;
1x1-3x3-3x3/2; 3x3/2 max-pool pass-through) with ``branch`` channels per conv branch.
``width`` scales every channel count (1.0 = the table above; ``small`` uses 0.25).
"""
from __future__ import annotations

import torch
from torch import nn


def conv_bn_relu(cin: int, cout: int, k: int = 3, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    """``k x k`` convolution (same padding), BatchNorm, ReLU."""
    pad = dilation * (k - 1) // 2
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ConvStem(nn.Sequential):
    """DGD conv1-conv3: three 3x3 stride-1 conv-BN-ReLU layers, ``[B,cin,H,W] -> [B,cout,H,W]``."""

    def __init__(self, cin: int, cout: int = 32) -> None:
        super().__init__(conv_bn_relu(cin, cout), conv_bn_relu(cout, cout), conv_bn_relu(cout, cout))
        self.out_channels = cout


class InceptionA(nn.Module):
    """Resolution-keeping inception module: ``[B,cin,H,W] -> [B,4*branch,H,W]``."""

    def __init__(self, cin: int, branch: int) -> None:
        super().__init__()
        self.b1 = conv_bn_relu(cin, branch, 1)
        self.b3 = nn.Sequential(conv_bn_relu(cin, branch, 1), conv_bn_relu(branch, branch))
        self.b33 = nn.Sequential(conv_bn_relu(cin, branch, 1), conv_bn_relu(branch, branch),
                                 conv_bn_relu(branch, branch))
        self.bp = nn.Sequential(nn.AvgPool2d(3, 1, 1, count_include_pad=False), conv_bn_relu(cin, branch, 1))
        self.out_channels = 4 * branch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b1(x), self.b3(x), self.b33(x), self.bp(x)], dim=1)


class InceptionB(nn.Module):
    """Grid-reduction inception module: ``[B,cin,H,W] -> [B,cin+2*branch,ceil(H/2),ceil(W/2)]``."""

    def __init__(self, cin: int, branch: int) -> None:
        super().__init__()
        self.b3 = nn.Sequential(conv_bn_relu(cin, branch, 1), conv_bn_relu(branch, branch, 3, stride=2))
        self.b33 = nn.Sequential(conv_bn_relu(cin, branch, 1), conv_bn_relu(branch, branch),
                                 conv_bn_relu(branch, branch, 3, stride=2))
        self.bp = nn.MaxPool2d(3, 2, 1)
        self.out_channels = cin + 2 * branch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.bp(x), self.b3(x), self.b33(x)], dim=1)


class InceptionTrunk(nn.Module):
    """DGD pool3 .. inception 6b, returning the low / mid / high levels.

    Input ``[B, cin, H, W]`` (the concatenated stem outputs); output dict
    ``low [B,c4,H/4,W/4]``, ``mid [B,c5,H/8,W/8]``, ``high [B,c6,H/16,W/16]``
    (ceil-rounded), with ``c4, c5, c6 = 384, 768, 1536`` at ``width=1``.
    """

    BRANCHES = (64, 128, 256)  # branch channels of stages 4, 5, 6 at width 1

    def __init__(self, cin: int, width: float = 1.0) -> None:
        super().__init__()
        if not width > 0:
            raise ValueError(f"width must be > 0, got {width}")
        b4, b5, b6 = (max(1, int(round(b * width))) for b in self.BRANCHES)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        stages = []
        c = cin
        for b in (b4, b5, b6):
            a = InceptionA(c, b)
            r = InceptionB(a.out_channels, b)
            stages.append(nn.Sequential(a, r))
            c = r.out_channels
        self.stage4, self.stage5, self.stage6 = stages
        self.level_channels = {
            "low": stages[0][1].out_channels,
            "mid": stages[1][1].out_channels,
            "high": stages[2][1].out_channels,
        }

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        low = self.stage4(self.pool3(x))
        mid = self.stage5(low)
        high = self.stage6(mid)
        return {"low": low, "mid": mid, "high": high}
