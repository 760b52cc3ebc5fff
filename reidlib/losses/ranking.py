"""MaskReID ranking losses: the full ranking loss (eq. 4) and the final one (eq. 5).

With ``S(x_i, x_j) = x_i^T x_j`` on L2-normalised features, for an anchor ``x_k``
with relevant set ``B^+`` and irrelevant set ``B^-`` in the batch:

eq. 4: ``log(1 + sum_{i in B+} sum_{j in B-} exp(S(k,j) - S(k,i)))``; computed as
``softplus(logsumexp_j S(k,j) + logsumexp_i -S(k,i))`` (the double sum factorises).

eq. 5: ``log(1 + sum_{j in B-} exp([S(k,j) - min_{i in B+} S(k,i) + alpha]_+))
+ lambda / (2|B+|) sum_{i in B+} (S(k,i) - 1)^2`` with alpha = 0.15, lambda = 2.

Shapes: ``features`` ``[B, D]``, ``labels`` ``[B]``; scalar = mean over anchors.

Choices: ``B^+`` excludes the anchor itself (S(k,k) = 1 would add nothing but
count in ``|B^+|``); anchors without a positive or a negative are skipped; eq. 5
is implemented as printed: the hinge sits inside ``exp``, so easy negatives add
the constant ``exp(0) = 1`` and no gradient (the paper's "only select some
negative samples which have small distances"). Every anchor of the batch is a
query (MaskReID's batch has one identity x P plus N singletons, so the N
singletons have no positive and are skipped; set ``anchors`` to restrict).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._common import check_features, check_margin, reduce
from .npair import log1p_sum_exp


def _sets(features: Tensor, labels: Tensor, normalize: bool, anchors: Tensor | None):
    check_features(features, labels)
    x = F.normalize(features, dim=1) if normalize else features
    sim = x @ x.t()
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    pos, neg = same & ~eye, ~same
    keep = pos.any(1) & neg.any(1)
    if anchors is not None:
        sel = torch.zeros_like(keep)
        sel[torch.as_tensor(anchors, dtype=torch.long, device=keep.device)] = True
        keep &= sel
    a = keep.nonzero(as_tuple=True)[0]
    return sim[a], pos[a], neg[a]


def full_ranking_loss(features: Tensor, labels: Tensor, normalize: bool = True,
                      anchors: Tensor | None = None, reduction: str = "mean") -> Tensor:
    """MaskReID eq. 4 (every positive x every negative), mean over anchors."""
    s, pos, neg = _sets(features, labels, normalize, anchors)
    lse_neg = torch.logsumexp(s.masked_fill(~neg, float("-inf")), dim=1)
    lse_pos = torch.logsumexp((-s).masked_fill(~pos, float("-inf")), dim=1)
    return reduce(F.softplus(lse_neg + lse_pos), reduction)


def ranking_loss(features: Tensor, labels: Tensor, alpha: float = 0.15, lam: float = 2.0,
                 normalize: bool = True, anchors: Tensor | None = None,
                 reduction: str = "mean") -> Tensor:
    """MaskReID eq. 5 (hardest positive as reference, hinge, positive pull), mean over anchors."""
    alpha = check_margin(alpha, "alpha")
    lam = check_margin(lam, "lam (lambda)")
    s, pos, neg = _sets(features, labels, normalize, anchors)
    s_min_pos = s.masked_fill(~pos, float("inf")).amin(dim=1, keepdim=True)
    first = log1p_sum_exp(F.relu(s - s_min_pos + alpha), neg)
    n_pos = pos.sum(1).clamp_min(1)
    second = lam / (2 * n_pos) * ((s - 1).pow(2) * pos).sum(1)
    return reduce(first + second, reduction)


class RankingLoss(nn.Module):
    """Module form: ``RankingLoss(alpha=0.15, lam=2.0)``; ``full=True`` gives eq. 4."""

    def __init__(self, alpha: float = 0.15, lam: float = 2.0, full: bool = False,
                 normalize: bool = True, reduction: str = "mean") -> None:
        super().__init__()
        self.alpha, self.lam = check_margin(alpha, "alpha"), check_margin(lam, "lam (lambda)")
        self.full, self.normalize, self.reduction = full, normalize, reduction

    def forward(self, features: Tensor, labels: Tensor, anchors: Tensor | None = None) -> Tensor:
        if self.full:
            return full_ranking_loss(features, labels, self.normalize, anchors, self.reduction)
        return ranking_loss(features, labels, self.alpha, self.lam, self.normalize, anchors,
                            self.reduction)
