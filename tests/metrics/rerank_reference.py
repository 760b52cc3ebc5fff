"""Literal slow reference of k-reciprocal re-ranking (Zhong et al., CVPR 2017).

Written from the authors' published numpy ``re_ranking`` (zhunzhong07/person-re-ranking,
as carried by torchreid ``utils/rerank.py``): dense ``N x N`` arrays, a full ``np.argsort``
(default kind), per-row Python loops, the 2/3 expansion rule over ``round(k1/2)``
neighbours, dense local query expansion and the inverted-index Jaccard loop. Kept
deliberately unoptimised: the fast versions are tested against it.
"""
from __future__ import annotations

import numpy as np


def reference_rerank(q_g_dist, q_q_dist, g_g_dist, k1=20, k2=6, lambda_value=0.3, kind=None):
    """The published algorithm; ``kind`` is passed to ``np.argsort`` (None = numpy's default,
    as published; "stable" resolves ties by index, the fast versions' rule)."""
    num_q = q_g_dist.shape[0]
    num_all = q_g_dist.shape[0] + q_g_dist.shape[1]
    full = np.concatenate([np.concatenate([q_q_dist, q_g_dist], axis=1),
                           np.concatenate([q_g_dist.T, g_g_dist], axis=1)], axis=0)
    full = np.power(full, 2).astype(np.float32)
    full = np.transpose(1.0 * full / np.max(full, axis=0))
    V = np.zeros_like(full).astype(np.float32)
    rank = np.argsort(full, kind=kind).astype(np.int32)
    half = int(np.around(k1 / 2.0))

    def reciprocal(i, k):
        forward = rank[i, :k + 1]
        backward = rank[forward, :k + 1]
        hits = np.where(backward == i)[0]
        return forward[hits]

    for i in range(num_all):
        recip = reciprocal(i, k1)
        expanded = recip
        for j in range(len(recip)):
            cand = recip[j]
            cand_recip = reciprocal(cand, half)
            if len(np.intersect1d(cand_recip, recip)) > 2.0 / 3 * len(cand_recip):
                expanded = np.append(expanded, cand_recip)
        expanded = np.unique(expanded)
        w = np.exp(-full[i, expanded])
        V[i, expanded] = 1.0 * w / np.sum(w)
    full = full[:num_q, ]
    if k2 != 1:
        V_qe = np.zeros_like(V, dtype=np.float32)
        for i in range(num_all):
            V_qe[i, :] = np.mean(V[rank[i, :k2], :], axis=0)
        V = V_qe
    inv_index = [np.where(V[:, c] != 0)[0] for c in range(num_all)]
    jaccard = np.zeros_like(full, dtype=np.float32)
    for i in range(num_q):
        acc = np.zeros(shape=[1, num_all], dtype=np.float32)
        nz = np.where(V[i, :] != 0)[0]
        images = [inv_index[c] for c in nz]
        for j in range(len(nz)):
            acc[0, images[j]] = acc[0, images[j]] + np.minimum(V[i, nz[j]], V[images[j], nz[j]])
        jaccard[i] = 1 - acc / (2.0 - acc)
    final = jaccard * (1 - lambda_value) + full * lambda_value
    return final[:num_q, num_q:]


def normalised_rows(q_g_dist, q_q_dist, g_g_dist):
    """The reference's normalised ``T`` (rows = neighbour lists), for tie checks."""
    full = np.concatenate([np.concatenate([q_q_dist, q_g_dist], axis=1),
                           np.concatenate([q_g_dist.T, g_g_dist], axis=1)], axis=0)
    full = np.power(full, 2).astype(np.float32)
    return np.transpose(1.0 * full / np.max(full, axis=0))


def ties_well_defined(q_g_dist, q_q_dist, g_g_dist, k1, k2):
    """True when no tie straddles the cut after position k1, round(k1/2) or k2-1 of any row,
    i.e. when the reference's result does not depend on argsort's tie order."""
    T = np.sort(normalised_rows(q_g_dist, q_q_dist, g_g_dist), axis=1)
    for cut in {k1 + 1, int(np.around(k1 / 2.0)) + 1, k2}:
        if cut < T.shape[1] and np.any(T[:, cut - 1] == T[:, cut]):
            return False
    return True
