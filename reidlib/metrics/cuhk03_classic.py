"""CUHK03 classic protocol: single-gallery-shot CMC (Li et al. 2014; MGCAM Table 6,
MPM-LTL "CUHK03 old", MaskReID Table 1).

For each repeat, every query sees a gallery with **one** randomly sampled image per
identity: junk (same pid and same camera as the query, and pid ``-1``) is removed
first, as in torchreid's ``eval_cuhk03``, then one of the remaining images of each
identity is drawn (per query, uniformly, seeded). The query's rank is
``1 + #{sampled images of other identities ranked before its match}`` with the
stable tie rule of :mod:`reidlib.metrics.rank` (equal distances: lower gallery
index first). CMC is averaged over queries with a match, then over ``repeats``
samplings (default 10), then over the splits (20 in the classic protocol).
Shapes: ``distmat [Q, G]``, ids ``[Q]`` / ``[G]``; returns ``cmc [max_rank]``.
AP is ``1 / rank`` per query (one match), reported as ``mAP`` for completeness.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np

from .rank import _check_inputs


def single_shot_cmc(distmat: Any, q_pids: Any, g_pids: Any, q_camids: Any, g_camids: Any,
                    max_rank: int = 50, repeats: int = 10, seed: int = 0) -> dict[str, Any]:
    """Single-gallery-shot CMC of one split averaged over ``repeats`` samplings."""
    if not isinstance(max_rank, (int, np.integer)) or max_rank < 1:
        raise ValueError(f"max_rank must be a positive integer, got {max_rank!r}")
    if not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    d, qp, gp, qc, gc = (t.numpy() for t in _check_inputs(distmat, q_pids, g_pids,
                                                            q_camids, g_camids))
    nq, ng = d.shape
    order = np.argsort(gp, kind="stable")
    gp_sorted = gp[order]
    starts = np.flatnonzero(np.r_[True, gp_sorted[1:] != gp_sorted[:-1]])
    group_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, ng]))  # per sorted col
    pids = gp_sorted[starts]
    junk = ((qp[:, None] == gp[None, :]) & (qc[:, None] == gc[None, :])) | (gp[None, :] == -1)
    d_sorted, junk_sorted = d[:, order], junk[:, order]
    q_group = np.searchsorted(pids, qp)
    has_group = (q_group < len(pids)) & (pids[np.minimum(q_group, len(pids) - 1)] == qp)
    rng = np.random.default_rng(seed)
    cmcs, aps, counts = [], [], []
    for _ in range(int(repeats)):
        keys = rng.random((nq, ng))
        keys[junk_sorted] = np.inf
        gmin = np.minimum.reduceat(keys, starts, axis=1)  # [Q, P]
        selected = (keys == gmin[:, group_of]) & np.isfinite(keys)
        # the query's sampled match (sorted column), if its identity has a valid image
        own = selected & (group_of[None, :] == q_group[:, None]) & has_group[:, None]
        valid = own.any(axis=1)
        pos_col = own.argmax(axis=1)
        pos_d = d_sorted[np.arange(nq), pos_col][:, None]
        pos_idx = order[pos_col][:, None]
        before = (d_sorted < pos_d) | ((d_sorted == pos_d) & (order[None, :] < pos_idx))
        rank = 1 + (before & selected & ~own).sum(axis=1)
        rank = rank[valid]
        hits = np.bincount(np.minimum(rank, max_rank + 1) - 1, minlength=max_rank + 1)
        cmcs.append(np.cumsum(hits[:max_rank]) / max(len(rank), 1))
        aps.append(float(np.mean(1.0 / rank)) if len(rank) else 0.0)
        counts.append(int(valid.sum()))
    if max(counts) == 0:
        raise ValueError("no query has a valid match in the gallery (same pid, other camera)")
    return {"cmc": np.mean(cmcs, axis=0), "mAP": float(np.mean(aps)),
            "cmc_per_repeat": np.stack(cmcs), "num_valid_queries": counts[0]}


def evaluate_cuhk03_classic(splits: Iterable[Mapping[str, Any]], max_rank: int = 50,
                            repeats: int = 10, seed: int = 0) -> dict[str, Any]:
    """Average :func:`single_shot_cmc` over splits.

    Each split is a mapping with ``distmat, q_pids, g_pids, q_camids, g_camids``;
    split ``i`` is sampled with seed ``seed + i``.
    """
    keys = ("distmat", "q_pids", "g_pids", "q_camids", "g_camids")
    per_split = []
    for i, split in enumerate(splits):
        missing = [k for k in keys if k not in split]
        if missing:
            raise ValueError(f"split {i} lacks {missing}; each split needs keys {list(keys)}")
        per_split.append(single_shot_cmc(*(split[k] for k in keys), max_rank=max_rank,
                                         repeats=repeats, seed=seed + i))
    if not per_split:
        raise ValueError("splits is empty: pass one mapping per split (20 for CUHK03 classic)")
    return {"cmc": np.mean([r["cmc"] for r in per_split], axis=0),
            "mAP": float(np.mean([r["mAP"] for r in per_split])),
            "cmc_per_split": np.stack([r["cmc"] for r in per_split]),
            "num_splits": len(per_split)}
