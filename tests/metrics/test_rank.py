"""evaluate_rank against a brute-force per-query loop, sklearn and hand-computed cases."""
import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score

from reidlib.metrics import evaluate_rank, match_ranks

PATHS = [0.0, 1e9]  # sparse_ratio: 0 forces the sorting path, 1e9 the candidate path


def brute_force(d, qp, gp, qc, gc, max_rank, mode):
    """Plain loop: stable argsort per query, drop junk, walk the list."""
    cmcs, aps = [], []
    for i in range(len(qp)):
        order = np.argsort(d[i], kind="stable")
        junk = ((gp[order] == qp[i]) & (gc[order] == qc[i])) | (gp[order] == -1)
        good = (gp[order] == qp[i])[~junk]
        if not good.any():
            continue
        cmc = np.zeros(max_rank)
        cmc[np.argmax(good):] = 1
        cmcs.append(cmc)
        hit, ap, old_p = 0, 0.0, 1.0
        for j, g in enumerate(good):
            hit += g
            p = hit / (j + 1)
            if g:
                ap += p if mode == "standard" else (old_p + p) / 2
            old_p = p
        aps.append(ap / good.sum())
    return np.mean(cmcs, axis=0), np.mean(aps), len(aps)


def random_case(rng, quantise):
    nq, ng = int(rng.integers(5, 30)), int(rng.integers(10, 60))
    qp, gp = rng.integers(-1, 5, nq), rng.integers(-1, 5, ng)  # -1 junk, 0 distractor
    qc, gc = rng.integers(0, 3, nq), rng.integers(0, 3, ng)
    d = rng.integers(0, 4, (nq, ng)).astype(np.float32) if quantise else rng.random((nq, ng))
    return d, qp, gp, qc, gc


@pytest.mark.parametrize("quantise", [False, True])
@pytest.mark.parametrize("mode", ["standard", "trapezoid"])
@pytest.mark.parametrize("sparse_ratio", PATHS)
def test_matches_brute_force(quantise, mode, sparse_ratio):
    rng = np.random.default_rng(7 + quantise)
    for _ in range(15):
        d, qp, gp, qc, gc = random_case(rng, quantise)
        if not any(((gp == p) & (gc != c)).any() for p, c in zip(qp, qc) if p != -1):
            continue
        mr = int(rng.integers(1, 80))
        res = evaluate_rank(d, qp, gp, qc, gc, max_rank=mr, ap_mode=mode, chunk_size=4,
                            sparse_ratio=sparse_ratio)
        cmc, m_ap, n = brute_force(d, qp, gp, qc, gc, mr, mode)
        np.testing.assert_allclose(res["cmc"], cmc, atol=1e-12)
        assert res["mAP"] == pytest.approx(m_ap, abs=1e-12)
        assert res["num_valid_queries"] == n
        assert res["num_skipped_queries"] == len(qp) - n


def test_standard_ap_equals_sklearn_without_ties():
    rng = np.random.default_rng(3)
    d, qp, gp, qc, gc = random_case(rng, quantise=False)
    res = evaluate_rank(d, qp, gp, qc, gc)
    ref = []
    for i in range(len(qp)):
        keep = ~(((gp == qp[i]) & (gc == qc[i])) | (gp == -1))
        y = gp[keep] == qp[i]
        if y.any():
            ref.append(average_precision_score(y, -d[i, keep]))
    np.testing.assert_allclose(res["all_AP"], ref, atol=1e-6)


def test_hand_computed_both_modes():
    # sorted gallery: good, negative, good, negative -> good ranks 1 and 3
    d = np.array([[0.1, 0.2, 0.3, 0.4]])
    gp, gc = np.array([1, 2, 1, 3]), np.array([1, 1, 1, 1])
    std = evaluate_rank(d, [1], gp, [0], gc, max_rank=4)
    assert std["mAP"] == pytest.approx((1 / 1 + 2 / 3) / 2)
    trap = evaluate_rank(d, [1], gp, [0], gc, max_rank=4, ap_mode="trapezoid")
    assert trap["mAP"] == pytest.approx(((1 + 1) / 2 + (1 / 2 + 2 / 3) / 2) / 2)  # 19/24
    np.testing.assert_array_equal(std["cmc"], [1, 1, 1, 1])
    assert std["mINP"] == pytest.approx(2 / 3)


def test_junk_removed_and_distractor_kept():
    # same pid + same camera (junk), pid -1 (junk), distractor 0, then the good match
    d = np.array([[0.1, 0.2, 0.3, 0.4]])
    res = evaluate_rank(d, [5], [5, -1, 0, 5], [2], [2, 0, 0, 0], max_rank=3)
    np.testing.assert_array_equal(res["cmc"], [0, 1, 1])
    assert res["mAP"] == pytest.approx(0.5)


def test_ties_keep_gallery_order():
    d = np.array([[1.0, 1.0], [1.0, 1.0]])
    res = evaluate_rank(d, [1, 2], [2, 1], [0, 0], [1, 1], max_rank=2)
    ranks, _ = match_ranks(d, [1, 2], [2, 1], [0, 0], [1, 1])
    np.testing.assert_array_equal(ranks[:, 0], [2, 1])  # query 1's match is 2nd in order
    assert res["mAP"] == pytest.approx((0.5 + 1.0) / 2)


def test_perfect_ranking_and_long_cmc():
    rng = np.random.default_rng(0)
    gp = np.repeat(np.arange(1, 6), 3)
    d = np.where(np.arange(1, 6)[:, None] == gp[None, :], 0.0, 1.0) + 0.01 * rng.random((5, 15))
    res = evaluate_rank(torch.from_numpy(d), torch.arange(1, 6), gp, np.zeros(5, int),
                        np.ones(15, int), max_rank=40)
    assert res["mAP"] == pytest.approx(1.0)
    assert res["cmc"].shape == (40,) and np.all(res["cmc"] == 1.0)


def test_skipped_queries_counted():
    d = np.random.default_rng(0).random((3, 4))
    res = evaluate_rank(d, [1, 9, 1], [1, 2, 3, 1], [0, 0, 1], [1, 1, 1, 1])
    assert res["num_valid_queries"] == 1 and res["num_skipped_queries"] == 2  # 9 absent, q2 same cam


@pytest.mark.parametrize("bad, match", [
    (dict(q_pids=[1, 2, 3]), "q_pids"),
    (dict(g_camids=[0]), "g_camids"),
    (dict(distmat=np.zeros((2, 0)), g_pids=[], g_camids=[]), "empty gallery"),
    (dict(distmat=np.array([[np.nan, 1.0], [0.0, 1.0]])), "NaN"),
    (dict(ap_mode="area"), "standard, trapezoid"),
    (dict(max_rank=0), "max_rank"),
])
def test_input_errors(bad, match):
    args = dict(distmat=np.zeros((2, 2)), q_pids=[1, 2], g_pids=[1, 2], q_camids=[0, 0],
                g_camids=[1, 1])
    args.update(bad)
    with pytest.raises(ValueError, match=match):
        evaluate_rank(**args)
