"""k-reciprocal re-ranking (Zhong et al., CVPR 2017), fast and exact.

Same input convention and result as the authors' published ``re_ranking`` code
(``zhunzhong07/person-re-ranking``, copied by torchreid / fast-reid):

* ``M = [[q_q, q_g], [q_g^T, g_g]]`` (``N = Q + G`` square), squared, cast to float32;
* ``T = (M / colmax(M)).T``, i.e. row ``i`` of ``T`` is column ``i`` of ``M`` divided by its
  maximum (paper eq. 1 distances, normalised);
* ``R(i, k1)``: k1-reciprocal set over the first ``k1 + 1`` neighbours (paper eq. 4);
  expansion (eq. 6): add ``R(j, round(k1/2))`` for ``j in R(i, k1)`` when more than 2/3 of it
  lies in ``R(i, k1)``;
* ``V[i, j] = exp(-T[i, j])`` on the expanded set, rows normalised to sum 1 (eq. 7);
* local query expansion: ``V_i <- mean of V over the first k2 neighbours of i`` (eq. 11,
  skipped when ``k2 == 1``);
* Jaccard distance ``d_J = 1 - s / (2 - s)``, ``s = sum_k min(V_ik, V_jk)`` (eq. 10);
* ``d* = (1 - lambda) d_J + lambda T`` (eq. 12), returned for the ``[Q, G]`` block.

The published code holds several dense ``N x N`` arrays (values, a full argsort, ``V``,
``V_qe``). Here: rows of ``T`` are built ``chunk_size`` at a time from the three input blocks
(tiled transposes in torch, whose passes use every thread), only the first
``max(k1 + 1, k2)`` neighbours are kept (``torch.topk``), ``V`` is a scipy CSR matrix
(about 30 non-zeros per row), query expansion is a sparse product, and the Jaccard sums
are computed through an inverted index (CSC columns of the gallery rows of ``V``).

Ties: neighbours are ordered by ``(distance, index)`` (a stable rule). The published code
uses ``np.argsort``'s default (unstable) sort, so its result is implementation-defined
exactly when a tie straddles position ``k1``, ``round(k1/2)`` or ``k2 - 1`` of a row; away
from those positions ties do not change either result.

Shapes: ``q_g_dist [Q, G]``, ``q_q_dist [Q, Q]``, ``g_g_dist [G, G]`` -> ``[Q, G]`` float32.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import scipy.sparse as sp
import torch

from .distance import METRICS, as_numpy, compute_distance


def check_rerank_params(k1: int, k2: int, lambda_value: float) -> None:
    """Raise ``ValueError`` for out-of-range re-ranking parameters."""
    if not isinstance(k1, (int, np.integer)) or k1 < 1:
        raise ValueError(f"k1 must be a positive integer (paper: 20), got {k1!r}")
    if not isinstance(k2, (int, np.integer)) or k2 < 1:
        raise ValueError(f"k2 must be a positive integer (paper: 6), got {k2!r}")
    if not 0.0 <= float(lambda_value) <= 1.0:
        raise ValueError(f"lambda_value must be in [0, 1] (paper: 0.3), got {lambda_value!r}")


def stable_topk(block: np.ndarray, k: int) -> np.ndarray:
    """Indices ``[b, k]`` of the ``k`` smallest entries of each row, ordered by (value, index).

    Selection by ``torch.topk`` of the ``k + 1`` smallest (multi-threaded over rows, several
    times faster than ``np.argpartition``); a tie straddles the cut exactly when the
    ``(k+1)``-th smallest value equals the ``k``-th (topk then picked among equal values
    arbitrarily): those rows are redone with a stable argsort.
    """
    n = block.shape[1]
    if k >= n:
        return np.argsort(block, axis=1, kind="stable").astype(np.int64)
    t = torch.from_numpy(np.ascontiguousarray(block))
    vals_t, part_t = torch.topk(t, k + 1, dim=1, largest=False, sorted=True)
    part = np.ascontiguousarray(part_t[:, :k].numpy())
    for r in torch.nonzero(vals_t[:, k] == vals_t[:, k - 1]).flatten().tolist():
        part[r] = np.argsort(block[r], kind="stable")[:k]
    vals = np.take_along_axis(block, part, 1)
    order = np.lexsort((part, vals), axis=-1)
    return np.take_along_axis(part, order, 1)


def _reciprocal_mask(F: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``mask[r, a]``: row ``rows[r]`` is among the neighbours ``F[F[rows[r], a]]``."""
    return (F[F[rows]] == rows[:, None, None]).any(axis=2)


