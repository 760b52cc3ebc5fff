"""Multi-query pooling by hand."""
import numpy as np
import pytest

from reidlib.metrics import evaluate_multiquery, pool_multiquery


def unit(v):
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


MQ = np.array([[3.0, 4.0], [0.0, 2.0], [1.0, 0.0], [5.0, 5.0]])
MQ_PIDS, MQ_CAMS = np.array([1, 1, 1, 2]), np.array([0, 0, 1, 0])


def test_avg_and_max_by_hand():
    q = np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 7.0]])
    qp, qc = np.array([1, 1, 3]), np.array([0, 1, 0])
    avg = pool_multiquery(q, qp, qc, MQ, MQ_PIDS, MQ_CAMS, "avg")
    # query 0: images 0 and 1 (pid 1, cam 0): normalised (0.6, 0.8) and (0, 1)
    np.testing.assert_allclose(avg[0], unit([0.3, 0.9]))
    np.testing.assert_allclose(avg[1], [1.0, 0.0])  # only image 2
    np.testing.assert_allclose(avg[2], [0.0, 1.0])  # no mq image: own feature, normalised
    mx = pool_multiquery(q, qp, qc, MQ, MQ_PIDS, MQ_CAMS, "max")
    np.testing.assert_allclose(mx[0], unit([0.6, 1.0]))


def test_include_query():
    q = np.array([[1.0, 0.0]])
    out = pool_multiquery(q, [2], [0], MQ, MQ_PIDS, MQ_CAMS, "avg", include_query=True)
    np.testing.assert_allclose(out[0], unit(np.array([1.0, 0.0]) + unit([5, 5])))


def test_evaluate_multiquery_keys_and_errors():
    g = np.array([[0.6, 0.8], [1.0, 0.0]])
    res = evaluate_multiquery(np.array([[1.0, 0.0]]), [1], [0], g, [1, 2], [1, 1],
                              MQ, MQ_PIDS, MQ_CAMS, max_rank=2)
    assert set(res) == {"MQ-avg", "MQ-max"}
    # pooled query ~ (0.3, 0.9) is nearer the pid-1 gallery image (0.6, 0.8)
    assert res["MQ-avg"]["mAP"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="avg, max"):
        pool_multiquery(MQ, MQ_PIDS, MQ_CAMS, MQ, MQ_PIDS, MQ_CAMS, "median")
    with pytest.raises(ValueError, match="mq_pids"):
        pool_multiquery(MQ, MQ_PIDS, MQ_CAMS, MQ, MQ_PIDS[:2], MQ_CAMS, "avg")
