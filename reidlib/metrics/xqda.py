"""XQDA: Cross-view Quadratic Discriminant Analysis (Liao et al., CVPR 2015).

Training pairs (generalising the two-camera recipe of the published ``XQDA.m`` to many
cameras): intra-personal = ordered pairs with the same pid and *different* camid;
extra-personal = pairs with different pids (``extra_cross_camera=True``: also different
camids, the exact two-view recipe). The pair covariances (paper eqs. 13-14)
``Sigma = mean over pairs (x_a - x_b)(x_a - x_b)^T`` are computed without enumerating
pairs, by the class-sum trick of ``XQDA.m``: the ordered pairs inside groups of a label
have scatter ``S(label) = 2 sum_groups (n_g sum x x^T - s_g s_g^T)``, and
intra = S(pid) - S(pid, cam), extra = S(all) - S(pid) [- S(cam) + S(pid, cam)].

Learning (eqs. 16-19): ``Sigma_I + lambda I`` (ridge, ``lambda=0.001`` as in ``XQDA.m``),
projection ``W`` = generalised eigenvectors of ``(Sigma_E, Sigma_I)`` with eigenvalue > 1
(``qda_dims=None``) or the top ``qda_dims``; ``M = inv(W^T Sigma_I W) - inv(W^T Sigma_E W)``,
distance ``d(x, z) = (x - z)^T W M W^T (x - z)`` (eq. 10). ``solver="eig"`` solves the
paper's generalised Rayleigh quotient (then ``M`` is PSD); ``solver="svd"`` reproduces
``XQDA.m`` (left singular vectors of ``Sigma_I^-1 Sigma_E``).
PCA first (``pca_dim``; default ``min(D, n - 1)``, lossless like ``XQDA.m``'s QR when
``D > n``). Shapes: features ``[n, D]``; ``distance(query [Q, D], gallery [G, D]) -> [Q, G]``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from .distance import as_numpy


def _check_fit_inputs(features: Any, pids: Any, camids: Any):
    X = as_numpy(features, "features").astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"features must be [n, D], got shape {X.shape}")
    p, c = as_numpy(pids, "pids").ravel(), as_numpy(camids, "camids").ravel()
    if len(p) != len(X) or len(c) != len(X):
        raise ValueError(f"pids ({len(p)}) and camids ({len(c)}) must have one entry per feature row ({len(X)})")
    return X, p, c


def group_scatter(X: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Sum over ordered pairs (a != b) with equal label of ``(x_a - x_b)(x_a - x_b)^T``, and their count."""
    _, inv, n = np.unique(labels, axis=0, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    sums = np.zeros((len(n), X.shape[1]))
    np.add.at(sums, inv, X)
    weighted = (X * n[inv][:, None]).T @ X
    return 2.0 * (weighted - sums.T @ sums), int((n * (n - 1)).sum())


def pair_covariances(X: np.ndarray, pids: np.ndarray, camids: np.ndarray,
                     extra_cross_camera: bool = False):
    """``(Sigma_I, Sigma_E, n_I, n_E)`` over the cross-camera training pairs (module docstring)."""
    pc = np.stack([pids, camids], axis=1)
    s_all, n_all = group_scatter(X, np.zeros(len(X)))
    s_p, n_p = group_scatter(X, pids)
    s_pc, n_pc = group_scatter(X, pc)
    s_in, n_in = s_p - s_pc, n_p - n_pc
    s_ex, n_ex = s_all - s_p, n_all - n_p
    if extra_cross_camera:
        s_c, n_c = group_scatter(X, camids)
        s_ex, n_ex = s_ex - s_c + s_pc, n_ex - n_c + n_pc
    if n_in == 0:
        raise ValueError("no intra-personal pairs: need identities seen by at least two cameras")
    if n_ex == 0:
        raise ValueError("no extra-personal pairs: need at least two identities (on different cameras)")
    return s_in / n_in, s_ex / n_ex, n_in, n_ex


class PCA:
    """Mean-centred PCA to ``dim`` components (``None``: ``min(D, n - 1)``)."""

    def __init__(self, dim: int | None = None):
        if dim is not None and (not isinstance(dim, (int, np.integer)) or dim < 1):
            raise ValueError(f"pca_dim must be a positive integer or None, got {dim!r}")
        self.dim = dim

    def fit(self, X: np.ndarray) -> "PCA":
        d = min(X.shape[1], max(1, X.shape[0] - 1)) if self.dim is None else self.dim
        if d > X.shape[1]:
            raise ValueError(f"pca_dim={d} exceeds the feature dimension {X.shape[1]}")
        self.mean_ = X.mean(axis=0)
        _, _, vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        if d > vt.shape[0]:
            raise ValueError(f"pca_dim={d} exceeds the {vt.shape[0]} components n={X.shape[0]} samples allow")
        self.components_ = vt[:d].T
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) @ self.components_


