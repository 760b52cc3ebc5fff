"""MARS tracklet-level evaluation: pool image features per tracklet (MGCAM Tables 2-3, 5).

``features [N, D]`` (one row per frame), ``tracklet_ids [N]`` (any integer label)
-> ``pooled [T, D]`` and the sorted unique tracklet ids ``[T]``. ``mode="avg"``
(the MARS baseline and MGCAM: temporal average pooling) or ``"max"``. Features
are pooled as given (no normalisation; ``normalize=True`` L2-normalises the pooled
rows). :func:`tracklet_labels` gives each tracklet's pid / camid and checks that
all its frames agree.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .distance import as_numpy

POOL_MODES = ("avg", "max")


def _tracklets(tracklet_ids: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    t = as_numpy(tracklet_ids, "tracklet_ids")
    if t.ndim != 1 or t.shape[0] != n:
        raise ValueError(f"tracklet_ids must be 1-D with one id per feature row ({n}), "
                         f"got shape {t.shape}")
    return np.unique(t, return_inverse=True)


def pool_tracklets(features: Any, tracklet_ids: Any, mode: str = "avg",
                   normalize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Pooled features ``[T, D]`` and unique tracklet ids ``[T]`` (ascending)."""
    if mode not in POOL_MODES:
        raise ValueError(f"unknown pooling mode {mode!r}; valid modes: {', '.join(POOL_MODES)}")
    f = as_numpy(features, "features")
    if f.ndim != 2:
        raise ValueError(f"features must be [N, D], got shape {f.shape}")
    if f.dtype.kind != "f":
        f = f.astype(np.float32)
    ids, inv = _tracklets(tracklet_ids, f.shape[0])
    inv = inv.reshape(-1)
    if mode == "avg":
        pooled = np.zeros((len(ids), f.shape[1]), f.dtype)
        np.add.at(pooled, inv, f)
        pooled /= np.bincount(inv, minlength=len(ids))[:, None].astype(f.dtype)
    else:
        pooled = np.full((len(ids), f.shape[1]), -np.inf, f.dtype)
        np.maximum.at(pooled, inv, f)
    if normalize:
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.finfo(f.dtype).tiny)
    return pooled, ids


def tracklet_labels(values: Any, tracklet_ids: Any, name: str = "values") -> np.ndarray:
    """Per-tracklet value ``[T]`` (same order as :func:`pool_tracklets`); frames must agree."""
    v = as_numpy(values, name)
    ids, inv = _tracklets(tracklet_ids, v.shape[0])
    inv = inv.reshape(-1)
    out = np.empty(len(ids), v.dtype)
    out[inv] = v
    bad = np.flatnonzero(out[inv] != v)
    if len(bad):
        t = ids[inv[bad[0]]]
        raise ValueError(f"tracklet {t!r} mixes different {name} across its frames; "
                         "tracklet ids must be unique per (pid, camera) sequence")
    return out
