"""Tracklet pooling against a per-tracklet loop."""
import numpy as np
import pytest
import torch

from reidlib.metrics import pool_tracklets, tracklet_labels


@pytest.mark.parametrize("mode", ["avg", "max"])
def test_matches_loop(mode):
    rng = np.random.default_rng(0)
    f, t = rng.standard_normal((20, 3)), rng.integers(10, 15, 20)
    pooled, ids = pool_tracklets(torch.from_numpy(f), t, mode)
    np.testing.assert_array_equal(ids, np.unique(t))
    for row, tid in zip(pooled, ids):
        ref = f[t == tid].mean(0) if mode == "avg" else f[t == tid].max(0)
        np.testing.assert_allclose(row, ref)


def test_labels_and_errors():
    t = np.array([3, 1, 3, 1])
    np.testing.assert_array_equal(tracklet_labels([7, 9, 7, 9], t, "pids"), [9, 7])
    with pytest.raises(ValueError, match="mixes different pids"):
        tracklet_labels([7, 9, 8, 9], t, "pids")
    with pytest.raises(ValueError, match="tracklet_ids"):
        pool_tracklets(np.ones((4, 2)), [1, 2])
    with pytest.raises(ValueError, match="avg, max"):
        pool_tracklets(np.ones((4, 2)), t, "sum")
