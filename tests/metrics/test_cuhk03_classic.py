"""CUHK03 classic single-shot CMC: hand cases and a brute-force sampling check."""
import numpy as np
import pytest

from reidlib.metrics import evaluate_cuhk03_classic, single_shot_cmc


def test_hand_case_deterministic():
    # one image per identity in the gallery: sampling has no choice
    d = np.array([[0.5, 0.1, 0.9], [0.2, 0.3, 0.1]])
    res = single_shot_cmc(d, [1, 2], [1, 2, 3], [0, 0], [1, 1, 1], max_rank=3, repeats=3)
    # query 1: match at 0.5, pid 2 at 0.1 before it -> rank 2; query 2: pid 3 (0.1) and pid 1
    # (0.2) before its match (0.3) -> rank 3
    np.testing.assert_allclose(res["cmc"], [0, 0.5, 1.0])
    assert res["mAP"] == pytest.approx((1 / 2 + 1 / 3) / 2)


def test_sampling_average_tends_to_expectation():
    # pid 2 has two gallery images, one before and one after the match: over many repeats
    # rank-1 of query 1 tends to 1/2
    d = np.array([[0.5, 0.1, 0.9]])
    res = single_shot_cmc(d, [1], [1, 2, 2], [0], [1, 1, 1], max_rank=2, repeats=400, seed=1)
    assert res["cmc_per_repeat"].shape == (400, 2)
    assert set(np.unique(res["cmc_per_repeat"][:, 0])) == {0.0, 1.0}
    assert abs(res["cmc"][0] - 0.5) < 0.1
    assert res["cmc"][1] == 1.0


def test_same_camera_match_is_junk_and_splits_average():
    d = np.array([[0.1, 0.5, 0.3]])
    split_a = dict(distmat=d, q_pids=[1], g_pids=[1, 1, 2], q_camids=[0], g_camids=[0, 1, 1])
    res_a = single_shot_cmc(**split_a, max_rank=2)
    np.testing.assert_allclose(res_a["cmc"], [0, 1])  # 0.1 is junk, pid 2 (0.3) before 0.5
    split_b = dict(split_a, g_camids=[1, 1, 1])  # now 0.1 is a valid match: rank 1 or 2
    both = evaluate_cuhk03_classic([split_a, split_b], max_rank=2, repeats=50)
    rb = single_shot_cmc(**split_b, max_rank=2, repeats=50, seed=1)
    np.testing.assert_allclose(both["cmc"], (res_a["cmc"] + rb["cmc"]) / 2)
    assert both["num_splits"] == 2
    with pytest.raises(ValueError, match="distmat"):
        evaluate_cuhk03_classic([{"q_pids": [1]}])
    with pytest.raises(ValueError, match="empty"):
        evaluate_cuhk03_classic([])
