"""KISSME (Koestinger et al. CVPR 2012): PSD projection, hand case, singular case, synthetic win."""
from __future__ import annotations

import numpy as np
import pytest

from reidlib.metrics.kissme import KISSME, psd_projection
from test_xqda import buried_identities, split_rank1


def test_psd_projection_clips_negative_eigenvalues():
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    M = Q @ np.diag([2.0, -1.0, 0.5]) @ Q.T
    np.testing.assert_allclose(psd_projection(M), Q @ np.diag([2.0, 0.0, 0.5]) @ Q.T, atol=1e-12)


def test_hand_checkable_one_dimensional_case():
    X = np.array([[0.0], [1.0], [10.0], [12.0]])
    m = KISSME(lambda_=0.0, pca_dim=None).fit(X, [0, 0, 1, 1], [0, 1, 0, 1])
    assert m.M_[0, 0] == pytest.approx(1 / 2.5 - 1 / 111.5)
    assert m.distance(X[:1], X[3:])[0, 0] == pytest.approx(144 * (1 / 2.5 - 1 / 111.5))


def test_distance_properties():
    X, p, c = buried_identities(1)
    m = KISSME(pca_dim=20).fit(X, p, c)
    D = m.distance(X[:25], X[:25])
    np.testing.assert_allclose(D, D.T, atol=1e-8)
    assert (D >= 0).all() and np.abs(np.diag(D)).max() < 1e-8
    assert np.linalg.eigvalsh(m.M_).min() >= -1e-10
    assert m.M_.shape == (20, 20)


def test_singular_covariance_needs_the_ridge():
    X, p, c = buried_identities(2, d=6)
    X = np.concatenate([X, X[:, :1]], axis=1)
    with pytest.raises(ValueError, match="lambda_ > 0"):
        KISSME(lambda_=0.0, pca_dim=None).fit(X, p, c)
    assert np.isfinite(KISSME(lambda_=1e-3, pca_dim=None).fit(X, p, c).distance(X[:5], X[5:])).all()


def test_beats_euclidean_when_identity_is_buried_in_noise():
    learned, eucl = split_rank1(KISSME(pca_dim=None))
    assert learned > eucl + 0.2
