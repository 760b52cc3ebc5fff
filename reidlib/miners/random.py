"""Random triplet selection (the "random" baseline of MPM-LTL Fig. 9 / Table 1 row 6).

For every anchor with at least one positive and one negative: a uniformly random
positive (same label, not itself) and a uniformly random negative (another
label). O(N) memory (no N x N matrix), so it works on a whole bank as well as a
batch: samples are grouped by label once and offsets drawn inside/outside the
anchor's group.

Shapes: ``labels`` ``[N]``; returns ``(anchors, positives, negatives)`` LongTensors
``[T]``, ``T <= N`` (anchors without a positive or a negative are dropped).
Reproducible with ``generator`` (or the miner's ``seed``).
"""
from __future__ import annotations

import torch
from torch import Tensor


def label_groups(labels: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Sort by label: ``order``, group ``start`` and ``size`` per sample, rank in group."""
    order = torch.argsort(labels, stable=True)
    _, inverse, counts = torch.unique_consecutive(labels[order], return_inverse=True,
                                                  return_counts=True)
    starts = torch.cumsum(counts, 0) - counts
    g_start = torch.empty_like(order)
    g_size = torch.empty_like(order)
    g_start[order] = starts[inverse]
    g_size[order] = counts[inverse]
    rank = torch.empty_like(order)
    rank[order] = torch.arange(len(labels), device=labels.device) - starts[inverse]
    return order, g_start, g_size, rank


def random_triplets(labels: Tensor, generator: torch.Generator | None = None
                    ) -> tuple[Tensor, Tensor, Tensor]:
    """One random (positive, negative) per anchor; see the module docstring."""
    labels = torch.as_tensor(labels)
    if labels.dim() != 1:
        raise ValueError(f"labels must be 1-d [N], got shape {tuple(labels.shape)}")
    n = len(labels)
    order, start, size, rank = label_groups(labels)
    keep = (size > 1) & (size < n)
    a = keep.nonzero(as_tuple=True)[0]
    u_p = torch.rand(len(a), generator=generator, dtype=torch.float64)
    u_n = torch.rand(len(a), generator=generator, dtype=torch.float64)
    r = (u_p * (size[a] - 1)).long()
    r = r + (r >= rank[a]).long()  # skip the anchor itself
    p = order[start[a] + r]
    s = (u_n * (n - size[a])).long()
    s = s + (s >= start[a]).long() * size[a]  # skip the anchor's group
    neg = order[s]
    return a, p, neg


class RandomTripletMiner:
    """``RandomTripletMiner(seed)(features, labels) -> (a, p, n)``; features are unused."""

    def __init__(self, seed: int = 0) -> None:
        self.generator = torch.Generator().manual_seed(int(seed))

    def __call__(self, features: Tensor | None, labels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        return random_triplets(labels, self.generator)
