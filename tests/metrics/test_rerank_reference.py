"""Fast k-reciprocal re-ranking against the literal published algorithm (rerank_reference.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from rerank_reference import reference_rerank, ties_well_defined  # noqa: E402

from reidlib.metrics.distance import compute_distance  # noqa: E402
from reidlib.metrics.rank import evaluate_rank  # noqa: E402
from reidlib.metrics.rerank import k_reciprocal_rerank  # noqa: E402


def clustered(seed, nq=24, ng=80, d=8, nid=16):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(nid, d))
    q_pids, g_pids = rng.integers(0, nid, nq), rng.integers(0, nid, ng)
    qf = centers[q_pids] + 0.5 * rng.normal(size=(nq, d))
    gf = centers[g_pids] + 0.5 * rng.normal(size=(ng, d))
    g_pids[:6] = -1                                   # junk gallery images
    return (qf.astype(np.float32), gf.astype(np.float32), q_pids, g_pids,
            rng.integers(0, 3, nq), rng.integers(0, 3, ng))


def dists(qf, gf, metric="euclidean"):
    f = lambda a, b: compute_distance(a, b, metric)  # noqa: E731
    return f(qf, gf), f(qf, qf), f(gf, gf)


@pytest.mark.parametrize("seed,k1,k2,lam", [(0, 20, 6, 0.3), (1, 5, 1, 0.5), (2, 7, 3, 0.0), (3, 4, 9, 1.0)])
def test_equals_published_on_untied_input(seed, k1, k2, lam):
    qg, qq, gg = dists(*clustered(seed)[:2])
    assert ties_well_defined(qg, qq, gg, k1, k2)
    ref = reference_rerank(qg, qq, gg, k1, k2, lam)
    fast = k_reciprocal_rerank(qg, qq, gg, k1, k2, lam, chunk_size=17)
    assert fast.shape == ref.shape and fast.dtype == np.float32
    np.testing.assert_allclose(fast, ref, atol=1e-5, rtol=0)


@pytest.mark.parametrize("seed,k1,k2", [(0, 20, 6), (4, 6, 2)])
def test_equals_published_with_well_defined_ties(seed, k1, k2):
    qf, gf = clustered(seed)[:2]
    qg, qq, gg = dists(qf, gf)
    cap = np.float32(np.quantile(gg, 0.7))          # far distances all tie at the cap
    qg, qq, gg = (np.minimum(x, cap) for x in (qg, qq, gg))
    near = np.argsort(qg[0], kind="stable")
    qg[0, near[2]] = qg[0, near[1]]                 # a tie inside query 0's top-k
    assert (gg == cap).mean() > 0.2
    assert ties_well_defined(qg, qq, gg, k1, k2)
    np.testing.assert_allclose(k_reciprocal_rerank(qg, qq, gg, k1, k2),
                               reference_rerank(qg, qq, gg, k1, k2), atol=1e-5, rtol=0)


def test_equals_stable_reference_when_ties_straddle_the_cut():
    qf, gf = clustered(5)[:2]
    gf[:5] = gf[5:10]                                # duplicate gallery images
    qg, qq, gg = (np.round(x, 1) for x in dists(qf, gf))  # coarse grid: many ties
    assert not ties_well_defined(qg, qq, gg, 20, 6)
    np.testing.assert_allclose(k_reciprocal_rerank(qg, qq, gg),
                               reference_rerank(qg, qq, gg, kind="stable"), atol=1e-5, rtol=0)


def test_same_rank1_and_map_as_published():
    qf, gf, qp, gp, qc, gc = clustered(6, nq=30, ng=100)
    qg, qq, gg = dists(qf, gf)
    ref = evaluate_rank(reference_rerank(qg, qq, gg), qp, gp, qc, gc, max_rank=10)
    fast = evaluate_rank(k_reciprocal_rerank(qg, qq, gg), qp, gp, qc, gc, max_rank=10)
    base = evaluate_rank(qg, qp, gp, qc, gc, max_rank=10)
    assert fast["mAP"] == pytest.approx(ref["mAP"], abs=1e-9)
    assert fast["cmc"][0] == pytest.approx(ref["cmc"][0], abs=1e-9)
    assert fast["mAP"] != base["mAP"]                # re-ranking changed something


def test_asymmetric_inputs_follow_published_transpose():
    qf, gf = clustered(7, nq=10, ng=30)[:2]
    qg, qq, gg = dists(qf, gf)
    rng = np.random.default_rng(0)
    qq = qq * rng.uniform(0.9, 1.1, qq.shape).astype(np.float32)   # not symmetric any more
    gg = gg * rng.uniform(0.9, 1.1, gg.shape).astype(np.float32)
    np.testing.assert_allclose(k_reciprocal_rerank(qg, qq, gg, 6, 3),
                               reference_rerank(qg, qq, gg, 6, 3, kind="stable"), atol=1e-5, rtol=0)
