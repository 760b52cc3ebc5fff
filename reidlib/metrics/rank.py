"""CMC and mAP under the official Market-1501 protocol, exact and without a full sort.

Input: ``distmat [Q, G]`` (smaller = more similar), ``q_pids [Q]``, ``g_pids [G]``,
``q_camids [Q]``, ``g_camids [G]`` (numpy arrays or torch tensors).

Protocol (Market-1501 ``evaluation.m``; torchreid / fast-reid ``eval_market1501``):
for each query, gallery items with the same pid *and* the same camera, and every
gallery item with pid ``-1``, are junk and removed from its ranking. Good matches
are the remaining items with the query's pid; pid ``0`` distractors stay in the
gallery as negatives. A query without any good match is skipped and counted in
``num_valid_queries``' complement (``num_skipped_queries``).

Ties: the ranking is a **stable** sort by distance, so equal distances keep the
gallery order (lower gallery index first). This equals torchreid's evaluator with
its ``np.argsort(distmat, axis=1)`` made ``kind="stable"`` (its default quicksort
orders ties arbitrarily), followed by its per-query filtering.

Rank of the ``k``-th good match (``k = 1..n``, 1-based, junk removed)::

    r_k = k + #{valid negatives j ranked before it}

``ap_mode="standard"`` (torchreid, fast-reid): ``AP = 1/n sum_k k / r_k``.
``ap_mode="trapezoid"`` (official ``compute_AP.m``): ``AP = 1/n sum_k (p_{k-1}' + k/r_k)/2``
with ``p'`` the precision at the valid position just before ``r_k``:
``(k-1)/(r_k-1)``, or 1 when ``r_k = 1``.
CMC: ``cmc[i] = mean over valid queries of [r_1 <= i+1]``; for ``i`` beyond the
gallery it stays 1, i.e. a CMC longer than the gallery is padded with its last
value (torchreid instead shortens ``max_rank`` to the gallery size).
mINP (Ye et al. 2021, as torchreid): ``n / r_n``.

Algorithm (exact, usually no sort): queries are chunked by their number of good
matches ``n``; per query the good matches are sorted by (distance, gallery index),
and only the gallery items not farther than the last match ("candidates") can rank
before a match. Each candidate is compared with the ``n`` match keys, giving the
number of matches before it; a per-query histogram of these counts, cumulated,
gives the negatives before each match. Cost ``O(Q G + candidates x n)``. When a
chunk has many candidates (poor rankings, ``sparse_ratio``), its rows are stably
sorted instead. Both paths give identical results.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .distance import as_numpy, as_torch

AP_MODES = ("standard", "trapezoid")


def _labels(x: Any, name: str, n: int | None = None) -> torch.Tensor:
    a = as_numpy(x, name)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {a.shape}")
    if n is not None and a.shape[0] != n:
        raise ValueError(f"{name} has length {a.shape[0]} but the distance matrix needs {n}")
    if a.dtype.kind not in "iub":
        raise ValueError(f"{name} must hold integers, got dtype {a.dtype}")
    return torch.from_numpy(a.astype(np.int64))


def _check_inputs(distmat: Any, q_pids: Any, g_pids: Any, q_camids: Any, g_camids: Any):
    d = as_torch(distmat, "distmat")
    if d.ndim != 2:
        raise ValueError(f"distmat must be 2-D [num_query, num_gallery], got shape {tuple(d.shape)}")
    if not torch.is_floating_point(d):
        d = d.to(torch.float64)
    elif d.dtype not in (torch.float32, torch.float64):
        d = d.to(torch.float32)
    d = d.contiguous()
    q, g = d.shape
    if q == 0:
        raise ValueError("distmat has no query rows (empty query set)")
    if g == 0:
        raise ValueError("distmat has no gallery columns (empty gallery)")
    if bool(torch.isnan(d.min())):  # min propagates NaN: one reduction, no mask
        raise ValueError("distmat contains NaN distances; check the features (NaN/inf) first")
    return (d, _labels(q_pids, "q_pids", q), _labels(g_pids, "g_pids", g),
            _labels(q_camids, "q_camids", q), _labels(g_camids, "g_camids", g))


def match_ranks(distmat: Any, q_pids: Any, g_pids: Any, q_camids: Any, g_camids: Any,
                chunk_size: int = 128, sparse_ratio: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks of every good match of every query, junk removed, stable ties.

    Returns ``ranks [Q, M]`` (int64, ascending per row, padded with 0) and
    ``num_good [Q]``; ``M`` is the largest number of good matches of a query.
    ``sparse_ratio`` picks the counting path per chunk, a speed knob only (both
    give identical results): candidates are counted while ``candidates x M <=
    sparse_ratio x c G log2 G`` (the cost of sorting the chunk), otherwise the
    chunk's rows are stably sorted. ``0`` forces sorting.
    """
    d, qp, gp, qc, gc = (t.numpy() for t in _check_inputs(distmat, q_pids, g_pids,
                                                            q_camids, g_camids))
    nq, ng = d.shape
    # Gallery grouped by pid (stable: ascending gallery index within a pid).
    g_order = np.argsort(gp, kind="stable")
    gp_sorted = gp[g_order]
    starts = np.searchsorted(gp_sorted, qp, side="left")
    ends = np.searchsorted(gp_sorted, qp, side="right")
    weight = gp != -1  # items that count as negatives (pid -1 is junk)
    # Chunks of queries with similar numbers of good matches: the candidate path
    # costs (number of candidates) x (largest number of matches in the chunk).
    q_order = np.argsort(_num_good(qp, qc, gp, gc, g_order, starts, ends), kind="stable")
    out = []
    num_good = np.zeros(nq, dtype=np.int64)
    for s in range(0, nq, chunk_size):
        rows = q_order[s:s + chunk_size]
        r, n = _chunk_ranks(d[rows], qp[rows], qc[rows], gp, gc, g_order, starts[rows],
                            ends[rows], weight, sparse_ratio)
        out.append((rows, r))
        num_good[rows] = n
    ranks = np.zeros((nq, max(r.shape[1] for _, r in out)), dtype=np.int64)
    for rows, r in out:
        ranks[rows, :r.shape[1]] = r
    return ranks, num_good


