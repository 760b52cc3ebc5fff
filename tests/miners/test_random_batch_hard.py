"""Random and batch-hard miners against brute force and pytorch-metric-learning."""
from __future__ import annotations

import torch
from pytorch_metric_learning.distances import LpDistance
from pytorch_metric_learning.miners import BatchHardMiner as PmlBatchHard

from reidlib.miners import BatchHardMiner, batch_hard_triplets, random_triplets


def test_random_triplets_valid_and_cover_choices():
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])
    seen_p, seen_n = {}, {}
    g = torch.Generator().manual_seed(0)
    for _ in range(300):
        a, p, n = random_triplets(labels, g)
        assert set(a.tolist()) == {0, 1, 2, 3, 4, 6, 7, 8, 9}  # 5 is a singleton
        assert (labels[a] == labels[p]).all() and (a != p).all()
        assert (labels[a] != labels[n]).all()
        for x, y, z in zip(a.tolist(), p.tolist(), n.tolist()):
            seen_p.setdefault(x, set()).add(y)
            seen_n.setdefault(x, set()).add(z)
    for x in seen_p:  # every legal positive and negative gets drawn
        assert seen_p[x] == {j for j in range(10) if labels[j] == labels[x] and j != x}
        assert seen_n[x] == {j for j in range(10) if labels[j] != labels[x]}


def test_random_triplets_seeded():
    labels = torch.randint(0, 5, (40,), generator=torch.Generator().manual_seed(1))
    r1 = random_triplets(labels, torch.Generator().manual_seed(3))
    r2 = random_triplets(labels, torch.Generator().manual_seed(3))
    assert all(torch.equal(x, y) for x, y in zip(r1, r2))


def test_batch_hard_brute_force_and_pml():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(24, 6, generator=g, dtype=torch.float64)
    y = torch.randint(0, 5, (24,), generator=g)
    a, p, n = batch_hard_triplets(x, y)
    expect = []
    for i in range(24):
        P = [j for j in range(24) if y[j] == y[i] and j != i]
        N = [j for j in range(24) if y[j] != y[i]]
        if P and N:
            d = lambda j: float((x[i] - x[j]).norm())
            expect.append((i, max(P, key=d), min(N, key=d)))
    assert list(zip(a.tolist(), p.tolist(), n.tolist())) == expect
    pa, pp, pn = PmlBatchHard(distance=LpDistance(normalize_embeddings=False))(x, y)
    got = sorted(zip(pa.tolist(), pp.tolist(), pn.tolist()))
    assert got == sorted(expect)
    assert all(torch.equal(u, v) for u, v in zip(BatchHardMiner()(x, y), (a, p, n)))
