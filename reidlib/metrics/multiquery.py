"""Multi-query (MQ) evaluation of Market-1501, as the official evaluation script.

Each query's feature is replaced by the pool of the ``gt_bbox`` ("multiquery")
images of the same pid *and* the same camera: every feature is L2-normalised, the
group is averaged (``mode="avg"``, MQ-avg) or max-pooled per dimension
(``mode="max"``, MQ-max), and the result is L2-normalised again. Shapes:
``q_feats [Q, D]``, ``mq_feats [M, D]`` -> pooled ``[Q, D]`` (numpy).

Choices where the script is silent (parameters):
``include_query=False`` - the query image itself is not added to its pool (the
official code pools only the ``gt_bbox`` images, which contain the query's box);
a query with **no** multi-query image keeps its own (normalised) feature.
Used for the MQ columns of MPM-LTL Table 1 and MaskReID Tables 2-3.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .distance import as_numpy, compute_distance
from .rank import evaluate_rank

POOL_MODES = ("avg", "max")


def _l2n(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(n, np.finfo(x.dtype).tiny)


def _ids(x: Any, name: str, n: int) -> np.ndarray:
    a = as_numpy(x, name)
    if a.ndim != 1 or a.shape[0] != n:
        raise ValueError(f"{name} must be 1-D of length {n} (one per feature row), got shape {a.shape}")
    return a.astype(np.int64)


def pool_multiquery(q_feats: Any, q_pids: Any, q_camids: Any, mq_feats: Any, mq_pids: Any,
                    mq_camids: Any, mode: str = "avg", include_query: bool = False) -> np.ndarray:
    """Pooled query features ``[Q, D]`` over same-pid, same-camera multi-query images."""
    if mode not in POOL_MODES:
        raise ValueError(f"unknown pooling mode {mode!r}; valid modes: {', '.join(POOL_MODES)}")
    qf = as_numpy(q_feats, "q_feats")
    mf = as_numpy(mq_feats, "mq_feats")
    if qf.ndim != 2 or mf.ndim != 2 or qf.shape[1] != mf.shape[1]:
        raise ValueError(f"q_feats and mq_feats must be [N, D] with the same D, got "
                         f"{qf.shape} and {mf.shape}")
    dtype = np.float64 if np.float64 in (qf.dtype, mf.dtype) else np.float32
    qf, mf = _l2n(qf.astype(dtype)), _l2n(mf.astype(dtype))
    qp, qc = _ids(q_pids, "q_pids", len(qf)), _ids(q_camids, "q_camids", len(qf))
    mp, mc = _ids(mq_pids, "mq_pids", len(mf)), _ids(mq_camids, "mq_camids", len(mf))
    # Group the multi-query images by (pid, camid); each query looks up its group.
    keys, inverse = np.unique(np.stack([mp, mc], 1), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if mode == "avg":
        pooled = np.zeros((len(keys), mf.shape[1]), dtype)
        np.add.at(pooled, inverse, mf)
        pooled /= np.bincount(inverse, minlength=len(keys))[:, None]
    else:
        pooled = np.full((len(keys), mf.shape[1]), -np.inf, dtype)
        np.maximum.at(pooled, inverse, mf)
    counts = np.bincount(inverse, minlength=len(keys))
    out = qf.copy()
    lookup = {(int(p), int(c)): i for i, (p, c) in enumerate(keys)}
    for i, key in enumerate(zip(qp.tolist(), qc.tolist())):
        g = lookup.get(key)
        if g is None:
            continue  # no multi-query image: the query keeps its own feature
        if not include_query:
            out[i] = pooled[g]
        elif mode == "avg":
            out[i] = (pooled[g] * counts[g] + qf[i]) / (counts[g] + 1)
        else:
            out[i] = np.maximum(pooled[g], qf[i])
    return _l2n(out)


def evaluate_multiquery(q_feats: Any, q_pids: Any, q_camids: Any, g_feats: Any, g_pids: Any,
                        g_camids: Any, mq_feats: Any, mq_pids: Any, mq_camids: Any,
                        modes: tuple[str, ...] = POOL_MODES, metric: str = "euclidean",
                        normalize_gallery: bool = True,
                        **rank_kwargs: Any) -> dict[str, dict[str, Any]]:
    """``{"MQ-avg": evaluate_rank(...), "MQ-max": ...}`` for the pooled queries.

    The pooled queries are unit vectors, so the gallery features are L2-normalised
    too (``normalize_gallery=True``, as the official script's normalised features).
    """
    gf = as_numpy(g_feats, "g_feats")
    if normalize_gallery:
        gf = _l2n(gf.astype(np.float64 if gf.dtype == np.float64 else np.float32))
    results = {}
    for mode in modes:
        pooled = pool_multiquery(q_feats, q_pids, q_camids, mq_feats, mq_pids, mq_camids, mode)
        distmat = compute_distance(pooled, gf, metric)
        results[f"MQ-{mode}"] = evaluate_rank(distmat, q_pids, g_pids, q_camids, g_camids,
                                              **rank_kwargs)
    return results