def _group(qp, qc, gp, gc, g_order, starts, ends):
    """Each query's own pid group ``[c, L]`` (gallery indices ascending) and its masks."""
    lengths = ends - starts
    ar = np.arange(max(int(lengths.max()), 1))
    in_group = ar[None, :] < lengths[:, None]
    same_idx = g_order[np.minimum(starts[:, None] + ar[None, :], len(gp) - 1)]
    good = in_group & (gc[same_idx] != qc[:, None]) & (gp[same_idx] != -1)
    return same_idx, in_group, good


def _num_good(qp, qc, gp, gc, g_order, starts, ends):
    """Number of good matches per query (same pid, other camera, pid not -1)."""
    total = np.zeros(len(qp), dtype=np.int64)
    for s in range(0, len(qp), 4096):
        sl = slice(s, s + 4096)
        total[sl] = _group(qp[sl], qc[sl], gp, gc, g_order, starts[sl], ends[sl])[2].sum(1)
    return total


def _count_before(x, j, t, it):
    """Flags: item (distance ``x``, index ``j``) ranks before item (``t``, ``it``) (stable order)."""
    return (x < t) | ((x == t) & (j < it))


def _chunk_ranks(d, qp, qc, gp, gc, g_order, starts, ends, weight, sparse_ratio):
    c, ng = d.shape
    same_idx, in_group, good = _group(qp, qc, gp, gc, g_order, starts, ends)
    num_good = good.sum(axis=1)
    m = max(int(num_good.max()), 1)
    # Pack the good matches to the left (stable: gallery index order), pad with (+inf, G).
    order = np.argsort(~good, axis=1, kind="stable")[:, :m]
    idx = np.take_along_axis(same_idx, order, axis=1)
    valid_slot = np.arange(m)[None, :] < num_good[:, None]
    t = np.where(valid_slot, np.take_along_axis(d, idx, axis=1), np.inf).astype(d.dtype)
    idx = np.where(valid_slot, idx, ng)
    perm = np.argsort(t, axis=1, kind="stable")
    t_sorted = np.take_along_axis(t, perm, axis=1)
    idx_sorted = np.take_along_axis(idx, perm, axis=1)
    # Items farther than the row's last match precede no match: only the others count.
    t_max = t_sorted[np.arange(c), np.maximum(num_good - 1, 0)]
    t_max[num_good == 0] = -np.inf  # skipped queries: (almost) no candidates
    cand = d <= t_max[:, None]
    all_weighted = bool(weight.all())
    if not all_weighted:
        cand &= weight[None, :]
    grp_rows = np.broadcast_to(np.arange(c)[:, None], same_idx.shape)
    cand[grp_rows[in_group], same_idx[in_group]] = False  # own pid group: not negatives
    # candidate path ~ candidates x m comparisons; sorting path ~ c G log2(G)
    if np.count_nonzero(cand) * m <= sparse_ratio * c * ng * np.log2(max(ng, 2)):
        rows, cols = np.nonzero(cand)
        before = _before_sparse(d, rows, cols, t_sorted, idx_sorted)
    else:
        before = _before_dense(d, idx_sorted, None if all_weighted else weight)
        # Remove the query's own pid group (good matches and same-camera junk).
        gx = np.take_along_axis(d, same_idx, axis=1)[:, :, None]
        flags = _count_before(gx, same_idx[:, :, None], t_sorted[:, None, :],
                              idx_sorted[:, None, :])
        before -= (flags & (in_group & weight[same_idx])[:, :, None]).sum(axis=1)
    ranks = np.arange(1, m + 1)[None, :] + before
    return np.where(valid_slot, ranks, 0), num_good


