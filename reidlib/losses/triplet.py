"""Triplet loss on whole features (MPM-LTL eq. 1), on the triplets a miner chose.

MPM-LTL eq. 1: ``L = (d(a,p) - d(a,n) + alpha)_+`` with the Euclidean distance
``d`` and margin ``alpha = 0.5``; averaged over the given triplets.

Shapes: ``features`` ``[B, D]``, ``labels`` ``[B]``; ``triplets`` an index tuple
``(anchors, positives, negatives)`` of LongTensors ``[T]`` (from a miner, see
``reidlib.miners``); ``None`` uses every valid triplet of the batch.

Batch hard (Hermans et al., the Batch Hard baseline of MPM-LTL Fig. 9) is this loss on
the triplets of :func:`reidlib.miners.batch_hard_triplets` (the farthest positive and the
nearest negative of each anchor): ``triplet_loss(f, y, batch_hard_triplets(f, y))``; the
miner decides which triplets, the loss only scores them.

Difference from pytorch-metric-learning's ``TripletMarginLoss``: pml L2-normalises
embeddings by default and averages only the non-zero losses
(``AvgNonZeroReducer``); here features are used as given and every triplet counts
in the mean. With ``LpDistance(normalize_embeddings=False)`` and ``MeanReducer``
pml gives the same value (tested).
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from ._common import all_triplets, as_triplets, check_features, check_margin, pair_distance, reduce


def triplet_loss(features: Tensor, labels: Tensor, triplets=None, margin: float = 0.5,
                 squared: bool = False, reduction: str = "mean") -> Tensor:
    """MPM-LTL eq. 1 averaged over ``triplets`` (default: all valid triplets)."""
    check_features(features, labels)
    m = check_margin(margin)
    a, p, n = all_triplets(labels) if triplets is None else as_triplets(triplets, len(features))
    d_ap = pair_distance(features[a], features[p], squared)
    d_an = pair_distance(features[a], features[n], squared)
    return reduce(F.relu(d_ap - d_an + m), reduction)


class TripletLoss(nn.Module):
    """Module form: ``TripletLoss(margin)(features, labels, triplets=None)``."""

    def __init__(self, margin: float = 0.5, squared: bool = False, reduction: str = "mean") -> None:
        super().__init__()
        self.margin = check_margin(margin)
        self.squared, self.reduction = squared, reduction

    def forward(self, features: Tensor, labels: Tensor, triplets=None) -> Tensor:
        return triplet_loss(features, labels, triplets, self.margin, self.squared, self.reduction)
