"""Mask pooling (MPM-LTL section III-C, Fig. 4).

A pooling window of a binary mask channel is pooled as foreground (1) when the
proportion of foreground pixels in it *exceeds* the threshold, otherwise as
background (0). The paper says "exceeds", so the comparison is strict::

    out[b, c, i, j] = 1  if  count(window) / n(window) > threshold  else 0

Edge cases (a consequence of the strict ``>``):

* ``threshold = 0``: any foreground pixel makes the window foreground, i.e. the
  result equals max pooling of the binary mask;
* ``threshold = 1``: no proportion can exceed 1, so the output is all zeros.

Padding counts as background (``count_include_pad=True``, the default): a window
that hangs over the border has ``n(window) = kernel_h * kernel_w``. With
``count_include_pad=False`` only the pixels inside the image are counted.
Soft masks in [0, 1] are accepted; the "proportion" is then their mean value.

Shapes: ``mask [B, C, H, W]`` (C = 1 in MPM) -> ``[B, C, H', W']`` with the usual
pooling output size ``floor((H + 2 p - k) / s) + 1``; values exactly 0 or 1, in
the input's dtype.

Implementation: the window sums come from ``avg_pool2d(divisor_override=1)``
(exact integers for binary masks), and the proportion is compared in float64,
so ``count / n > threshold`` is decided exactly as a loop over windows would.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

IntPair = int | tuple[int, int]

#: The one default mask-pooling threshold of every signature (this module, the mask-channel
#: stems, IDE, MPM, the ``mpm_ltl`` recipe): 0.4, MPM-LTL's best on Market-1501 (sec. IV-C,
#: Fig. 7; 0.5 on Duke, 0.4-0.7 the best group, Fig. 8). Pass ``threshold=`` to change it.
DEFAULT_THRESHOLD = 0.4


def _pair(value: IntPair, name: str, minimum: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and v >= minimum for v in pair):
        raise ValueError(f"MaskPool2d: {name} must be an int >= {minimum} or a pair of them, got {value!r}")
    return pair  # type: ignore[return-value]


def mask_pool2d(mask: torch.Tensor, kernel_size: IntPair, stride: IntPair | None = None,
                padding: IntPair = 0, threshold: float = DEFAULT_THRESHOLD,
                count_include_pad: bool = True) -> torch.Tensor:
    """Functional mask pooling; see the module docstring (MPM-LTL III-C)."""
    k = _pair(kernel_size, "kernel_size", 1)
    s = _pair(k if stride is None else stride, "stride", 1)
    p = _pair(padding, "padding", 0)
    if not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"MaskPool2d: threshold must be in [0, 1], got {threshold!r}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"MaskPool2d: padding {p} must be at most half the kernel size {k}")
    if mask.dim() != 4:
        raise ValueError(f"MaskPool2d expects a mask [B, C, H, W], got shape {tuple(mask.shape)}")
    m = mask.float()
    counts = F.avg_pool2d(m, k, s, p, divisor_override=1)
    if count_include_pad or p == (0, 0):
        frac = counts.double() / float(k[0] * k[1])
    else:
        ones = torch.ones_like(m[:1, :1])
        n = F.avg_pool2d(ones, k, s, p, divisor_override=1)
        frac = counts.double() / n.double()
    return (frac > float(threshold)).to(mask.dtype if mask.is_floating_point() else torch.float32)


class MaskPool2d(nn.Module):
    """Mask pooling layer (MPM-LTL III-C): window -> 1 iff its foreground share > threshold.

    Args:
        kernel_size, stride, padding: as ``nn.AvgPool2d`` (stride defaults to the kernel).
        threshold: in [0, 1] (default :data:`DEFAULT_THRESHOLD`); the paper's best values are
            0.4-0.7 (Fig. 7-8).
        count_include_pad: padding pixels count as background (default ``True``).
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 threshold: float = DEFAULT_THRESHOLD, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = _pair(self.kernel_size if stride is None else stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        if not isinstance(threshold, (int, float)) or not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"MaskPool2d: threshold must be in [0, 1], got {threshold!r}")
        if self.padding[0] > self.kernel_size[0] // 2 or self.padding[1] > self.kernel_size[1] // 2:
            raise ValueError(f"MaskPool2d: padding {self.padding} must be at most half the "
                             f"kernel size {self.kernel_size}")
        self.threshold = float(threshold)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, mask: torch.Tensor) -> torch.Tensor:
        return mask_pool2d(mask, self.kernel_size, self.stride, self.padding, self.threshold,
                           self.count_include_pad)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"threshold={self.threshold}, count_include_pad={self.count_include_pad}")
