"""ECN exemplar memory: update math, neighbourhood weights and losses vs brute force."""
import math

import pytest
import torch
import torch.nn.functional as F

from reidlib.domain.exemplar_memory import ExemplarMemory, memory_update, neighbourhood_weights


def _brute_update(mem, feats, idx, alpha):
    mem = mem.clone()
    for x, y in zip(feats, idx.tolist()):
        v = alpha * mem[y] + (1 - alpha) * x
        mem[y] = v / math.sqrt(float((v * v).sum()))
    return mem


@pytest.mark.parametrize("idx", [[3, 0, 5], [2, 2, 4, 2]])
def test_memory_update_matches_loop(idx):
    g = torch.Generator().manual_seed(0)
    mem = F.normalize(torch.randn(6, 5, generator=g), dim=1)
    idx = torch.tensor(idx)
    feats = torch.randn(len(idx), 5, generator=g)
    want = _brute_update(mem, feats, idx, 0.3)
    memory_update(mem, feats, idx, 0.3)
    assert torch.allclose(mem, want, atol=1e-6)


def test_memory_update_alpha_zero_copies_normalised_feature():
    mem = torch.zeros(3, 2)
    memory_update(mem, torch.tensor([[3.0, 4.0]]), torch.tensor([1]), 0.0)
    assert mem[1].tolist() == pytest.approx([0.6, 0.8])
    assert mem[0].abs().sum() == 0
    with pytest.raises(ValueError, match="alpha"):
        memory_update(mem, torch.ones(1, 2), torch.tensor([0]), 1.5)


def test_neighbourhood_weights_brute_force():
    g = torch.Generator().manual_seed(1)
    sim = torch.randn(4, 9, generator=g)
    idx = torch.tensor([0, 8, 3, 3])
    k = 3
    w = neighbourhood_weights(sim, idx, k)
    for b in range(4):
        order = sorted(range(9), key=lambda j: -float(sim[b, j]))[:k]
        for j in range(9):
            want = 1.0 if j == int(idx[b]) else (1.0 / k if j in order else 0.0)
            assert float(w[b, j]) == pytest.approx(want)
    with pytest.raises(ValueError, match="knn"):
        neighbourhood_weights(sim, idx, 10)


def test_memory_loss_and_update_in_backward():
    g = torch.Generator().manual_seed(2)
    em = ExemplarMemory(7, 4, beta=0.05, knn=2, alpha=0.1, knn_start=1)
    em.memory.copy_(F.normalize(torch.randn(7, 4, generator=g), dim=1))
    before = em.memory.clone()
    f = torch.randn(3, 4, generator=g, requires_grad=True)
    idx = torch.tensor([1, 4, 6])
    em.set_epoch(0)  # exemplar-invariance: CE over K . f / beta
    loss = em(f, idx)
    K, want = before.tolist(), 0.0
    for b in range(3):
        v = f[b].detach().tolist()
        n = math.sqrt(sum(t * t for t in v))
        z = [sum(K[j][d] * v[d] / n for d in range(4)) / 0.05 for j in range(7)]
        want += -(z[int(idx[b])] - math.log(sum(math.exp(t) for t in z))) / 3
    assert float(loss.detach()) == pytest.approx(want, rel=1e-5)
    assert torch.equal(em.memory, before)  # not updated before backward
    loss.backward()
    assert f.grad is not None and f.grad.abs().sum() > 0
    assert torch.allclose(em.memory, _brute_update(before, F.normalize(f.detach(), dim=1), idx, 0.0), atol=1e-6)

    em.set_epoch(3)  # neighbourhood-invariance; alpha = 0.1 * 3
    assert em.current_alpha() == pytest.approx(0.3)
    before = em.memory.clone()
    loss = em(f, idx)
    # ECN eq. 5-7 literally: p(j|x) = softmax_j(K[j] . f / beta); w = 1 on the image's own
    # exemplar, 1/k on the k most similar exemplars, 0 elsewhere; L = -sum_j w_j log p(j|x)
    K, want = before.tolist(), []
    for b in range(3):
        v = f[b].detach().tolist()
        n = math.sqrt(sum(t * t for t in v))
        z = [sum(K[j][d] * v[d] / n for d in range(4)) / 0.05 for j in range(7)]
        lse = math.log(sum(math.exp(t) for t in z))
        top = sorted(range(7), key=lambda j: -z[j])[:2]
        w = [1.0 if j == int(idx[b]) else (0.5 if j in top else 0.0) for j in range(7)]
        want.append(-sum(w[j] * (z[j] - lse) for j in range(7)))
    assert float(loss.detach()) == pytest.approx(sum(want) / 3, rel=1e-5)


def test_memory_bad_input():
    em = ExemplarMemory(5, 4, knn=2)
    with pytest.raises(ValueError, match=r"\[B,4\]"):
        em(torch.zeros(2, 3), torch.tensor([0, 1]))
    with pytest.raises(IndexError, match="memory indices"):
        em(torch.zeros(2, 4), torch.tensor([0, 5]))
    with pytest.raises(ValueError, match="beta"):
        ExemplarMemory(5, 4, beta=0)