def _before_sparse(d, rows, cols, t_sorted, idx_sorted):
    """Negatives before each match, counted over the candidate items only."""
    c, m = t_sorted.shape
    hist = np.zeros(c * (m + 1), dtype=np.int64)
    step = max(1, (1 << 21) // m)
    for s in range(0, rows.size, step):
        r, j = rows[s:s + step], cols[s:s + step]
        # b = number of matches ranked before item j; j precedes match k iff b <= k
        x, tr = d[r, j][:, None], t_sorted[r]
        b = (tr < x).sum(axis=1)
        tie = (tr == x).any(axis=1)
        if tie.any():
            b[tie] = _count_before(tr[tie], idx_sorted[r[tie]], x[tie], j[tie, None]).sum(axis=1)
        hist += np.bincount(r * (m + 1) + b, minlength=c * (m + 1))
    return np.cumsum(hist.reshape(c, m + 1), axis=1)[:, :m]


def _before_dense(d, idx_sorted, weight):
    """Weighted items before each match from a stable sort of the chunk's rows."""
    c, ng = d.shape
    perm = np.argsort(d, axis=1, kind="stable")
    inv = np.empty(c * ng, dtype=np.int64)
    inv[(perm + (np.arange(c) * ng)[:, None]).ravel()] = np.tile(np.arange(ng), c)
    pos = inv.reshape(c, ng)[np.arange(c)[:, None], np.minimum(idx_sorted, ng - 1)]  # pads: masked
    if weight is None:
        return pos
    w_sorted = weight[perm].astype(np.int64)
    cum = np.cumsum(w_sorted, axis=1) - w_sorted  # weighted items strictly before
    return np.take_along_axis(cum, pos, axis=1)


def evaluate_rank(distmat: Any, q_pids: Any, g_pids: Any, q_camids: Any, g_camids: Any,
                  max_rank: int = 50, ap_mode: str = "standard",
                  chunk_size: int = 128, sparse_ratio: float = 1.5) -> dict[str, Any]:
    """CMC, mAP and mINP of a query-gallery distance matrix (Market-1501 protocol).

    Returns a dict with ``cmc`` (float64 ``[max_rank]``), ``mAP`` and ``mINP``
    (floats in [0, 1]), ``all_AP`` and ``all_INP`` (``[num_valid_queries]``),
    ``num_valid_queries``, ``num_skipped_queries`` and ``valid`` (bool ``[Q]``).
    """
    if ap_mode not in AP_MODES:
        raise ValueError(f"unknown ap_mode {ap_mode!r}; valid modes: {', '.join(AP_MODES)}")
    if not isinstance(max_rank, (int, np.integer)) or max_rank < 1:
        raise ValueError(f"max_rank must be a positive integer, got {max_rank!r}")
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    ranks, num_good = match_ranks(distmat, q_pids, g_pids, q_camids, g_camids,
                                  int(chunk_size), sparse_ratio)
    valid = num_good > 0
    if not valid.any():
        raise ValueError("no query has a good match in the gallery (same pid, other camera); "
                         "check q_pids/g_pids and q_camids/g_camids")
    r = ranks[valid].astype(np.float64)
    n = num_good[valid]
    slots = np.arange(r.shape[1])[None, :] < n[:, None]
    k = np.arange(1, r.shape[1] + 1, dtype=np.float64)[None, :]
    safe_r = np.where(slots, r, 1.0)
    precision = np.where(slots, k / safe_r, 0.0)
    if ap_mode == "standard":
        ap = precision.sum(axis=1) / n
    else:
        old = np.where(safe_r > 1, (k - 1) / np.maximum(safe_r - 1, 1), 1.0)
        ap = np.where(slots, (old + precision) / 2, 0.0).sum(axis=1) / n
    first = ranks[valid, 0]
    last = ranks[valid][np.arange(len(n)), n - 1]
    hits = np.bincount(np.minimum(first, max_rank + 1) - 1, minlength=max_rank + 1)[:max_rank]
    cmc = np.cumsum(hits) / float(len(n))
    inp = n / last
    return {
        "cmc": cmc,
        "mAP": float(ap.mean()),
        "mINP": float(inp.mean()),
        "all_AP": ap,
        "all_INP": inp,
        "num_valid_queries": int(valid.sum()),
        "num_skipped_queries": int((~valid).sum()),
        "valid": valid,
    }
