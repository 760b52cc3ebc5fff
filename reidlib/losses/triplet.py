"""Triplet loss on whole features (MPM-LTL eq. 1) and the batch-hard triplet loss.

MPM-LTL eq. 1: ``L = (d(a,p) - d(a,n) + alpha)_+`` with the Euclidean distance
``d`` and margin ``alpha = 0.5``; averaged over the given triplets.

Shapes: ``features`` ``[B, D]``, ``labels`` ``[B]``; ``triplets`` an index tuple
``(anchors, positives, negatives)`` of LongTensors ``[T]`` (from a miner, see
``reidlib.miners``); ``None`` uses every valid triplet of the batch.

Batch hard (Hermans et al., cited by MaskReID/MPM-LTL Fig. 9): for each anchor,
the farthest positive and nearest negative of the batch; anchors without a
positive or a negative are skipped.

Difference from pytorch-metric-learning's ``TripletMarginLoss``: pml L2-normalises
embeddings by default and averages only the non-zero losses
(``AvgNonZeroReducer``); here features are used as given and every triplet counts
in the mean. With ``LpDistance(normalize_embeddings=False)`` and ``MeanReducer``
pml gives the same value (tested).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._common import (all_triplets, as_triplets, check_features, check_margin, pair_distance,
                      pairwise_distance, reduce)


def triplet_loss(features: Tensor, labels: Tensor, triplets=None, margin: float = 0.5,
                 squared: bool = False, reduction: str = "mean") -> Tensor:
    """MPM-LTL eq. 1 averaged over ``triplets`` (default: all valid triplets)."""
    check_features(features, labels)
    m = check_margin(margin)
    a, p, n = all_triplets(labels) if triplets is None else as_triplets(triplets, len(features))
    d_ap = pair_distance(features[a], features[p], squared)
    d_an = pair_distance(features[a], features[n], squared)
    return reduce(F.relu(d_ap - d_an + m), reduction)


def batch_hard_triplet_loss(features: Tensor, labels: Tensor, margin: float = 0.5,
                            squared: bool = False, reduction: str = "mean") -> Tensor:
    """Batch-hard triplet loss: hardest positive and negative per anchor."""
    check_features(features, labels)
    m = check_margin(margin)
    dist = pairwise_distance(features, squared=squared)
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    pos, neg = same & ~eye, ~same
    keep = pos.any(1) & neg.any(1)
    hardest_p = dist.masked_fill(~pos, float("-inf")).amax(1)
    hardest_n = dist.masked_fill(~neg, float("inf")).amin(1)
    return reduce(F.relu(hardest_p - hardest_n + m)[keep], reduction)


class TripletLoss(nn.Module):
    """Module form: ``TripletLoss(margin)(features, labels, triplets=None)``.

    ``batch_hard=True`` ignores ``triplets`` and mines the batch-hard ones.
    """

    def __init__(self, margin: float = 0.5, squared: bool = False, batch_hard: bool = False,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.margin = check_margin(margin)
        self.squared, self.batch_hard, self.reduction = squared, batch_hard, reduction

    def forward(self, features: Tensor, labels: Tensor, triplets=None) -> Tensor:
        if self.batch_hard:
            return batch_hard_triplet_loss(features, labels, self.margin, self.squared,
                                           self.reduction)
        return triplet_loss(features, labels, triplets, self.margin, self.squared,
                            self.reduction)
