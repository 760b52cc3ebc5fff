"""Identical features (distance 0) give finite gradients in every distance-based loss.

A bare ``sqrt`` at ``d2 = 0`` has an infinite derivative, so ``d(a, p)`` of two identical
features back-propagated ``inf * 0 = NaN`` although the loss is finite (the old
``pair_distance``); these tests fail on that behaviour.
"""
from __future__ import annotations

import torch

from reidlib.miners import batch_hard_triplets
from reidlib.losses import (local_triplet_loss, region_triplet_loss, siamese_loss, triplet_loss)
from reidlib.losses._common import pair_distance


def _finite_grad(loss: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    loss.backward()
    assert torch.isfinite(loss)
    assert x.grad is not None and torch.isfinite(x.grad).all(), x.grad
    return x.grad


def test_pair_distance_at_zero_has_zero_finite_gradient():
    x = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    d = pair_distance(x, x.detach().clone())
    assert d.item() < 1e-5
    assert torch.equal(_finite_grad(d.sum(), x), torch.zeros_like(x))
    # away from 0 the distance and its gradient are the plain Euclidean ones
    y = torch.tensor([[4.0, 6.0, 3.0]])
    x.grad = None
    d = pair_distance(x, y)
    assert d.item() == 5.0
    torch.testing.assert_close(_finite_grad(d.sum(), x), torch.tensor([[-0.6, -0.8, 0.0]]))


def test_triplet_with_identical_anchor_and_positive():
    # anchor 0 and positive 1 are the same vector: d(a,p) = 0, the hinge is active
    x = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.2, 0.1]], requires_grad=True)
    y = torch.tensor([0, 0, 1])
    trip = (torch.tensor([0]), torch.tensor([1]), torch.tensor([2]))
    loss = triplet_loss(x, y, trip, margin=0.5)
    assert loss.item() > 0
    g = _finite_grad(loss, x)
    assert g.abs().sum() > 0  # the negative is still pushed away


def test_local_triplet_with_identical_parts():
    h = torch.zeros(3, 2, 4)
    h[2] = 0.1
    h.requires_grad_(True)
    y = torch.tensor([0, 0, 1])
    trip = (torch.tensor([0]), torch.tensor([1]), torch.tensor([2]))
    _finite_grad(local_triplet_loss(h, y, trip, margin=0.5), h)


def test_all_triplets_and_batch_hard_with_duplicates():
    x = torch.tensor([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.3, 1.0]], requires_grad=True)
    y = torch.tensor([0, 0, 1, 1])  # 0 and 2 are identical across ids too: d(a,n) = 0
    _finite_grad(triplet_loss(x, y), x)
    x.grad = None
    _finite_grad(triplet_loss(x, y, batch_hard_triplets(x, y)), x)


def test_region_triplet_and_siamese_with_identical_streams():
    h = torch.ones(2, 3, requires_grad=True)
    _finite_grad(region_triplet_loss(h, h, h, margin=10.0), h)
    x = torch.ones(4, 3, requires_grad=True)
    _finite_grad(siamese_loss(x, torch.tensor([0, 0, 1, 1])), x)
