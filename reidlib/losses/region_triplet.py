"""Region-level triplet loss (MGCAM eq. 6).

``L_trip = ||h_full - h_body||^2 + max(m - ||h_full - h_bgd||^2, 0)`` with the
squared Euclidean distance and ``m = 10``; the anchor, positive and negative are
the full, body and background stream features *of the same image*. Averaged over
the images of the batch.

Shapes: ``h_full``, ``h_body``, ``h_bgd`` ``[B, D]``. Labels are not needed (all
three come from one image); the signature keeps the losses' ``labels`` slot
optional for uniformity.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from ._common import check_margin, pair_distance, reduce


def region_triplet_loss(h_full: Tensor, h_body: Tensor, h_bgd: Tensor, margin: float = 10.0,
                        reduction: str = "mean") -> Tensor:
    """MGCAM eq. 6, mean over images; scalar tensor."""
    m = check_margin(margin)
    if not (h_full.shape == h_body.shape == h_bgd.shape) or h_full.dim() != 2:
        raise ValueError(f"h_full, h_body, h_bgd must all be [B, D], got {tuple(h_full.shape)}, "
                         f"{tuple(h_body.shape)}, {tuple(h_bgd.shape)}")
    pull = pair_distance(h_full, h_body, squared=True)
    push = F.relu(m - pair_distance(h_full, h_bgd, squared=True))
    return reduce(pull + push, reduction)


class RegionTripletLoss(nn.Module):
    """Module form of :func:`region_triplet_loss` (MGCAM eq. 6, m = 10)."""

    def __init__(self, margin: float = 10.0, reduction: str = "mean") -> None:
        super().__init__()
        self.margin, self.reduction = check_margin(margin), reduction

    def forward(self, h_full: Tensor, h_body: Tensor, h_bgd: Tensor) -> Tensor:
        return region_triplet_loss(h_full, h_body, h_bgd, self.margin, self.reduction)
