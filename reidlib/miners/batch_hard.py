"""Batch-hard triplet mining (Hermans et al. 2017; the Batch Hard baseline of MPM-LTL Fig. 9).

For each anchor of the batch: the farthest positive (same label, not itself) and
the nearest negative (other label) by Euclidean distance. Anchors without a
positive or a negative are dropped.

Shapes: ``features`` ``[B, D]``, ``labels`` ``[B]``; returns ``(a, p, n)``
LongTensors ``[T]``. Same triplets as pytorch-metric-learning's
``BatchHardMiner`` with ``LpDistance(normalize_embeddings=False)`` (tested).
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..losses._common import check_features, pairwise_distance


@torch.no_grad()
def batch_hard_triplets(features: Tensor, labels: Tensor, squared: bool = False
                        ) -> tuple[Tensor, Tensor, Tensor]:
    """Hardest positive and negative per anchor of a batch."""
    check_features(features, labels)
    dist = pairwise_distance(features.detach(), squared=squared)
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    pos, neg = same & ~eye, ~same
    a = (pos.any(1) & neg.any(1)).nonzero(as_tuple=True)[0]
    p = dist[a].masked_fill(~pos[a], float("-inf")).argmax(1)
    n = dist[a].masked_fill(~neg[a], float("inf")).argmin(1)
    return a, p, n


class BatchHardMiner:
    """``BatchHardMiner()(features, labels) -> (a, p, n)``."""

    def __init__(self, squared: bool = False) -> None:
        self.squared = squared

    def __call__(self, features: Tensor, labels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return batch_hard_triplets(features, labels, self.squared)