def kreciprocal_weights(R: np.ndarray, k1: int, pair_dist: Callable[[np.ndarray, np.ndarray], np.ndarray],
                        chunk_size: int = 2048) -> sp.csr_matrix:
    """Sparse ``V [N, N]`` (eq. 7) from the neighbour table ``R [N, >= k1+1]``.

    ``pair_dist(rows, cols)`` returns the normalised distances ``T[rows, cols]`` (float32).
    """
    N = R.shape[0]
    kh = int(np.around(k1 / 2.0))
    F1, Fh = R[:, :k1 + 1], R[:, :kh + 1]
    all_rows = np.arange(N)
    half_mask = np.zeros(Fh.shape, dtype=bool)
    for s in range(0, N, chunk_size):
        half_mask[s:s + chunk_size] = _reciprocal_mask(Fh, all_rows[s:s + chunk_size])
    r_out, c_out = [], []
    for s in range(0, N, chunk_size):
        rows = all_rows[s:s + chunk_size]
        f1 = F1[rows]                                  # [b, k1+1]
        m1 = _reciprocal_mask(F1, rows)                # k1-reciprocal members
        H = Fh[f1]                                     # [b, k1+1, kh+1] candidate sets
        Hm = half_mask[f1] & m1[:, :, None]
        inside = ((H[..., None] == f1[:, None, None, :]) & m1[:, None, None, :]).any(axis=3)
        size = Hm.sum(axis=2)
        accept = m1 & ((inside & Hm).sum(axis=2) > (2.0 / 3) * size)
        cand = np.concatenate([np.where(m1, f1, N),
                               np.where(Hm & accept[:, :, None], H, N).reshape(len(rows), -1)], axis=1)
        cand.sort(axis=1)
        keep = (cand < N) & np.concatenate([np.ones((len(rows), 1), bool), cand[:, 1:] != cand[:, :-1]], 1)
        rr, cc = np.nonzero(keep)
        r_out.append(rows[rr])
        c_out.append(cand[rr, cc])
    rows_all, cols_all = np.concatenate(r_out), np.concatenate(c_out)
    w = np.exp(-pair_dist(rows_all, cols_all).astype(np.float32))
    w = w / np.bincount(rows_all, weights=w, minlength=N).astype(np.float32)[rows_all]
    return sp.csr_matrix((w.astype(np.float32), (rows_all, cols_all)), shape=(N, N))


def query_expansion(V: sp.csr_matrix, R: np.ndarray, k2: int) -> sp.csr_matrix:
    """Local query expansion (eq. 11): row ``i`` becomes the mean of ``V`` over ``R[i, :k2]``."""
    if k2 == 1:
        return V
    N = V.shape[0]
    nb = R[:, :k2]
    A = sp.csr_matrix((np.full(nb.size, 1.0 / nb.shape[1], np.float32),
                       (np.repeat(np.arange(N), nb.shape[1]), nb.ravel())), shape=(N, N))
    return (A @ V).tocsr()


def jaccard_rows(V: sp.csr_matrix, q_rows: np.ndarray, num_query: int,
                 max_pairs: int = 8_000_000, max_rows: int = 1024):
    """Yield ``(row_slice, s)`` with ``s [b, G] = sum_k min(V[i,k], V[Q+j,k])`` (eq. 10).

    Inverted index: the gallery rows of ``V`` as CSC (column ``k`` -> gallery rows using it).
    Queries are grouped so that each group expands to at most ``max_pairs`` (i, j, k) terms
    and holds at most ``max_rows`` rows (the ``[b, G]`` float64 accumulator).
    """
    G = V.shape[0] - num_query
    Vg = V[num_query:].tocsc()
    Vg.sort_indices()
    colcount = np.diff(Vg.indptr)
    Vq = V[q_rows].tocsr()
    del V                      # the caller may drop its reference too: only Vq and Vg are needed
    per_row = np.add.reduceat(np.append(colcount[Vq.indices], 0), Vq.indptr[:-1]) * (np.diff(Vq.indptr) > 0)
    start, n = 0, len(q_rows)
    while start < n:
        cum = np.cumsum(per_row[start:])
        stop = start + min(max_rows, max(1, int(np.searchsorted(cum, max_pairs, side="right"))))
        sub = Vq[start:stop]
        i_loc = np.repeat(np.arange(stop - start), np.diff(sub.indptr))
        k, a = sub.indices, sub.data
        cnt = colcount[k]
        tot = int(cnt.sum())
        offs = np.repeat(Vg.indptr[k] - (np.cumsum(cnt) - cnt), cnt) + np.arange(tot)
        j, b = Vg.indices[offs], Vg.data[offs]
        flat = np.repeat(i_loc, cnt) * G + j
        s = np.bincount(flat, weights=np.minimum(np.repeat(a, cnt), b), minlength=(stop - start) * G)
        yield slice(start, stop), s.reshape(stop - start, G)
        start = stop


