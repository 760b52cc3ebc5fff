"""Mask-guided TriHard (MPM-LTL algorithm 1) against a literal per-anchor reading."""
from __future__ import annotations

import pytest
import torch

from reidlib.miners import mask_guided_trihard


def literal_algorithm_1(f, pids, cams, masks, num_far=10, num_mask=5, fallback=True):
    """Algorithm 1 anchor by anchor with Python lists (stable sorts, first minimum)."""
    n = len(pids)
    f = f.reshape(n, -1)
    m = masks.reshape(n, -1).double()
    out = []
    for a in range(n):
        d = lambda j: float(torch.linalg.norm(f[a] - f[j]))
        P = [j for j in range(n) if pids[j] == pids[a] and cams[j] != cams[a]]
        if not P and fallback:
            P = [j for j in range(n) if pids[j] == pids[a] and j != a]
        N = [j for j in range(n) if pids[j] != pids[a] and cams[j] == cams[a]]
        if not N and fallback:
            N = [j for j in range(n) if pids[j] != pids[a]]
        if not P or not N:
            continue
        P = sorted(P, key=lambda j: -d(j))[:num_far]
        N = sorted(N, key=lambda j: d(j))[:num_far]
        inter = lambda j: float((m[a] * m[j]).sum())
        P = sorted(P, key=lambda j: -inter(j))[:num_mask]
        N = sorted(N, key=lambda j: -inter(j))[:num_mask]
        best, pair = float("inf"), None
        for p in P:
            for q in N:
                gap = abs(d(q) - d(p))
                if gap < best:
                    best, pair = gap, (p, q)
        out.append((a, *pair))
    return out


def bank(n=60, ids=8, cams=3, dim=5, hw=(6, 4), seed=0):
    g = torch.Generator().manual_seed(seed)
    f = torch.randn(n, dim, generator=g, dtype=torch.float64)
    pids = torch.randint(0, ids, (n,), generator=g)
    camids = torch.randint(0, cams, (n,), generator=g)
    masks = (torch.rand(n, *hw, generator=g) > 0.5).float()
    return f, pids, camids, masks


def as_list(t):
    return list(zip(*(x.tolist() for x in t)))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("num_far,num_mask", [(10, 5), (3, 2), (4, 4)])
def test_matches_literal_algorithm(seed, num_far, num_mask):
    f, pids, cams, masks = bank(seed=seed)
    fast = mask_guided_trihard(f, pids, cams, masks, num_far, num_mask, chunk_size=7)
    assert as_list(fast) == literal_algorithm_1(f, pids, cams, masks, num_far, num_mask)


def test_soft_masks_and_4d_masks():
    f, pids, cams, masks = bank(seed=5)
    soft = torch.rand(masks.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    fast = mask_guided_trihard(f, pids, cams, soft[:, None])
    assert as_list(fast) == literal_algorithm_1(f, pids, cams, soft)


def test_fallbacks_when_sets_empty():
    # id 0 only in camera 0 (no cross-camera positive); camera 2 holds only id 3
    # (no same-camera negative); id 4 has a single image (dropped).
    pids = torch.tensor([0, 0, 0, 1, 1, 2, 2, 3, 3, 4])
    cams = torch.tensor([0, 0, 0, 0, 1, 1, 0, 2, 2, 1])
    f, _, _, masks = bank(n=10, seed=3)
    fast = as_list(mask_guided_trihard(f, pids, cams, masks))
    assert fast == literal_algorithm_1(f, pids, cams, masks)
    by_anchor = {a: (p, n) for a, p, n in fast}
    assert 9 not in by_anchor
    assert pids[by_anchor[0][0]] == 0 and cams[by_anchor[0][0]] == 0  # same-camera positive
    assert cams[by_anchor[7][1]] != 2  # negative from another camera
    strict = as_list(mask_guided_trihard(f, pids, cams, masks, fallback=False))
    assert strict == literal_algorithm_1(f, pids, cams, masks, fallback=False)
    assert {a for a, _, _ in strict}.isdisjoint({0, 1, 2, 7, 8, 9})


def test_triplet_constraints_hold():
    f, pids, cams, masks = bank(n=80, seed=4)
    a, p, n = mask_guided_trihard(f.float(), pids, cams, masks)
    assert len(a) > 0
    assert (pids[a] == pids[p]).all() and (cams[a] != cams[p]).all()
    assert (pids[a] != pids[n]).all() and (cams[a] == cams[n]).all()


def test_bad_parameters():
    f, pids, cams, masks = bank(n=10)
    with pytest.raises(ValueError, match="num_mask"):
        mask_guided_trihard(f, pids, cams, masks, num_far=3, num_mask=5)
    with pytest.raises(ValueError, match="num_far"):
        mask_guided_trihard(f, pids, cams, masks, num_far=0)
    with pytest.raises(ValueError, match="masks"):
        mask_guided_trihard(f, pids, cams, masks[:5])
    with pytest.raises(ValueError, match="pids"):
        mask_guided_trihard(f, pids[:3], cams, masks)
