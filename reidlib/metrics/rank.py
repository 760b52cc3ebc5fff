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
gallery order (lower gallery index first). This equals torchreid's
``np.argsort(distmat, axis=1, kind="stable")`` followed by its per-query filtering.

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

Algorithm (no full sort): per chunk of queries the good matches' distances are
sorted (a few per query); every gallery item is bucketed into that short sorted
list with ``searchsorted`` (ties resolved by gallery index through a composite
key), a per-row histogram of buckets over valid negatives gives, by cumulative sum,
the number of negatives ranked before each match. Cost ``O(Q G log n)``.
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
    q, g = d.shape
    if q == 0:
        raise ValueError("distmat has no query rows (empty query set)")
    if g == 0:
        raise ValueError("distmat has no gallery columns (empty gallery)")
    if torch.isnan(d).any():
        raise ValueError("distmat contains NaN distances; check the features (NaN/inf) first")
    return (d, _labels(q_pids, "q_pids", q), _labels(g_pids, "g_pids", g),
            _labels(q_camids, "q_camids", q), _labels(g_camids, "g_camids", g))


def match_ranks(distmat: Any, q_pids: Any, g_pids: Any, q_camids: Any, g_camids: Any,
                chunk_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks of every good match of every query, junk removed, stable ties.

    Returns ``ranks [Q, M]`` (int64, ascending per row, padded with 0) and
    ``num_good [Q]``; ``M`` is the largest number of good matches of a query.
    """
    d, qp, gp, qc, gc = _check_inputs(distmat, q_pids, g_pids, q_camids, g_camids)
    nq, ng = d.shape
    # Gallery grouped by pid (stable: ascending gallery index within a pid).
    g_order = torch.argsort(gp, stable=True)
    gp_sorted = gp[g_order]
    starts = torch.searchsorted(gp_sorted, qp, right=False)
    ends = torch.searchsorted(gp_sorted, qp, right=True)
    weight = (gp != -1).to(torch.int64)  # items that count as negatives (pid -1 is junk)
    blocks_r, blocks_n = [], []
    for s in range(0, nq, chunk_size):
        e = min(s + chunk_size, nq)
        blocks = _chunk_ranks(d[s:e], qp[s:e], qc[s:e], gp, gc, g_order,
                              starts[s:e], ends[s:e], weight)
        blocks_r.append(blocks[0])
        blocks_n.append(blocks[1])
    width = max(r.shape[1] for r in blocks_r)
    ranks = torch.zeros((nq, width), dtype=torch.int64)
    row = 0
    for r in blocks_r:
        ranks[row:row + r.shape[0], :r.shape[1]] = r
        row += r.shape[0]
    return ranks.numpy(), torch.cat(blocks_n).numpy()


def _chunk_ranks(d, qp, qc, gp, gc, g_order, starts, ends, weight):
    c, ng = d.shape
    lengths = ends - starts
    lmax = int(lengths.max()) if c else 0
    ar = torch.arange(max(lmax, 1))
    in_group = ar[None, :] < lengths[:, None]
    same_idx = g_order[(starts[:, None] + ar[None, :]).clamp(max=ng - 1)]  # [c, L] ascending
    same_cam = gc[same_idx] == qc[:, None]
    good = in_group & ~same_cam & (gp[same_idx] != -1)
    num_good = good.sum(dim=1)
    m = max(int(num_good.max()), 1)
    # Pack the good matches to the left: (stable) sort by "not good" keeps index order.
    order = torch.argsort((~good).to(torch.int8), dim=1, stable=True)[:, :m]
    idx = torch.gather(same_idx, 1, order)
    valid_slot = torch.arange(m)[None, :] < num_good[:, None]
    t = torch.gather(d, 1, idx)
    t = torch.where(valid_slot, t, torch.full_like(t, float("inf")))
    idx = torch.where(valid_slot, idx, torch.full_like(idx, ng))  # pads: +inf, index G
    t_sorted, perm = torch.sort(t, dim=1, stable=True)
    idx_sorted = torch.gather(idx, 1, perm)
    # b[j] = number of good matches ranked before gallery item j (key (distance, index)).
    b = torch.searchsorted(t_sorted, d, right=False)
    tie = torch.gather(t_sorted, 1, b.clamp(max=m - 1)) == d
    if bool(tie.any()):
        new_block = torch.ones_like(t_sorted, dtype=torch.int64)
        new_block[:, 1:] = (t_sorted[:, 1:] != t_sorted[:, :-1]).to(torch.int64)
        block = torch.cumsum(new_block, dim=1)
        key = block * (ng + 1) + idx_sorted  # strictly increasing along each row
        q_key = torch.gather(block, 1, b.clamp(max=m - 1)) * (ng + 1) + torch.arange(ng)[None, :]
        b = torch.where(tie, torch.searchsorted(key, q_key, right=False), b)
    # Histogram of b over all weighted gallery items, minus the same-pid ones.
    hist = torch.zeros((c, m + 1), dtype=torch.int64)
    hist.scatter_add_(1, b, weight[None, :].expand(c, ng))
    b_same = torch.gather(b, 1, same_idx)
    w_same = (weight[same_idx] * in_group).to(torch.int64)
    hist.scatter_add_(1, b_same, -w_same)
    neg_before = torch.cumsum(hist, dim=1)[:, :m]
    ranks = torch.arange(1, m + 1)[None, :] + neg_before
    ranks = torch.where(valid_slot, ranks, torch.zeros_like(ranks))
    return ranks, num_good


def evaluate_rank(distmat: Any, q_pids: Any, g_pids: Any, q_camids: Any, g_camids: Any,
                  max_rank: int = 50, ap_mode: str = "standard",
                  chunk_size: int = 256) -> dict[str, Any]:
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
    ranks, num_good = match_ranks(distmat, q_pids, g_pids, q_camids, g_camids, int(chunk_size))
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