def _as_dist(x: Any, name: str, shape: tuple[int, int] | None = None) -> np.ndarray:
    a = as_numpy(x, name)
    if a.ndim != 2 or (shape is not None and a.shape != shape):
        want = f"{shape}" if shape is not None else "2-D"
        raise ValueError(f"{name} must have shape {want}, got {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float32)
    # one reduction instead of a bool copy of the matrix: a NaN/inf makes the sum non-finite
    # (a finite but overflowing sum falls back to the exact element check)
    if not np.isfinite(a.sum(dtype=np.float64)) and not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or inf; re-ranking needs finite distances")
    return a


def k_reciprocal_rerank(q_g_dist: Any, q_q_dist: Any, g_g_dist: Any, k1: int = 20, k2: int = 6,
                        lambda_value: float = 0.3, chunk_size: int = 512) -> np.ndarray:
    """Re-ranked distances ``[Q, G]`` (float32), equal to the published ``re_ranking``.

    ``chunk_size`` rows of the ``N x N`` matrix are materialised at a time.
    """
    check_rerank_params(k1, k2, lambda_value)
    qg = _as_dist(q_g_dist, "q_g_dist")
    Q, G = qg.shape
    qq = _as_dist(q_q_dist, "q_q_dist", (Q, Q))
    gg = _as_dist(g_g_dist, "g_g_dist", (G, G))
    N, K = Q + G, min(Q + G, max(k1 + 1, k2))
    colmax = np.empty(N, np.float32)
    R = np.empty((N, K), np.int64)

    work = np.result_type(qg.dtype, qq.dtype, gg.dtype, np.float32)
    tq, tqg, tg = (torch.from_numpy(np.asarray(a, work)) for a in (qq, qg, gg))   # views: no copy

    def columns(m: torch.Tensor, c0: int, c1: int, out: torch.Tensor, tile: int = 256) -> None:
        for r in range(0, m.shape[0], tile):    # tiled transpose: cache-friendly, ~1.5x a plain .t() copy
            out[:, r:r + tile] = m[r:r + tile, c0:c1].t()

    def t_rows(s: int, e: int) -> torch.Tensor:      # raw squared rows of T (columns of M), C order
        blk = torch.empty((e - s, N), dtype=tqg.dtype)
        if e <= Q:
            columns(tq, s, e, blk[:, :Q])
            blk[:, Q:] = tqg[s:e]
        else:
            columns(tqg, s - Q, e - Q, blk[:, :Q])
            columns(tg, s - Q, e - Q, blk[:, Q:])
        blk.square_()                 # squared in the inputs' precision, then float32 (as published)
        return blk.float()

    for lo, hi in ((0, Q), (Q, N)):
        for s in range(lo, hi, chunk_size):
            e = min(s + chunk_size, hi)
            blk = t_rows(s, e)          # torch: the transposed copy and the passes run multi-threaded
            cm = blk.max(dim=1).values
            cm[cm <= 0] = 1.0           # an all-zero column stays 0 (the published code gives NaN)
            blk /= cm[:, None]
            colmax[s:e] = cm.numpy()
            R[s:e] = stable_topk(blk.numpy(), K)

    def pair_dist(i: np.ndarray, j: np.ndarray) -> np.ndarray:   # T[i, j] = M[j, i]^2 / colmax[i]
        out = np.empty(len(i), np.float32)
        for iq in (True, False):
            for jq in (True, False):
                m = ((i < Q) == iq) & ((j < Q) == jq)
                ii, jj = i[m] - (0 if iq else Q), j[m] - (0 if jq else Q)
                src = (qq[jj, ii] if iq else qg[jj, ii]) if jq else (qg[ii, jj] if iq else gg[jj, ii])
                out[m] = np.square(src).astype(np.float32)
        return out / colmax[i]

    V = query_expansion(kreciprocal_weights(R, k1, pair_dist), R, k2)
    del R
    final = np.empty((Q, G), np.float32)
    tf, tcm = torch.from_numpy(final), torch.from_numpy(colmax[:Q])
    groups = jaccard_rows(V, np.arange(Q), Q, max_pairs=500_000, max_rows=64)   # ~25 MB per group
    del V
    for sl, ssum in groups:
        # lambda * T + (1 - lambda) * (1 - s / (2 - s)), in torch (multi-threaded passes)
        s_t = torch.from_numpy(np.asarray(ssum, np.float64))   # bincount of no pairs is int64
        jac = s_t.neg().add_(2.0).reciprocal_().mul_(s_t).neg_().add_(1.0).mul_(1.0 - lambda_value)
        orig = tqg[sl].square().float().div_(tcm[sl, None]).mul_(lambda_value)
        tf[sl] = orig.add_(jac.float())
    return final


def rerank_with_metric(metric: Any, qf: Any, gf: Any, k1: int = 20, k2: int = 6,
                       lambda_value: float = 0.3) -> np.ndarray:
    """Re-rank under any distance: ``metric`` is a name in ``METRICS`` or an object with
    ``distance(query, gallery) -> [Q, G]`` (e.g. a fitted ``XQDA`` / ``KISSME``; XQDA +
    re-ranking is MGCAM's default). Builds ``q_g``, ``q_q``, ``g_g`` then re-ranks."""
    if isinstance(metric, str):
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; valid: {', '.join(METRICS)} "
                             "or an object with a distance(query, gallery) method")
        dist = lambda a, b: compute_distance(a, b, metric)  # noqa: E731
    elif callable(getattr(metric, "distance", None)):
        dist = metric.distance
    else:
        raise TypeError(f"metric must be a name ({', '.join(METRICS)}) or an object with "
                        f"distance(query, gallery), got {type(metric).__name__}")
    return k_reciprocal_rerank(dist(qf, gf), dist(qf, qf), dist(gf, gf), k1, k2, lambda_value)
