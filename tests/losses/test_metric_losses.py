"""Triplet, local triplet, batch-hard and Siamese losses vs brute-force loops and pml."""
from __future__ import annotations

import pytest
import torch
from pytorch_metric_learning.distances import LpDistance
from pytorch_metric_learning.losses import ContrastiveLoss, TripletMarginLoss
from pytorch_metric_learning.miners import BatchHardMiner
from pytorch_metric_learning.reducers import MeanReducer, SumReducer
from torch.autograd import gradcheck

from reidlib.losses import (LocalTripletLoss, SiameseLoss, TripletLoss, local_triplet_loss, siamese_loss, triplet_loss)
from reidlib.miners import batch_hard_triplets, random_triplets


def data(b=10, d=4, ids=3, seed=0, k=None):
    g = torch.Generator().manual_seed(seed)
    shape = (b, d) if k is None else (b, k, d)
    x = torch.randn(*shape, generator=g, dtype=torch.float64)
    y = torch.randint(0, ids, (b,), generator=g)
    return x, y


def dist(u, v):
    return float(((u - v) ** 2).sum().sqrt())


def test_triplet_all_triplets_brute_force():
    x, y = data()
    terms = [max(dist(x[a], x[p]) - dist(x[a], x[n]) + 0.5, 0.0)
             for a in range(10) for p in range(10) for n in range(10)
             if p != a and y[p] == y[a] and y[n] != y[a]]
    assert triplet_loss(x, y).item() == pytest.approx(sum(terms) / len(terms))


def test_triplet_mined_equals_pml_mean_reducer():
    x, y = data(b=16, ids=4)
    trip = random_triplets(y, torch.Generator().manual_seed(0))
    pml = TripletMarginLoss(margin=0.5, distance=LpDistance(normalize_embeddings=False),
                            reducer=MeanReducer())
    assert triplet_loss(x, y, trip).item() == pytest.approx(pml(x, y, trip).item())


def test_batch_hard_brute_force_and_pml():
    x, y = data(b=12, ids=4, seed=1)
    terms = []
    for a in range(12):
        P = [dist(x[a], x[j]) for j in range(12) if y[j] == y[a] and j != a]
        N = [dist(x[a], x[j]) for j in range(12) if y[j] != y[a]]
        if P and N:
            terms.append(max(max(P) - min(N) + 0.3, 0.0))
    got = triplet_loss(x, y, batch_hard_triplets(x, y), margin=0.3)
    assert got.item() == pytest.approx(sum(terms) / len(terms))
    lp = LpDistance(normalize_embeddings=False)
    pml = TripletMarginLoss(margin=0.3, distance=lp, reducer=MeanReducer())
    assert got.item() == pytest.approx(pml(x, y, BatchHardMiner(distance=lp)(x, y)).item())
    assert TripletLoss(0.3)(x, y, batch_hard_triplets(x, y)).item() == pytest.approx(got.item())


def test_local_triplet_brute_force_and_k1_equals_global():
    h, y = data(b=9, d=3, k=4, seed=2)
    trip = random_triplets(y, torch.Generator().manual_seed(1))
    terms = [sum(max(dist(h[a, i], h[p, i]) - dist(h[a, i], h[n, i]) + 0.5, 0.0)
                 for i in range(4)) / 4 for a, p, n in zip(*(t.tolist() for t in trip))]
    got = local_triplet_loss(list(h.unbind(1)), y, trip)
    assert got.item() == pytest.approx(sum(terms) / len(terms))
    x, _ = data(b=9, d=3, seed=3)
    assert local_triplet_loss(x[:, None], y, trip).item() == pytest.approx(
        triplet_loss(x, y, trip).item())
    assert LocalTripletLoss()(x[:, None], y).item() == pytest.approx(triplet_loss(x, y).item())


def test_siamese_brute_force_and_pml_sum():
    x, y = data(b=8, ids=3, seed=4)
    x = x * 2
    terms = []
    for i in range(8):
        for j in range(i + 1, 8):
            d2 = dist(x[i], x[j]) ** 2
            terms.append(d2 if y[i] == y[j] else max(10 - d2, 0.0))
    assert siamese_loss(x, y).item() == pytest.approx(sum(terms) / len(terms))
    pml = ContrastiveLoss(pos_margin=0, neg_margin=10, reducer=SumReducer(),
                          distance=LpDistance(power=2, normalize_embeddings=False))
    i, j = (~torch.eye(8, dtype=torch.bool)).nonzero(as_tuple=True)  # pml: ordered pairs
    assert siamese_loss(x, y, (i, j), reduction="sum").item() == pytest.approx(pml(x, y).item())
    pairs = (torch.arange(4), torch.arange(4, 8))
    want = [dist(x[i], x[i + 4]) ** 2 if y[i] == y[i + 4] else max(10 - dist(x[i], x[i + 4]) ** 2, 0)
            for i in range(4)]
    assert SiameseLoss()(x, y, pairs).item() == pytest.approx(sum(want) / 4)


def test_gradients():
    x, y = data(b=8, d=3, ids=3, seed=5)
    trip = random_triplets(y, torch.Generator().manual_seed(2))
    h, _ = data(b=8, d=2, k=3, seed=6)
    for fn, inp in [(lambda z: triplet_loss(z, y, trip, margin=1.0), x),
                    (lambda z: triplet_loss(z, y, batch_hard_triplets(z, y), margin=1.0), x),
                    (lambda z: local_triplet_loss(z, y, trip, margin=1.0), h),
                    (lambda z: siamese_loss(z, y, margin=4.0), x)]:
        assert gradcheck(fn, (inp.clone().requires_grad_(),), eps=1e-6, atol=1e-5)


def test_bad_parameters():
    x, y = data()
    with pytest.raises(ValueError, match="margin"):
        triplet_loss(x, y, margin=-0.1)
    with pytest.raises(ValueError, match="margin"):
        SiameseLoss(margin=-1)
    with pytest.raises(ValueError, match=r"\[B, D\]"):
        triplet_loss(x[0], y)
    with pytest.raises(ValueError, match="labels"):
        batch_hard_triplets(x, y[:3])
    with pytest.raises(ValueError, match="triplet"):
        triplet_loss(x, y, (torch.tensor([0]), torch.tensor([1])))
    with pytest.raises(ValueError, match="reduction"):
        triplet_loss(x, y, reduction="avg")
