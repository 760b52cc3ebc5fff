"""Siamese contrastive loss (MGCAM eq. 7).

``L_sia = ||h(p) - h(g)||^2`` when p and g are the same person, else
``max(m - ||h(p) - h(g)||^2, 0)``, with the *squared* Euclidean distance and
``m = 10``; averaged over the pairs.

Shapes: ``features`` ``[B, D]``, ``labels`` ``[B]``; ``pairs`` ``(i, j)`` LongTensors
``[P]`` (e.g. probes ``0..B/2-1`` and galleries ``B/2..B-1`` from
``reidlib.data.samplers.SiamesePairSampler``) or ``None`` for all pairs ``i < j``.

Difference from pytorch-metric-learning's ``ContrastiveLoss``: pml reduces the
positive and the negative pairs separately and adds the two means; here one
mean over all pairs, and by default each unordered pair once (pml takes every
ordered pair). With ``LpDistance(power=2, normalize_embeddings=False)``,
``pos_margin=0``, ``neg_margin=m`` and ``SumReducer``, pml equals
``reduction="sum"`` over all ordered pairs ``i != j`` (tested).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._common import check_features, check_margin, pair_distance, reduce


def all_pairs(n: int, device=None) -> tuple[Tensor, Tensor]:
    i, j = torch.triu_indices(n, n, offset=1, device=device)
    return i, j


def siamese_loss(features: Tensor, labels: Tensor, pairs=None, margin: float = 10.0,
                 reduction: str = "mean") -> Tensor:
    """MGCAM eq. 7 averaged over ``pairs`` (default: all pairs of the batch)."""
    check_features(features, labels)
    m = check_margin(margin)
    if pairs is None:
        i, j = all_pairs(len(features), features.device)
    else:
        if len(pairs) != 2:
            raise ValueError("pairs must be a tuple (first, second) of LongTensors")
        i, j = (torch.as_tensor(t, dtype=torch.long) for t in pairs)
        if i.shape != j.shape:
            raise ValueError(f"pair index tensors differ in shape: {tuple(i.shape)} vs {tuple(j.shape)}")
    d2 = pair_distance(features[i], features[j], squared=True)
    same = labels[i] == labels[j]
    return reduce(torch.where(same, d2, F.relu(m - d2)), reduction)


class SiameseLoss(nn.Module):
    """Module form of :func:`siamese_loss` (MGCAM eq. 7, m = 10)."""

    def __init__(self, margin: float = 10.0, reduction: str = "mean") -> None:
        super().__init__()
        self.margin, self.reduction = check_margin(margin), reduction

    def forward(self, features: Tensor, labels: Tensor, pairs=None) -> Tensor:
        return siamese_loss(features, labels, pairs, self.margin, self.reduction)
