"""Loss-term registry: values against hand-written loops, layouts, and every model's outputs."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from reidlib.engine.terms import TERMS, build_term, layout_pairs, layout_triplets

PIDS = torch.tensor([0, 0, 1, 1, 2, 2])


def _batch(layout="pk", n=6, with_parts=True):
    g = torch.Generator().manual_seed(0)
    return {"pid": PIDS[:n] if n <= 6 else torch.arange(n) % 3, "layout": layout,
            "mask": (torch.rand(n, 1, 12, 4, generator=g) > 0.5).float(),
            "parts": torch.randint(0, 4, (n, 1, 12, 4), generator=g) if with_parts else None}


def test_unknown_term_and_kwargs_list_valid_ones():
    with pytest.raises(KeyError, match="valid: id, triplet, local_triplet"):
        build_term({"name": "center"})
    with pytest.raises(TypeError, match="valid: margin, squared, miner, feature"):
        build_term({"name": "triplet", "kwargs": {"margn": 1}})
    with pytest.raises(ValueError, match="valid: batch_hard, all, batch_random"):
        build_term({"name": "triplet", "kwargs": {"miner": "hardest"}})
    with pytest.raises(KeyError, match="needs model output 'parts'"):
        build_term({"name": "local_triplet"}).fn({"features": torch.zeros(6, 2)}, _batch())


def test_id_term_mean_and_sum_over_parts_by_loop():
    g = torch.Generator().manual_seed(1)
    logits = [torch.randn(6, 3, generator=g) for _ in range(3)]
    per_part = [sum(-torch.log_softmax(z[i], 0)[PIDS[i]] for i in range(6)) / 6 for z in logits]
    mean = build_term({"name": "id"}).fn({"logits": logits}, _batch())
    total = build_term({"name": "id", "kwargs": {"parts": "sum"}}).fn({"logits": logits}, _batch())
    assert float(mean) == pytest.approx(float(sum(per_part) / 3), rel=1e-5)
    assert float(total) == pytest.approx(float(sum(per_part)), rel=1e-5)


def test_triplet_terms_use_the_batch_layout():
    g = torch.Generator().manual_seed(2)
    f = torch.randn(6, 4, generator=g)
    b = _batch("triplet")
    a, p, n = layout_triplets(b)
    assert a.tolist() == [0, 1] and p.tolist() == [2, 3] and n.tolist() == [4, 5]
    want = sum(max(0.0, float((f[i] - f[i + 2]).norm() - (f[i] - f[i + 4]).norm() + 0.5)) for i in (0, 1)) / 2
    assert float(build_term({"name": "triplet"}).fn({"features": f}, b)) == pytest.approx(want, rel=1e-5)
    parts = [f[:, :2], f[:, 2:]]
    want_local = sum(max(0.0, float((q[i] - q[i + 2]).norm() - (q[i] - q[i + 4]).norm() + 0.5))
                     for i in (0, 1) for q in parts) / 4
    got = build_term({"name": "local_triplet"}).fn({"parts": parts}, b)
    assert float(got) == pytest.approx(want_local, rel=1e-5)


def test_batch_hard_triplet_by_loop_and_global_feature():
    g = torch.Generator().manual_seed(3)
    f = torch.randn(6, 4, generator=g)
    d = torch.cdist(f, f)
    want = 0.0
    for i in range(6):
        pos = [j for j in range(6) if PIDS[j] == PIDS[i] and j != i]
        neg = [j for j in range(6) if PIDS[j] != PIDS[i]]
        want += max(0.0, float(d[i, pos].max() - d[i, neg].min() + 0.5))
    assert float(build_term({"name": "triplet"}).fn({"features": f}, _batch())) == pytest.approx(want / 6, rel=1e-4)
    fmap = torch.randn(6, 4, 3, 2, generator=g)
    glob = build_term({"name": "triplet", "kwargs": {"feature": "global"}}).fn(
        {"features": f, "feature_map": fmap}, _batch("triplet"))
    pooled = fmap.mean((2, 3))
    want_g = sum(max(0.0, float((pooled[i] - pooled[i + 2]).norm() - (pooled[i] - pooled[i + 4]).norm() + 0.5))
                 for i in (0, 1)) / 2
    assert float(glob) == pytest.approx(want_g, rel=1e-5)


def test_siamese_pairs_from_layout_and_region_triplet():
    g = torch.Generator().manual_seed(4)
    f = torch.randn(6, 3, generator=g)
    b = _batch("siamese")
    i, j = layout_pairs(b)
    assert i.tolist() == [0, 1, 2] and j.tolist() == [3, 4, 5]
    want = 0.0
    for a, c in zip(i.tolist(), j.tolist()):
        d2 = float((f[a] - f[c]).pow(2).sum())
        want += d2 if PIDS[a] == PIDS[c] else max(0.0, 10.0 - d2)
    assert float(build_term({"name": "siamese"}).fn({"features": f}, b)) == pytest.approx(want / 3, rel=1e-5)
    s = {"full": f, "body": f * 0.5, "background": f * 2}
    want_r = sum(float((f[k] * 0.5).pow(2).sum()) + max(0.0, 10 - float(f[k].pow(2).sum())) for k in range(6)) / 6
    got = build_term({"name": "region_triplet"}).fn({"streams": s}, b)
    assert float(got) == pytest.approx(want_r, rel=1e-5)


def test_attention_mse_and_part_seg_by_hand():
    b = _batch()
    att = torch.full((6, 1, 6, 2), 0.25)
    m = F.avg_pool2d(b["mask"], 2)
    want = ((m - 0.25) ** 2).flatten(1).sum(1).mean()
    assert float(build_term({"name": "attention_mse"}).fn({"attention": att}, b)) == pytest.approx(float(want))
    logits = torch.zeros(6, 4, 6, 2)
    assert float(build_term({"name": "part_seg"}).fn({"part_logits": logits}, b)) == pytest.approx(math.log(4))
    b["parts"] = None
    with pytest.raises(KeyError, match="needs batch\\['parts'\\]"):
        build_term({"name": "part_seg"}).fn({"part_logits": logits}, b)


def test_ranking_terms_match_the_losses():
    from reidlib.losses import full_ranking_loss, npair_loss, ranking_loss

    f = torch.randn(6, 5, generator=torch.Generator().manual_seed(5))
    o, b = {"features": f}, _batch("maskreid")
    assert torch.equal(build_term({"name": "ranking", "kwargs": {"alpha": 0.1, "lam": 1.0}}).fn(o, b),
                       ranking_loss(f, PIDS, alpha=0.1, lam=1.0))
    assert torch.equal(build_term({"name": "ranking_full"}).fn(o, b), full_ranking_loss(f, PIDS))
    assert torch.equal(build_term({"name": "npair"}).fn(o, b), npair_loss(f, PIDS))


MODEL_TERMS = {
    "ide_rgb": ["id", "triplet", "ranking", "ranking_full", "npair", "siamese"],
    "mpm": ["id", "triplet", "local_triplet"],
    "mscan": ["id", "triplet"],
    "mgcam": ["id", "attention_mse", "region_triplet", "siamese"],
    "maskreid_mf": ["id", "ranking", "triplet"],
    "semparts": ["id", "part_seg", "local_triplet"],
}


@pytest.mark.parametrize("name", sorted(MODEL_TERMS))
def test_every_term_on_each_models_outputs(name):
    from reidlib.models import build_model

    torch.manual_seed(0)
    model = build_model(name, 3, "small")
    b = _batch("pk")
    x = torch.randn(6, 3, 96, 32)
    b["mask"] = (torch.rand(6, 1, 96, 32) > 0.4).float()
    b["parts"] = torch.randint(0, 4, (6, 1, 96, 32))
    out = model(x, b["mask"])
    total = 0
    for t in MODEL_TERMS[name]:
        v = build_term({"name": t}).fn(out, b)
        assert v.dim() == 0 and torch.isfinite(v), (name, t)
        total = total + v
    total.backward()
    assert set(TERMS) >= set(MODEL_TERMS[name])
