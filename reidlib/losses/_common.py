"""Helpers shared by the losses: distances, argument checks, reductions.

Distances follow the papers: MPM-LTL eq. 1-2 use the (non-squared) Euclidean
distance, MGCAM eq. 6-7 the squared Euclidean distance, MaskReID eq. 3-5 the
dot-product similarity of L2-normalised features.
"""
from __future__ import annotations

import torch
from torch import Tensor

REDUCTIONS = ("mean", "sum", "none")


def check_margin(margin: float, name: str = "margin") -> float:
    """Return ``margin`` as float, or raise ``ValueError`` when it is negative or not finite."""
    m = float(margin)
    if not m >= 0 or m == float("inf"):
        raise ValueError(f"{name} must be a finite number >= 0, got {margin!r}")
    return m


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; valid: {', '.join(REDUCTIONS)}")
    return reduction


def reduce(values: Tensor, reduction: str) -> Tensor:
    """Mean / sum / identity over a 1-d tensor of per-item losses (mean of nothing is 0)."""
    check_reduction(reduction)
    if reduction == "none":
        return values
    if values.numel() == 0:
        return values.sum() * 0.0
    return values.mean() if reduction == "mean" else values.sum()


def check_features(features: Tensor, labels: Tensor | None = None, ndim: int = 2,
                   name: str = "features") -> None:
    """Raise ``ValueError`` unless ``features`` has ``ndim`` dims and matches ``labels``."""
    if not isinstance(features, Tensor) or features.dim() != ndim:
        shape = tuple(features.shape) if isinstance(features, Tensor) else type(features).__name__
        want = "[B, D]" if ndim == 2 else "[B, k, D]"
        raise ValueError(f"{name} must be a tensor of shape {want}, got {shape}")
    if labels is not None and (labels.dim() != 1 or labels.shape[0] != features.shape[0]):
        raise ValueError(f"labels must have shape [{features.shape[0]}] to match {name}, "
                         f"got {tuple(labels.shape)}")


#: floor of the squared distance under the square root (``sqrt(1e-12) = 1e-6``)
SQRT_EPS = 1e-12


def pair_distance(x: Tensor, y: Tensor, squared: bool = False) -> Tensor:
    """Euclidean distance between matching rows of ``x`` and ``y`` (``[..., D]`` -> ``[...]``).

    The non-squared distance is ``sqrt(clamp(d2, min=SQRT_EPS))``: a bare ``sqrt`` has an
    infinite derivative at 0, so two identical features (``d2 = 0``) would give a NaN
    gradient (``inf * 0``) even where the loss itself is finite. Clamping inside the root
    is what the established re-id code does (torchreid's / open-reid's ``TripletLoss``:
    ``dist.clamp(min=1e-12).sqrt()``): the value changes only below ``1e-6`` and the
    gradient there is 0.
    """
    d2 = (x - y).pow(2).sum(-1)
    return d2 if squared else d2.clamp(min=SQRT_EPS).sqrt()


def pairwise_distance(x: Tensor, y: Tensor | None = None, squared: bool = False) -> Tensor:
    """All Euclidean distances ``[N, D] x [M, D] -> [N, M]`` (difference form: exact gradients)."""
    y = x if y is None else y
    d2 = (x[:, None, :] - y[None, :, :]).pow(2).sum(-1)
    if squared:
        return d2
    # sqrt has an infinite gradient at 0 (the diagonal): keep it out of the graph there.
    zero = d2 == 0
    return torch.where(zero, torch.zeros_like(d2), d2.masked_fill(zero, 1.0).sqrt())


def all_triplets(labels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Every valid ``(a, p, n)`` in a batch: ``p != a`` same label, ``n`` another label."""
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    valid = (same & ~eye)[:, :, None] & ~same[:, None, :]
    a, p, n = valid.nonzero(as_tuple=True)
    return a, p, n


def as_triplets(triplets, n: int) -> tuple[Tensor, Tensor, Tensor]:
    """Validate an ``(anchors, positives, negatives)`` index tuple into a batch of ``n``."""
    if not isinstance(triplets, (tuple, list)) or len(triplets) != 3:
        raise ValueError("triplets must be a tuple (anchors, positives, negatives) of LongTensors")
    a, p, neg = (torch.as_tensor(t, dtype=torch.long) for t in triplets)
    if not (a.shape == p.shape == neg.shape) or a.dim() != 1:
        raise ValueError(f"triplet index tensors must be 1-d and equal length, got "
                         f"{tuple(a.shape)}, {tuple(p.shape)}, {tuple(neg.shape)}")
    for t in (a, p, neg):
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= n):
            raise ValueError(f"triplet indices must lie in [0, {n}), got range "
                             f"[{int(t.min())}, {int(t.max())}]")
    return a, p, neg
