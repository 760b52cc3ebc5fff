"""Local-level triplet loss (MPM-LTL eq. 2).

``L = 1/k sum_{i=1..k} (d^i(a,p) - d^i(a,n) + alpha)_+``: the hinge is applied to
each part separately and the k hinged values are averaged (the paper: "we
calculate the triplet loss of each part, and take the average"); ``d^i`` is the
Euclidean distance between the i-th part features, ``alpha = 0.5``. With k = 1 it
is the global triplet loss (MPM-LTL eq. 1).

Shapes: ``parts`` ``[B, k, d]`` or a list of k tensors ``[B, d]`` (a model's
``parts`` output); ``labels`` ``[B]``; ``triplets`` ``(a, p, n)`` LongTensors
``[T]`` or ``None`` for all valid triplets. Result: mean over triplets.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._common import all_triplets, as_triplets, check_features, check_margin, pair_distance, reduce


def stack_parts(parts: Tensor | Sequence[Tensor]) -> Tensor:
    """``[B, k, d]`` from a tensor or a list of k ``[B, d]`` part features."""
    if isinstance(parts, Tensor):
        return parts
    parts = list(parts)
    if not parts or len({tuple(p.shape) for p in parts}) != 1 or parts[0].dim() != 2:
        raise ValueError("parts must be [B, k, d] or a non-empty list of [B, d] tensors "
                         "of equal shape")
    return torch.stack(parts, dim=1)


def local_triplet_loss(parts: Tensor | Sequence[Tensor], labels: Tensor, triplets=None,
                       margin: float = 0.5, squared: bool = False,
                       reduction: str = "mean") -> Tensor:
    """MPM-LTL eq. 2, averaged over ``triplets``; scalar tensor."""
    h = stack_parts(parts)
    check_features(h, labels, ndim=3, name="parts")
    m = check_margin(margin)
    a, p, n = all_triplets(labels) if triplets is None else as_triplets(triplets, len(h))
    d_ap = pair_distance(h[a], h[p], squared)  # [T, k]
    d_an = pair_distance(h[a], h[n], squared)
    return reduce(F.relu(d_ap - d_an + m).mean(dim=1), reduction)


class LocalTripletLoss(nn.Module):
    """Module form of :func:`local_triplet_loss` (MPM-LTL eq. 2, margin 0.5)."""

    def __init__(self, margin: float = 0.5, squared: bool = False, reduction: str = "mean") -> None:
        super().__init__()
        self.margin = check_margin(margin)
        self.squared, self.reduction = squared, reduction

    def forward(self, parts, labels: Tensor, triplets=None) -> Tensor:
        return local_triplet_loss(parts, labels, triplets, self.margin, self.squared,
                                  self.reduction)
