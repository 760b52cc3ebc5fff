"""KISSME: Keep It Simple and Straightforward MEtric (Koestinger et al., CVPR 2012).

From the likelihood-ratio test on pair differences (paper eqs. 10-12):
``M = inv(Sigma_S) - inv(Sigma_D)``, projected onto the PSD cone (negative eigenvalues
clipped to 0, the paper's re-projection step), ``d(x, z) = (x - z)^T M (x - z)``.
``Sigma_S``: similar pairs = same pid, different camid (the cross-camera re-id recipe);
``Sigma_D``: dissimilar pairs = different pids (``extra_cross_camera=True``: also different
camids). All pairs are used through the class-sum trick (``xqda.pair_covariances``); the
paper samples as many dissimilar pairs as similar ones at random, an estimate of the same
covariance. Ridge ``lambda_ * I`` on both covariances (documented choice: the paper does
not regularise but applies PCA first; singular covariances then need it).
PCA first: ``pca_dim`` (default 64, in the range of the paper's 34-100 PCA dimensions;
``None``: ``min(D, n - 1)``). Shapes: features ``[n, D]``; ``distance -> [Q, G]``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .distance import as_numpy
from .xqda import PCA, _check_fit_inputs, mahalanobis, pair_covariances


def psd_projection(M: np.ndarray) -> np.ndarray:
    """Nearest (Frobenius) positive semi-definite matrix: clip the eigenvalues at 0."""
    vals, vecs = np.linalg.eigh((M + M.T) / 2)
    return (vecs * np.maximum(vals, 0.0)) @ vecs.T


class KISSME:
    """KISSME metric (Koestinger et al. CVPR 2012, eq. 12 + PSD re-projection)."""

    def __init__(self, lambda_: float = 1e-3, pca_dim: int | None = 64,
                 extra_cross_camera: bool = False):
        if lambda_ < 0:
            raise ValueError(f"lambda_ (ridge on both covariances) must be >= 0, got {lambda_}")
        self.lambda_, self.pca_dim, self.extra_cross_camera = float(lambda_), pca_dim, extra_cross_camera

    def fit(self, features: Any, pids: Any, camids: Any) -> "KISSME":
        X, p, c = _check_fit_inputs(features, pids, camids)
        dim = self.pca_dim
        if dim is not None:
            dim = min(dim, X.shape[1], max(1, X.shape[0] - 1))
        self.pca = PCA(dim).fit(X)
        Z = self.pca.transform(X)
        s_s, s_d, _, _ = pair_covariances(Z, p, c, self.extra_cross_camera)
        ridge = self.lambda_ * np.eye(len(s_s))
        try:
            M = np.linalg.inv(s_s + ridge) - np.linalg.inv(s_d + ridge)
        except np.linalg.LinAlgError as exc:
            raise ValueError(f"pair covariance is singular ({exc}); use lambda_ > 0") from exc
        if not np.isfinite(M).all() or np.linalg.cond(s_s + ridge) > 1e12:
            raise ValueError("pair covariance is singular or ill-conditioned; use lambda_ > 0 "
                             "or a smaller pca_dim")
        self.M_ = psd_projection(M)
        return self

    def distance(self, query: Any, gallery: Any) -> np.ndarray:
        if not hasattr(self, "M_"):
            raise RuntimeError("KISSME.distance called before fit(features, pids, camids)")
        A = self.pca.transform(as_numpy(query, "query").astype(np.float64))
        B = self.pca.transform(as_numpy(gallery, "gallery").astype(np.float64))
        return mahalanobis(A, B, self.M_)