def mahalanobis(A: np.ndarray, B: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``[Q, G]`` of ``(a - b)^T M (a - b)`` via ``a'Ma + b'Mb - 2 a'Mb``, clamped at 0."""
    am, bm = A @ M, B @ M
    d = (am * A).sum(1)[:, None] + (bm * B).sum(1)[None, :] - 2.0 * am @ B.T
    return np.maximum(d, 0.0)


class XQDA:
    """XQDA metric (Liao et al. CVPR 2015, eqs. 10-19); see the module docstring."""

    def __init__(self, lambda_: float = 1e-3, qda_dims: int | None = None, pca_dim: int | None = None,
                 solver: str = "eig", extra_cross_camera: bool = False):
        if lambda_ < 0:
            raise ValueError(f"lambda_ (ridge on Sigma_I) must be >= 0, got {lambda_}")
        if solver not in ("eig", "svd"):
            raise ValueError(f"unknown solver {solver!r}; valid: eig, svd")
        self.lambda_, self.qda_dims, self.solver = float(lambda_), qda_dims, solver
        self.pca, self.extra_cross_camera = PCA(pca_dim), extra_cross_camera

    def fit(self, features: Any, pids: Any, camids: Any) -> "XQDA":
        X, p, c = _check_fit_inputs(features, pids, camids)
        Z = self.pca.fit(X).transform(X)
        s_i, s_e, _, _ = pair_covariances(Z, p, c, self.extra_cross_camera)
        s_i = s_i + self.lambda_ * np.eye(len(s_i))
        if np.linalg.cond(s_i) > 1e12:
            raise ValueError("Sigma_I is singular or ill-conditioned; use lambda_ > 0 (XQDA.m: 0.001) "
                             "or a smaller pca_dim")
        try:
            if self.solver == "eig":
                vals, vecs = scipy.linalg.eigh(s_e, s_i)
            else:
                vecs, vals, _ = np.linalg.svd(np.linalg.solve(s_i, s_e))
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise ValueError(f"Sigma_I is singular ({exc}); use lambda_ > 0 (XQDA.m: 0.001)") from exc
        order = np.argsort(vals)[::-1]
        vals, vecs = vals[order], vecs[:, order]
        r = int((vals > 1).sum()) if self.qda_dims is None else int(self.qda_dims)
        r = max(1, min(r, len(vals)))
        self.eigenvalues_ = vals
        W = vecs[:, :r]
        self.W_ = self.pca.components_ @ W
        self.M_ = np.linalg.inv(W.T @ s_i @ W) - np.linalg.inv(W.T @ s_e @ W)
        self.M_ = (self.M_ + self.M_.T) / 2
        return self

    def distance(self, query: Any, gallery: Any) -> np.ndarray:
        if not hasattr(self, "M_"):
            raise RuntimeError("XQDA.distance called before fit(features, pids, camids)")
        A = (as_numpy(query, "query").astype(np.float64) - self.pca.mean_) @ self.W_
        B = (as_numpy(gallery, "gallery").astype(np.float64) - self.pca.mean_) @ self.W_
        return mahalanobis(A, B, self.M_)
