"""compute_distance against per-pair loops."""
import numpy as np
import pytest
import torch

from reidlib.metrics import compute_distance


def loop_distance(q, g, metric):
    out = np.zeros((len(q), len(g)))
    for i, a in enumerate(q):
        for j, b in enumerate(g):
            if metric == "cosine":
                out[i, j] = 1 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
            else:
                out[i, j] = np.sum((a - b) ** 2)
                if metric == "euclidean":
                    out[i, j] = np.sqrt(out[i, j])
    return out


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "cosine"])
@pytest.mark.parametrize("chunk_size", [1, 3, 100])
def test_matches_loop(metric, chunk_size):
    rng = np.random.default_rng(0)
    q, g = rng.standard_normal((7, 5)), rng.standard_normal((9, 5))
    d = compute_distance(q, g, metric, chunk_size=chunk_size)
    assert d.dtype == np.float64 and d.shape == (7, 9)
    np.testing.assert_allclose(d, loop_distance(q, g, metric), atol=1e-10)


def test_torch_float32_input_and_self_distance_zero():
    x = torch.randn(6, 4)
    d = compute_distance(x, x, "euclidean")
    assert d.dtype == np.float32
    np.testing.assert_allclose(np.diag(d), 0.0, atol=1e-3)


def test_errors():
    with pytest.raises(ValueError, match="euclidean, sqeuclidean, cosine"):
        compute_distance(np.ones((2, 3)), np.ones((2, 3)), "manhattan")
    with pytest.raises(ValueError, match="feature dimension"):
        compute_distance(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="qf"):
        compute_distance(np.ones(3), np.ones((2, 3)))
    with pytest.raises(ValueError, match="chunk_size"):
        compute_distance(np.ones((2, 3)), np.ones((2, 3)), chunk_size=0)
