"""Attention-to-mask MSE loss (MGCAM eq. 5).

``L_att = sum_{i,j} ||M_(i,j) - Phi+_(i,j)||^2`` between the body-aware attention map
``Phi+`` and the binary body mask ``M`` at the attention map's resolution.

Shapes: ``attention`` ``[B, 1, h, w]`` (values in [0, 1]), ``mask`` ``[B, 1, H, W]``
or ``[B, H, W]`` in [0, 1]. When ``(H, W) != (h, w)`` the mask is resized with
``resize`` (default ``"area"``: the fraction of foreground pixels of each cell,
which is what a bilinear-free downsampling of a binary mask means; ``"nearest"``
and ``"bilinear"`` are offered).

Choice: eq. 5 sums over positions (``reduction="sum"``, the default: per-image
sum, then mean over the batch); ``reduction="mean"`` averages over positions too
(the usual ``nn.MSELoss``; MGCAM's Caffe ``EuclideanLoss`` is the per-image sum
divided by 2, a factor the loss weight beta absorbs).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

RESIZE_MODES = ("area", "nearest", "bilinear")
ATT_REDUCTIONS = ("sum", "mean")


def resize_mask(mask: Tensor, size: tuple[int, int], mode: str = "area") -> Tensor:
    """``[B, 1, H, W]`` mask -> ``[B, 1, h, w]`` with ``mode`` in area/nearest/bilinear."""
    if mode not in RESIZE_MODES:
        raise ValueError(f"unknown resize mode {mode!r}; valid: {', '.join(RESIZE_MODES)}")
    if tuple(mask.shape[-2:]) == tuple(size):
        return mask
    if mode == "area":
        return F.adaptive_avg_pool2d(mask, size)
    if mode == "nearest":
        return F.interpolate(mask, size=size, mode="nearest")
    return F.interpolate(mask, size=size, mode="bilinear", align_corners=False)


def attention_mse_loss(attention: Tensor, mask: Tensor, resize: str = "area",
                       reduction: str = "sum") -> Tensor:
    """MGCAM eq. 5, averaged over the batch; scalar tensor."""
    if reduction not in ATT_REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; valid: {', '.join(ATT_REDUCTIONS)}")
    if attention.dim() != 4 or attention.shape[1] != 1:
        raise ValueError(f"attention must be [B, 1, h, w], got {tuple(attention.shape)}")
    if mask.dim() == 3:
        mask = mask[:, None]
    if mask.dim() != 4 or mask.shape[1] != 1 or mask.shape[0] != attention.shape[0]:
        raise ValueError(f"mask must be [B, 1, H, W] or [B, H, W] with B = {attention.shape[0]}, "
                         f"got {tuple(mask.shape)}")
    m = resize_mask(mask.to(attention.dtype), tuple(attention.shape[-2:]), resize)
    per_image = (m - attention).pow(2).flatten(1)
    per_image = per_image.sum(1) if reduction == "sum" else per_image.mean(1)
    return per_image.mean()


class AttentionMSELoss(nn.Module):
    """Module form of :func:`attention_mse_loss` (MGCAM eq. 5)."""

    def __init__(self, resize: str = "area", reduction: str = "sum") -> None:
        super().__init__()
        if resize not in RESIZE_MODES:
            raise ValueError(f"unknown resize mode {resize!r}; valid: {', '.join(RESIZE_MODES)}")
        self.resize, self.reduction = resize, reduction

    def forward(self, attention: Tensor, mask: Tensor) -> Tensor:
        return attention_mse_loss(attention, mask, self.resize, self.reduction)
