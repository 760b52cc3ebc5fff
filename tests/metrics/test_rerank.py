"""Building blocks of the fast re-ranking, the features-first entry point and compositions."""
from __future__ import annotations

import numpy as np
import pytest

from reidlib.metrics.distance import compute_distance
from reidlib.metrics.rerank import k_reciprocal_rerank, rerank_with_metric, stable_topk
from reidlib.metrics.rerank_sparse import k_reciprocal_rerank_features, plan_memory


def feats(seed=0, nq=20, ng=60, d=6):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(12, d))
    return ((c[rng.integers(0, 12, nq)] + 0.4 * rng.normal(size=(nq, d))).astype(np.float32),
            (c[rng.integers(0, 12, ng)] + 0.4 * rng.normal(size=(ng, d))).astype(np.float32))


def test_stable_topk_matches_brute_force_with_ties():
    rng = np.random.default_rng(0)
    block = rng.integers(0, 5, size=(40, 30)).astype(np.float32)    # many ties
    for k in (1, 3, 7, 30, 31):
        got = stable_topk(block, k)
        for r in range(block.shape[0]):
            want = sorted(range(30), key=lambda j: (block[r, j], j))[:k]
            assert got[r].tolist() == want


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "cosine"])
def test_features_version_equals_dense(metric):
    qf, gf = feats(1)
    f = lambda a, b: compute_distance(a, b, metric)  # noqa: E731
    dense = k_reciprocal_rerank(f(qf, gf), f(qf, qf), f(gf, gf), 8, 3, 0.3)
    sparse = k_reciprocal_rerank_features(qf, gf, 8, 3, 0.3, metric=metric, chunk_size=7)
    np.testing.assert_allclose(sparse, dense, atol=1e-5, rtol=0)


def test_features_topk_and_memory_limit():
    qf, gf = feats(2)
    full = k_reciprocal_rerank_features(qf, gf, 6, 2)
    d, idx = k_reciprocal_rerank_features(qf, gf, 6, 2, topk=4)
    want = np.argsort(full, axis=1, kind="stable")[:, :4]
    np.testing.assert_array_equal(idx, want)
    np.testing.assert_allclose(d, np.take_along_axis(full, want, 1), atol=1e-6)
    # a ceiling that allows only a few rows per block still gives the same result
    plan = plan_memory(20, 60, 6, 4, 7, 1, None)
    limit = (plan["fixed"] + 3 * 80 * 17) / 2**30
    np.testing.assert_allclose(k_reciprocal_rerank_features(qf, gf, 6, 2, memory_limit_gb=limit),
                               full, atol=1e-6)
    with pytest.raises(MemoryError, match="topk="):
        k_reciprocal_rerank_features(qf, gf, 6, 2, memory_limit_gb=plan["fixed"] / 2 / 2**30)


def test_rerank_with_metric_name_and_object():
    qf, gf = feats(3)
    by_name = rerank_with_metric("euclidean", qf, gf, k1=6, k2=2)
    f = lambda a, b: compute_distance(a, b, "euclidean")  # noqa: E731
    np.testing.assert_allclose(by_name, k_reciprocal_rerank(f(qf, gf), f(qf, qf), f(gf, gf), 6, 2))

    class Scaled:                      # any object with distance(query, gallery)
        def distance(self, a, b):
            return 3.0 * compute_distance(a, b, "euclidean")
    # the published column normalisation makes re-ranking invariant to a global scale
    np.testing.assert_allclose(rerank_with_metric(Scaled(), qf, gf, k1=6, k2=2), by_name, atol=1e-6)


def test_bad_inputs_raise_clear_errors():
    qf, gf = feats(4)
    qg, qq, gg = (compute_distance(a, b) for a, b in ((qf, gf), (qf, qf), (gf, gf)))
    with pytest.raises(ValueError, match="g_g_dist must have shape"):
        k_reciprocal_rerank(qg, qq, gg[:5])
    with pytest.raises(ValueError, match="k1"):
        k_reciprocal_rerank(qg, qq, gg, k1=0)
    with pytest.raises(ValueError, match="lambda_value"):
        k_reciprocal_rerank(qg, qq, gg, lambda_value=1.5)
    bad = qg.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        k_reciprocal_rerank(bad, qq, gg)
    with pytest.raises(ValueError, match="valid metrics: euclidean"):
        k_reciprocal_rerank_features(qf, gf, metric="manhattan")
    with pytest.raises(ValueError, match="valid: euclidean"):
        rerank_with_metric("manhattan", qf, gf)
    with pytest.raises(ValueError, match="topk"):
        k_reciprocal_rerank_features(qf, gf, topk=0)


def test_all_zero_distances_give_zero_not_nan() -> None:
    """Collapsed features (every distance 0) must not turn into NaN (published code divides by 0)."""
    import numpy as np

    from reidlib.metrics.rerank import k_reciprocal_rerank
    from reidlib.metrics.rerank_sparse import k_reciprocal_rerank_features

    q, g = np.zeros((3, 3), np.float32), np.zeros((5, 5), np.float32)
    qg = np.zeros((3, 5), np.float32)
    out = k_reciprocal_rerank(qg, q, g, k1=2, k2=1)
    assert np.isfinite(out).all()
    out2 = k_reciprocal_rerank_features(np.ones((3, 4), np.float32), np.ones((5, 4), np.float32), k1=2, k2=1)
    assert np.isfinite(out2).all()
