"""XQDA (Liao et al. CVPR 2015): pair covariances, hand case, singular case, synthetic win."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from reidlib.metrics.distance import compute_distance
from reidlib.metrics.rank import evaluate_rank
from reidlib.metrics.xqda import XQDA, pair_covariances


def buried_identities(seed, nid=40, per=4, d=30, signal=3):
    """Identities differ along ``signal`` directions only; the rest is strong per-image noise."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(d, d)))[0]
    pids = np.repeat(np.arange(nid), per)
    camids = np.tile(np.arange(per) % 2, nid)
    z = np.zeros((len(pids), d))
    z[:, :signal] = rng.normal(size=(nid, signal))[pids] + 0.3 * rng.normal(size=(len(pids), signal))
    z[:, signal:] = 3.0 * rng.normal(size=(len(pids), d - signal))
    return z @ basis.T, pids, camids


def split_rank1(metric_obj, seed=0):
    X, p, c = buried_identities(seed, nid=80)
    train = p < 40
    metric_obj.fit(X[train], p[train], c[train])
    q, g = (~train) & (c == 0), (~train) & (c == 1)
    learned = evaluate_rank(metric_obj.distance(X[q], X[g]), p[q], p[g], c[q], c[g], max_rank=5)
    eucl = evaluate_rank(compute_distance(X[q], X[g]), p[q], p[g], c[q], c[g], max_rank=5)
    return learned["cmc"][0], eucl["cmc"][0]


def test_pair_covariances_match_pair_loop():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    p, c = rng.integers(0, 3, 12), rng.integers(0, 3, 12)
    for cross in (False, True):
        s_i, s_e, n_i, n_e = pair_covariances(X, p, c, cross)
        intra, extra = [], []
        for a, b in itertools.permutations(range(12), 2):
            outer = np.outer(X[a] - X[b], X[a] - X[b])
            if p[a] == p[b] and c[a] != c[b]:
                intra.append(outer)
            elif p[a] != p[b] and (not cross or c[a] != c[b]):
                extra.append(outer)
        assert (n_i, n_e) == (len(intra), len(extra))
        np.testing.assert_allclose(s_i, np.mean(intra, 0), atol=1e-10)
        np.testing.assert_allclose(s_e, np.mean(extra, 0), atol=1e-10)


def test_hand_checkable_one_dimensional_case():
    # pids 0,0,1,1 on cameras 0,1,0,1: intra diffs^2 {1,4} -> 2.5; extra {100,144,81,121} -> 111.5;
    # d(0, 12) = 12^2 (1/2.5 - 1/111.5)
    X = np.array([[0.0], [1.0], [10.0], [12.0]])
    m = XQDA(lambda_=0.0).fit(X, [0, 0, 1, 1], [0, 1, 0, 1])
    assert m.distance(X[:1], X[3:])[0, 0] == pytest.approx(144 * (1 / 2.5 - 1 / 111.5))


@pytest.mark.parametrize("solver", ["eig", "svd"])
def test_distance_properties(solver):
    X, p, c = buried_identities(1)
    m = XQDA(solver=solver).fit(X, p, c)
    D = m.distance(X[:25], X[:25])
    np.testing.assert_allclose(D, D.T, atol=1e-8)
    assert (D >= 0).all() and np.abs(np.diag(D)).max() < 1e-8
    if solver == "eig":                              # generalised eigenvectors: M is PSD
        assert np.linalg.eigvalsh(m.M_).min() >= -1e-10
    assert m.W_.shape[1] == (m.eigenvalues_ > 1).sum()


def test_singular_covariance_needs_the_ridge():
    X, p, c = buried_identities(2, d=6)
    X = np.concatenate([X, X[:, :1]], axis=1)       # duplicated column: Sigma_I singular
    with pytest.raises(ValueError, match="lambda_ > 0"):
        XQDA(lambda_=0.0).fit(X, p, c)
    D = XQDA(lambda_=1e-3).fit(X, p, c).distance(X[:5], X[5:10])
    assert np.isfinite(D).all()


def test_beats_euclidean_when_identity_is_buried_in_noise():
    learned, eucl = split_rank1(XQDA())
    assert learned > eucl + 0.2


def test_bad_inputs():
    with pytest.raises(ValueError, match="one entry per feature row"):
        XQDA().fit(np.zeros((4, 2)), [0, 0, 1], [0, 1, 0, 1])
    with pytest.raises(ValueError, match="two cameras"):
        XQDA().fit(np.eye(4), [0, 1, 2, 3], [0, 1, 0, 1])
    with pytest.raises(ValueError, match="valid: eig, svd"):
        XQDA(solver="qr")
    with pytest.raises(RuntimeError, match="before fit"):
        XQDA().distance(np.zeros((1, 2)), np.zeros((1, 2)))


def test_xqda_plus_reranking_composition():
    from reidlib.metrics.rerank import k_reciprocal_rerank, rerank_with_metric
    X, p, c = buried_identities(3)
    m = XQDA().fit(X, p, c)
    q, g = X[:30], X[30:]
    got = rerank_with_metric(m, q, g, k1=6, k2=3)
    want = k_reciprocal_rerank(m.distance(q, g), m.distance(q, q), m.distance(g, g), 6, 3)
    np.testing.assert_allclose(got, want)
    assert got.shape == (30, len(g))
