"""Features-first k-reciprocal re-ranking that never materialises an ``N x N`` matrix.

Same result as :func:`reidlib.metrics.rerank.k_reciprocal_rerank` applied to
``compute_distance(q, g)``, ``compute_distance(q, q)``, ``compute_distance(g, g)``
(Zhong et al., CVPR 2017, eqs. 1-12; the published code's conventions: squared
distances, each column divided by its maximum over all ``N = Q + G`` rows, 2/3
expansion rule over ``round(k1/2)`` neighbours, query expansion over ``k2``).

Passes (``X = [qf; gf]``, ``[N, D]``):

1. for ``chunk_size`` rows at a time, distances to all ``N`` points by one matrix product,
   the row maximum (= the published column maximum: the matrix is symmetric) and the first
   ``max(k1 + 1, k2)`` neighbours (stable ties: by distance, then index);
2. sparse k-reciprocal weights ``V`` (CSR, ~30 non-zeros per row), whose distances are
   computed pair by pair from the features; sparse query expansion;
3. per group of queries: ``[b, G]`` original distances plus the Jaccard term through an
   inverted index (CSC columns of the gallery rows of ``V``).

Memory: features + ``O(N k)`` tables + one ``[chunk_size, N]`` block (about 17 bytes per
entry while it is ranked) + the output. The ``[Q, G]`` float32 output is unavoidable
(MSMT17: 11,659 x 82,161 = 3.8 GB); ``topk=`` returns only the best ``topk`` gallery items
per query (``(dist [Q, topk], index [Q, topk])``) instead. ``memory_limit_gb`` shrinks
``chunk_size`` to fit the estimate, or raises ``MemoryError`` when even the fixed part
does not fit.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .distance import METRICS, as_numpy, compute_distance
from .rerank import (check_rerank_params, jaccard_rows, kreciprocal_weights, query_expansion,
                     stable_topk)

_BLOCK_BYTES_PER_ENTRY = 17     # float32 distance + float32 square + int64 argpartition + bool
_V_BYTES_PER_ROW = 200 * 12     # generous: ~100-200 non-zeros after query expansion, data+index


def _features(x: Any, name: str) -> np.ndarray:
    a = as_numpy(x, name)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D feature matrix [N, D], got shape {a.shape}")
    a = a.astype(np.float64 if a.dtype == np.float64 else np.float32, copy=False)
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or inf")
    return a


def _pair_sq_dist(X: np.ndarray, i: np.ndarray, j: np.ndarray, metric: str,
                  chunk: int = 16384) -> np.ndarray:
    """Squared ``metric`` distance between ``X[i]`` and ``X[j]`` for each pair, float32."""
    out = np.empty(len(i), np.float32)
    sq = np.einsum("nd,nd->n", X, X)
    for s in range(0, len(i), chunk):
        a, b = i[s:s + chunk], j[s:s + chunk]
        dot = np.einsum("nd,nd->n", X[a], X[b])
        if metric == "cosine":
            den = np.maximum(np.sqrt(sq[a]) , np.finfo(X.dtype).tiny) * np.maximum(np.sqrt(sq[b]), np.finfo(X.dtype).tiny)
            d = 1.0 - dot / den
            out[s:s + chunk] = np.square(d)
        else:
            d2 = np.maximum(sq[a] + sq[b] - 2.0 * dot, 0.0)
            out[s:s + chunk] = d2 if metric == "euclidean" else np.square(d2)
    return out


def plan_memory(num_query: int, num_gallery: int, dim: int, itemsize: int, k: int,
                chunk_size: int, topk: int | None) -> dict:
    """Estimated bytes of the parts of the computation (see module docstring)."""
    N = num_query + num_gallery
    out = num_query * (topk * 12 if topk else num_gallery * 4)
    fixed = N * dim * itemsize + N * k * 8 + 2 * N * _V_BYTES_PER_ROW + out
    return {"fixed": fixed, "block": chunk_size * N * _BLOCK_BYTES_PER_ENTRY,
            "total": fixed + chunk_size * N * _BLOCK_BYTES_PER_ENTRY}


def k_reciprocal_rerank_features(qf: Any, gf: Any, k1: int = 20, k2: int = 6,
                                 lambda_value: float = 0.3, metric: str = "euclidean",
                                 chunk_size: int | None = None,
                                 memory_limit_gb: float | None = None,
                                 topk: int | None = None):
    """Re-ranked distances from features ``qf [Q, D]``, ``gf [G, D]``.

    Returns ``[Q, G]`` float32, or ``(dist [Q, topk], index [Q, topk])`` when ``topk`` is set.
    ``chunk_size`` rows are ranked at a time (default: a ~512 MB block).
    """
    check_rerank_params(k1, k2, lambda_value)
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid metrics: {', '.join(METRICS)}")
    q, g = _features(qf, "qf"), _features(gf, "gf")
    if q.shape[1] != g.shape[1]:
        raise ValueError(f"qf and gf must have the same feature dimension, got {q.shape} and {g.shape}")
    Q, G = len(q), len(g)
    X = np.concatenate([q, g]).astype(np.result_type(q, g), copy=False)
    N = Q + G
    K = min(N, max(k1 + 1, k2))
    if topk is not None and (not isinstance(topk, (int, np.integer)) or not 1 <= topk <= G):
        raise ValueError(f"topk must be an integer in [1, {G}] (the gallery size) or None, got {topk!r}")
    if chunk_size is None:
        chunk_size = int(np.clip(512e6 / (N * _BLOCK_BYTES_PER_ENTRY), 16, 4096))
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if memory_limit_gb is not None:
        limit = float(memory_limit_gb) * 2**30
        plan = plan_memory(Q, G, X.shape[1], X.itemsize, K, 1, topk)
        if plan["total"] > limit:
            raise MemoryError(
                f"k_reciprocal_rerank_features needs about {plan['total'] / 2**30:.2f} GiB even with "
                f"chunk_size=1 (output {'top-' + str(topk) if topk else f'{Q}x{G} float32'}), over "
                f"memory_limit_gb={memory_limit_gb}; raise the limit or pass topk= to shrink the output")
        chunk_size = int(max(1, min(chunk_size, (limit - plan["fixed"]) // (N * _BLOCK_BYTES_PER_ENTRY))))

    colmax = np.empty(N, np.float32)
    R = np.empty((N, K), np.int64)
    for s in range(0, N, chunk_size):
        e = min(s + chunk_size, N)
        blk = np.square(compute_distance(X[s:e], X, metric)).astype(np.float32, copy=False)
        colmax[s:e] = blk.max(axis=1)
        colmax[s:e][colmax[s:e] <= 0] = 1.0  # an all-zero column stays 0 (the published code gives NaN)
        blk /= colmax[s:e, None]
        R[s:e] = stable_topk(blk, K)
        del blk

    def pair_dist(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return _pair_sq_dist(X, i, j, metric) / colmax[i]

    V = query_expansion(kreciprocal_weights(R, k1, pair_dist), R, k2)
    del R
    lam = np.float32(lambda_value)
    if topk:
        out_d, out_i = np.empty((Q, topk), np.float32), np.empty((Q, topk), np.int64)
    else:
        out = np.empty((Q, G), np.float32)
    for sl, ssum in jaccard_rows(V, np.arange(Q), Q, max_rows=chunk_size):
        orig = np.square(compute_distance(q[sl], g, metric)).astype(np.float32, copy=False)
        orig /= colmax[sl, None]
        fin = lam * orig + (np.float32(1.0 - lambda_value) * (1.0 - ssum / (2.0 - ssum))).astype(np.float32)
        if topk:
            idx = stable_topk(fin, topk)
            out_i[sl], out_d[sl] = idx, np.take_along_axis(fin, idx, 1)
        else:
            out[sl] = fin
    return (out_d, out_i) if topk else out
