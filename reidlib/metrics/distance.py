"""Pairwise query-gallery distances, computed in row chunks.

Shapes: ``qf`` ``[Q, D]``, ``gf`` ``[G, D]`` (numpy arrays or torch tensors) ->
distance matrix ``[Q, G]`` as a numpy array.

Metrics (``metric=``):

``euclidean``    ``||q - g||_2`` (the metric of all four papers' Euclidean rows,
                 e.g. MGCAM Table 3 "Euclidean")
``sqeuclidean``  ``||q - g||_2^2`` (same ranking as ``euclidean``)
``cosine``       ``1 - <q, g> / (||q|| ||g||)`` (zero-norm rows give distance 1)

The squared distance is expanded as ``||q||^2 + ||g||^2 - 2 <q, g>`` (one matrix
product per chunk) and clamped at 0 against round-off. Only ``chunk_size`` query
rows are worked on at a time, so the extra memory is ``chunk_size x G`` besides
the output. The output keeps float64 when either input is float64, otherwise it
is float32.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

METRICS = ("euclidean", "sqeuclidean", "cosine")


def as_numpy(x: Any, name: str) -> np.ndarray:
    """Return ``x`` (numpy array, torch tensor or sequence) as a numpy array."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    try:
        return np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise ValueError(f"{name}: cannot convert {type(x).__name__} to an array ({exc})") from exc


def as_torch(x: Any, name: str) -> torch.Tensor:
    """Return ``x`` as a CPU torch tensor, sharing memory with numpy input when possible."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu()
    arr = as_numpy(x, name)
    if not arr.flags.writeable or not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        arr = np.ascontiguousarray(arr).copy()
    return torch.from_numpy(arr)


def _features(x: Any, name: str) -> torch.Tensor:
    t = as_torch(x, name)
    if t.ndim != 2:
        raise ValueError(f"{name} must be a 2-D feature matrix [N, D], got shape {tuple(t.shape)}")
    if not torch.is_floating_point(t):
        t = t.to(torch.float32)
    if t.dtype not in (torch.float32, torch.float64):
        t = t.to(torch.float32)  # float16 / bfloat16: compute in float32
    return t


def compute_distance(qf: Any, gf: Any, metric: str = "euclidean",
                     chunk_size: int = 1024) -> np.ndarray:
    """Distance matrix ``[Q, G]`` between query features ``qf [Q, D]`` and gallery ``gf [G, D]``.

    ``metric`` is one of ``euclidean``, ``sqeuclidean``, ``cosine``; ``chunk_size``
    query rows are processed at a time to bound memory.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid metrics: {', '.join(METRICS)}")
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    q = _features(qf, "qf")
    g = _features(gf, "gf")
    if q.shape[1] != g.shape[1]:
        raise ValueError(f"qf and gf must have the same feature dimension, got "
                         f"qf {tuple(q.shape)} and gf {tuple(g.shape)}")
    dtype = torch.float64 if torch.float64 in (q.dtype, g.dtype) else torch.float32
    q, g = q.to(dtype), g.to(dtype)
    if metric == "cosine":
        g = g / g.norm(dim=1, keepdim=True).clamp_min(torch.finfo(dtype).tiny)
    else:
        g_sq = (g * g).sum(dim=1)
    gt = g.t().contiguous()
    out = torch.empty((q.shape[0], g.shape[0]), dtype=dtype)
    for s in range(0, q.shape[0], int(chunk_size)):
        qc = q[s:s + chunk_size]
        o = out[s:s + chunk_size]
        if metric == "cosine":
            qc = qc / qc.norm(dim=1, keepdim=True).clamp_min(torch.finfo(dtype).tiny)
            torch.mm(qc, gt, out=o)
            o.neg_().add_(1.0)
        else:
            torch.mm(qc, gt, out=o)
            o.mul_(-2.0).add_(g_sq[None, :]).add_((qc * qc).sum(dim=1, keepdim=True))
            o.clamp_(min=0.0)
            if metric == "euclidean":
                o.sqrt_()
    return out.numpy()
