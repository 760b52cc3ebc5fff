"""N-pair loss as written in MaskReID eq. 3 (Sohn 2016).

``L(x_k) = log(1 + sum_{j in B^-} exp(S(x_k, x_j) - S(x_k, x_k^+)))`` with
``S(x_i, x_j) = x_i^T x_j`` on L2-normalised features; averaged over anchors.

Shapes: ``features`` ``[B, D]``, ``labels`` ``[B]``; ``positives`` ``[B]`` LongTensor
(the one positive ``x_k^+`` of each anchor) or ``None``: then the first other
sample of the same label in batch order. Anchors with no positive or no
negative are skipped. ``B^-`` is every sample of another label in the batch.

Difference from pytorch-metric-learning's ``NPairsLoss``: pml keeps one
(anchor, positive) pair per class and uses the *other classes' positives* as the
negatives (Sohn's multi-class N-pair batch); eq. 3 uses every negative sample of
the batch, so the values differ unless the batch holds exactly two images per
identity and only one anchor per identity. Not delegated to pml.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn
import torch.nn.functional as F

from ._common import check_features, reduce


def first_positive(labels: Tensor) -> Tensor:
    """Index of the first other sample with the same label (``-1`` when none)."""
    n = len(labels)
    same = labels[:, None] == labels[None, :]
    same.fill_diagonal_(False)
    idx = torch.arange(n, device=labels.device).expand(n, n)
    cand = torch.where(same, idx, torch.full_like(idx, n))
    first = cand.amin(1)
    return torch.where(first == n, torch.full_like(first, -1), first)


def log1p_sum_exp(z: Tensor, mask: Tensor) -> Tensor:
    """Stable ``log(1 + sum_j exp(z_j))`` over the masked entries of each row."""
    z = z.masked_fill(~mask, float("-inf"))
    zero = torch.zeros(z.shape[0], 1, dtype=z.dtype, device=z.device)
    return torch.logsumexp(torch.cat([zero, z], dim=1), dim=1)


def npair_loss(features: Tensor, labels: Tensor, positives: Tensor | None = None,
               normalize: bool = True, reduction: str = "mean") -> Tensor:
    """MaskReID eq. 3 averaged over anchors with a positive and a negative."""
    check_features(features, labels)
    x = F.normalize(features, dim=1) if normalize else features
    pos = first_positive(labels) if positives is None else torch.as_tensor(positives)
    if pos.shape != labels.shape:
        raise ValueError(f"positives must have shape {tuple(labels.shape)}, got {tuple(pos.shape)}")
    sim = x @ x.t()
    neg = labels[:, None] != labels[None, :]
    keep = (pos >= 0) & neg.any(1)
    a = keep.nonzero(as_tuple=True)[0]
    s_pos = sim[a, pos[a]]
    return reduce(log1p_sum_exp(sim[a] - s_pos[:, None], neg[a]), reduction)


class NPairLoss(nn.Module):
    """Module form of :func:`npair_loss` (MaskReID eq. 3)."""

    def __init__(self, normalize: bool = True, reduction: str = "mean") -> None:
        super().__init__()
        self.normalize, self.reduction = normalize, reduction

    def forward(self, features: Tensor, labels: Tensor, positives: Tensor | None = None) -> Tensor:
        return npair_loss(features, labels, positives, self.normalize, self.reduction)
