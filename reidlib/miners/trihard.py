"""Mask-guided TriHard over a whole feature bank (MPM-LTL section III-E, algorithm 1).

For every anchor ``a`` of the bank:

1. ``P = {p : pid_p = pid_a, cam_p != cam_a}``, ``N = {n : pid_n != pid_a, cam_n = cam_a}``;
2. keep the ``num_far = 10`` positives with the largest and the 10 negatives with
   the smallest Euclidean distance ``d`` to the anchor;
3. mask intersection ``m(a, x) = sum_ij (M_a o M_x)_ij`` (element-wise product of
   the masks at the feature-map size, e.g. 24 x 8, summed; for binary masks the
   count of common foreground cells): keep the ``num_mask = 5`` of each set with
   the largest ``m``;
4. return the pair ``(p, n)`` minimising ``|d(a, n) - d(a, p)|``.

Shapes: ``features`` ``[N, D]`` (or ``[N, ...]``, flattened), ``pids``/``camids``
``[N]``, ``masks`` ``[N, h, w]`` or ``[N, 1, h, w]`` (binary or soft, already
downsampled). Returns ``(anchors, positives, negatives)`` LongTensors ``[T]``.

Choices (not fixed by the paper):
- ties in step 3 keep the step-2 order (harder first): a stable sort; in step 4
  the first minimum in (positive, negative) order wins;
- fewer than 10 / 5 candidates: all of them are kept;
- fallback, ``fallback=True``: an anchor with no positive in another camera
  takes its positives from any camera (same id, not itself); an anchor with no
  negative in its camera takes negatives from any camera. Without another image
  of its id, or without any other id, the anchor is dropped. ``fallback=False``
  drops anchors with an empty ``P`` or ``N`` instead.
- ``d`` is the Euclidean distance (``squared=True`` for the squared one, which
  changes step 4).

Vectorisation: positives come from within-identity distances (samples sorted by
id, a few identities per block, ``[N, G]`` with G = largest identity); negatives from per-camera
distance blocks of ``chunk_size`` anchors (each symmetric block pair computed
once, running ``torch.topk`` merged), so the cost is about ``sum_c n_c^2 D / 2``
rather than ``N^2 D``.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .random import label_groups


def _sqdist(x: Tensor, y: Tensor, sq_x: Tensor, sq_y: Tensor) -> Tensor:
    """Squared Euclidean distances ``[..., n, D] x [..., m, D] -> [..., n, m]`` (clamped >= 0)."""
    return torch.baddbmm(sq_x[..., :, None] + sq_y[..., None, :], x, y.transpose(-1, -2),
                         alpha=-2).clamp_min(0) if x.dim() == 3 else \
        torch.addmm(sq_x[:, None] + sq_y[None, :], x, y.t(), alpha=-2).clamp_min(0)


def _finish(d2: Tensor, squared: bool) -> Tensor:
    return d2 if squared else d2.sqrt()


def _merge_topk(best_d: Tensor, best_i: Tensor, d: Tensor, cols: Tensor, k: int):
    """Merge the ``k`` smallest entries of block ``d`` (columns ``cols``) into a running top-k."""
    bd, bj = d.topk(min(k, d.shape[1]), dim=1, largest=False, sorted=True)
    cd = torch.cat([best_d, bd], dim=1)
    ci = torch.cat([best_i, cols[bj]], dim=1)
    nd, nj = cd.topk(k, dim=1, largest=False, sorted=True)
    return nd, ci.gather(1, nj)


def _check(features: Tensor, pids: Tensor, camids: Tensor, masks: Tensor):
    n = features.shape[0]
    pids, camids = torch.as_tensor(pids).long(), torch.as_tensor(camids).long()
    if pids.shape != (n,) or camids.shape != (n,):
        raise ValueError(f"pids and camids must have shape [{n}] to match features, got "
                         f"{tuple(pids.shape)} and {tuple(camids.shape)}")
    masks = torch.as_tensor(masks)
    if masks.shape[0] != n or masks.dim() not in (3, 4):
        raise ValueError(f"masks must be [{n}, h, w] or [{n}, 1, h, w] (downsampled, e.g. 24x8), "
                         f"got {tuple(masks.shape)}")
    return features.reshape(n, -1), pids, camids, masks.reshape(n, -1)


def _group_chunks(counts: list[int], rows: int) -> list[tuple[int, int]]:
    """Consecutive groups packed into row ranges of about ``rows`` rows (one group at least)."""
    out, r0, r = [], 0, 0
    for c in counts:
        if r > r0 and r + c - r0 > rows:
            out.append((r0, r))
            r0 = r
        r += c
    out.append((r0, r))
    return out


def _positives(f, sq, pids, camids, num_far, squared, fallback, rows=128):
    """Top ``num_far`` farthest positives per anchor: indices [N, k] (-1 = none), distances.

    Samples are sorted by pid so that each identity is a contiguous run of rows; the
    squared distances of a few consecutive identities come from one small block.
    """
    n = len(pids)
    order, start, size, rank = label_groups(pids)
    counts = torch.unique_consecutive(pids[order], return_counts=True)[1]
    g = int(counts.max())
    f_s, sq_s, cam_s = f[order], sq[order], camids[order]
    start_s, size_s = start[order], size[order]
    cols = torch.arange(g)
    cand_s = start_s[:, None] + cols  # sorted positions of each row's identity, [N, G]
    valid = (cols[None, :] < size_s[:, None]) & (cand_s != torch.arange(n)[:, None])
    cand_s = cand_s.clamp(max=n - 1)
    d = torch.empty(n, g, dtype=f.dtype)
    for r0, r1 in _group_chunks(counts.tolist(), rows):
        block = _sqdist(f_s[r0:r1], f_s[r0:r1], sq_s[r0:r1], sq_s[r0:r1])
        d[r0:r1] = block.gather(1, (cand_s[r0:r1] - r0).clamp(max=r1 - r0 - 1))
    other_cam = valid & (cam_s[cand_s] != cam_s[:, None])
    use = other_cam
    if fallback:
        use = torch.where(other_cam.any(1, keepdim=True), other_cam, valid)
    k = min(num_far, g)
    top_d, top_j = d.masked_fill(~use, float("-inf")).topk(k, dim=1, sorted=True)
    idx_s = order[cand_s.gather(1, top_j)].masked_fill(top_d == float("-inf"), -1)
    idx = torch.empty_like(idx_s)
    dist = torch.empty_like(top_d)
    idx[order], dist[order] = idx_s, top_d
    return idx, _finish(dist, squared)


def _negatives(f, sq, pids, camids, num_far, squared, fallback, chunk_size):
    """Top ``num_far`` nearest negatives per anchor in its camera (fallback: any camera).

    Within a camera the distance matrix is symmetric: each block pair (i, j), j >= i,
    is computed once and merged into the running top-k of both row chunks.
    """
    n = len(pids)
    k = min(num_far, n)
    inf = float("inf")
    best_d = torch.full((n, k), inf, dtype=f.dtype)
    best_i = torch.full((n, k), -1, dtype=torch.long)

    def block(a: Tensor, b: Tensor) -> Tensor:
        d = _sqdist(f[a], f[b], sq[a], sq[b])
        return d.masked_fill(pids[a][:, None] == pids[b][None, :], inf)

    for cam in torch.unique(camids):
        members = (camids == cam).nonzero(as_tuple=True)[0]
        chunks = list(members.split(chunk_size))
        for i, ci in enumerate(chunks):
            for cj in chunks[i:]:
                d = block(ci, cj)
                best_d[ci], best_i[ci] = _merge_topk(best_d[ci], best_i[ci], d, cj, k)
                if cj is not ci:
                    best_d[cj], best_i[cj] = _merge_topk(best_d[cj], best_i[cj], d.t(), ci, k)
    if fallback:
        empty = (best_d[:, 0] == inf).nonzero(as_tuple=True)[0]
        everyone = torch.arange(n)
        for ci in empty.split(chunk_size):
            for cj in everyone.split(chunk_size):
                best_d[ci], best_i[ci] = _merge_topk(best_d[ci], best_i[ci], block(ci, cj), cj, k)
    best_i = best_i.masked_fill(best_d == inf, -1)
    return best_i, _finish(best_d, squared)


def _mask_filter(idx, d, m, anchors_m, num_mask):
    """Keep the ``num_mask`` candidates with the largest mask intersection (stable)."""
    inter = (m[idx.clamp_min(0)] * anchors_m[:, None, :]).sum(-1)
    inter = inter.masked_fill(idx < 0, float("-inf"))
    _, perm = torch.sort(inter, dim=1, descending=True, stable=True)
    perm = perm[:, :num_mask]
    return idx.gather(1, perm), d.gather(1, perm)


@torch.no_grad()
def mask_guided_trihard(features: Tensor, pids: Tensor, camids: Tensor, masks: Tensor,
                        num_far: int = 10, num_mask: int = 5, squared: bool = False,
                        fallback: bool = True, chunk_size: int = 1024
                        ) -> tuple[Tensor, Tensor, Tensor]:
    """MPM-LTL algorithm 1 for every anchor of the bank; see the module docstring."""
    for name, v in (("num_far", num_far), ("num_mask", num_mask), ("chunk_size", chunk_size)):
        if int(v) < 1:
            raise ValueError(f"{name} must be >= 1, got {v!r}")
    if num_mask > num_far:
        raise ValueError(f"num_mask ({num_mask}) must be <= num_far ({num_far}): the mask "
                         "filter keeps a subset of the distance filter's candidates")
    f, pids, camids, m = _check(features, pids, camids, masks)
    f = f.detach()
    m = m.to(f.dtype)
    sq = (f * f).sum(1)
    p_idx, p_d = _positives(f, sq, pids, camids, num_far, squared, fallback)
    n_idx, n_d = _negatives(f, sq, pids, camids, num_far, squared, fallback, chunk_size)
    p_idx, p_d = _mask_filter(p_idx, p_d, m, m, num_mask)
    n_idx, n_d = _mask_filter(n_idx, n_d, m, m, num_mask)
    gap = (n_d[:, None, :] - p_d[:, :, None]).abs()  # [N, P, N']
    gap = gap.masked_fill((p_idx < 0)[:, :, None] | (n_idx < 0)[:, None, :], float("inf"))
    best = gap.flatten(1).argmin(1)
    kn = n_idx.shape[1]
    p = p_idx.gather(1, (best // kn)[:, None])[:, 0]
    neg = n_idx.gather(1, (best % kn)[:, None])[:, 0]
    keep = (p >= 0) & (neg >= 0)
    a = keep.nonzero(as_tuple=True)[0]
    return a, p[a], neg[a]


class MaskGuidedTriHardMiner:
    """``MaskGuidedTriHardMiner()(features, pids, camids, masks) -> (a, p, n)`` (MPM-LTL alg. 1)."""

    def __init__(self, num_far: int = 10, num_mask: int = 5, squared: bool = False,
                 fallback: bool = True, chunk_size: int = 1024) -> None:
        self.kw = dict(num_far=num_far, num_mask=num_mask, squared=squared, fallback=fallback,
                       chunk_size=chunk_size)

    def __call__(self, features: Tensor, pids: Tensor, camids: Tensor, masks: Tensor
                 ) -> tuple[Tensor, Tensor, Tensor]:
        return mask_guided_trihard(features, pids, camids, masks, **self.kw)
