"""ID, N-pair, ranking, region triplet and attention MSE losses vs brute force."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck

from reidlib.losses import (attention_mse_loss, full_ranking_loss, id_loss,
                            npair_loss, ranking_loss,
                            region_triplet_loss, triplet_id_loss)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def test_id_loss_parts_brute_force():
    z = torch.randn(5, 3, 4, generator=gen(0), dtype=torch.float64)
    y = torch.tensor([0, 3, 1, 1, 2])
    want = 0.0
    for i in range(3):
        for j in range(5):
            want += -math.log(math.exp(z[j, i, y[j]]) / sum(math.exp(v) for v in z[j, i]))
    assert id_loss(z, y).item() == pytest.approx(want / 3 / 5)
    assert id_loss(list(z.unbind(1)), y, reduction="sum").item() == pytest.approx(want / 3)
    eps = 0.1
    smooth = sum(F.cross_entropy(z[:, i], y, label_smoothing=eps) for i in range(3)) / 3
    assert id_loss(z, y, label_smoothing=eps).item() == pytest.approx(smooth.item())
    three = triplet_id_loss(z[:2], z[2:4], z[4:], y[:2], y[2:4], y[4:])
    parts = [id_loss(z[s], y[s]) for s in (slice(0, 2), slice(2, 4), slice(4, 5))]
    assert three.item() == pytest.approx(sum(p.item() for p in parts) / 3)
    with pytest.raises(ValueError, match="label_smoothing"):
        id_loss(z, y, label_smoothing=1.0)
    with pytest.raises(ValueError, match="classes"):
        id_loss(z, y + 1)


def feats(b=9, d=4, ids=3, seed=0):
    x = torch.randn(b, d, generator=gen(seed), dtype=torch.float64)
    y = torch.randint(0, ids, (b,), generator=gen(seed + 100))
    return x, y


def sims(x):
    xn = x / x.norm(dim=1, keepdim=True)
    return (xn @ xn.t()).tolist()


def test_npair_brute_force():
    x, y = feats()
    S, out = sims(x), []
    for k in range(9):
        P = [i for i in range(9) if y[i] == y[k] and i != k]
        N = [j for j in range(9) if y[j] != y[k]]
        if P and N:
            out.append(math.log(1 + sum(math.exp(S[k][j] - S[k][P[0]]) for j in N)))
    assert npair_loss(x, y).item() == pytest.approx(sum(out) / len(out))


def test_full_ranking_brute_force():
    x, y = feats(seed=1)
    S, out = sims(x), []
    for k in range(9):
        P = [i for i in range(9) if y[i] == y[k] and i != k]
        N = [j for j in range(9) if y[j] != y[k]]
        if P and N:
            out.append(math.log(1 + sum(math.exp(S[k][j] - S[k][i]) for i in P for j in N)))
    assert full_ranking_loss(x, y).item() == pytest.approx(sum(out) / len(out))


@pytest.mark.parametrize("alpha,lam", [(0.15, 2.0), (0.1, 0.0), (0.5, 5.0)])
def test_maskreid_ranking_brute_force(alpha, lam):
    x, y = feats(seed=2)
    S, out = sims(x), []
    for k in range(9):
        P = [i for i in range(9) if y[i] == y[k] and i != k]
        N = [j for j in range(9) if y[j] != y[k]]
        if P and N:
            smin = min(S[k][i] for i in P)
            first = math.log(1 + sum(math.exp(max(S[k][j] - smin + alpha, 0)) for j in N))
            out.append(first + lam / (2 * len(P)) * sum((S[k][i] - 1) ** 2 for i in P))
    assert ranking_loss(x, y, alpha, lam).item() == pytest.approx(sum(out) / len(out))
    with pytest.raises(ValueError, match="alpha"):
        ranking_loss(x, y, alpha=-0.1)


def test_region_triplet_and_attention_brute_force():
    hf, hb, hg = torch.randn(3, 4, 5, generator=gen(3), dtype=torch.float64)
    want = [float(((hf[i] - hb[i]) ** 2).sum()) + max(10 - float(((hf[i] - hg[i]) ** 2).sum()), 0)
            for i in range(4)]
    assert region_triplet_loss(hf, hb, hg).item() == pytest.approx(sum(want) / 4)
    att = torch.rand(2, 1, 3, 2, generator=gen(4), dtype=torch.float64)
    mask = (torch.rand(2, 6, 4, generator=gen(5)) > 0.5).double()
    want = 0.0
    for b in range(2):
        for i in range(3):
            for j in range(2):
                cell = float(mask[b, 2 * i:2 * i + 2, 2 * j:2 * j + 2].mean())
                want += (cell - float(att[b, 0, i, j])) ** 2
    assert attention_mse_loss(att, mask).item() == pytest.approx(want / 2)
    assert attention_mse_loss(att, mask, reduction="mean").item() == pytest.approx(want / 2 / 6)
    with pytest.raises(ValueError, match="resize"):
        attention_mse_loss(att, mask, resize="cubic")


def test_gradients():
    x, y = feats(b=7, d=3, seed=6)
    hf, hb, hg = torch.randn(3, 3, 2, generator=gen(7), dtype=torch.float64)
    att = torch.rand(2, 1, 3, 2, generator=gen(8), dtype=torch.float64)
    mask = (torch.rand(2, 1, 3, 2, generator=gen(9)) > 0.5).double()
    z = torch.randn(4, 2, 3, generator=gen(10), dtype=torch.float64)
    checks = [(lambda t: npair_loss(t, y), x), (lambda t: full_ranking_loss(t, y), x),
              (lambda t: ranking_loss(t, y), x),
              (lambda t: region_triplet_loss(t, hb, hg, margin=1.0), hf),
              (lambda t: attention_mse_loss(t, mask), att),
              (lambda t: id_loss(t, torch.tensor([0, 2, 1, 1]), label_smoothing=0.1), z)]
    for fn, inp in checks:
        assert gradcheck(fn, (inp.clone().requires_grad_(),), eps=1e-6, atol=1e-5)
