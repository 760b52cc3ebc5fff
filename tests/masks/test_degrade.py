import numpy as np
import pytest

from reidlib.masks.degrade import KINDS, as_bool, degrade_mask, dilate, erode, mask_iou


def person_mask(h=64, w=32):
    yy, xx = np.mgrid[0:h, 0:w]
    m = ((yy - 10) ** 2 / 36 + (xx - 16) ** 2 / 25 <= 1)  # head
    m |= (yy >= 16) & (yy < 40) & (np.abs(xx - 16) <= 8)  # torso
    m |= (yy >= 40) & (yy < 62) & (np.abs(np.abs(xx - 16) - 4) <= 3)  # legs
    return m


def brute_iou(a, b):
    inter = union = 0
    for x, y in zip(a.ravel(), b.ravel()):
        inter += bool(x and y)
        union += bool(x or y)
    return inter / union if union else 1.0


def test_mask_iou_matches_loop():
    rng = np.random.default_rng(0)
    a, b = rng.random((20, 10)) > 0.5, rng.random((20, 10)) > 0.4
    assert mask_iou(a, b) == pytest.approx(brute_iou(a, b))
    assert mask_iou(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0


def test_erode_dilate_match_brute_force_distance():
    m = person_mask()
    ys, xs = np.nonzero(~m)
    yi, xi = np.nonzero(m)
    e, d = erode(m, 2.0), dilate(m, 2.0)
    for y, x in zip(*np.nonzero(m)):  # eroded iff nearest background pixel is farther than 2
        assert e[y, x] == (np.min(np.hypot(ys - y, xs - x)) > 2.0)
    for y, x in [(0, 0), (5, 16), (30, 27), (30, 26), (63, 16)]:
        assert d[y, x] == (np.min(np.hypot(yi - y, xi - x)) <= 2.0)


@pytest.mark.parametrize("kinds", [KINDS, ("erode",), ("dilate",), ("holes", "erode"), ("blobs", "dilate"),
                                   ("boundary",)])
@pytest.mark.parametrize("target", [0.9, 0.75, 0.6])
def test_degrade_reaches_target_iou(kinds, target):
    m = person_mask(128, 64)
    out = degrade_mask(m, target, np.random.default_rng(1), kinds=kinds, tol=0.02)
    assert out.shape == m.shape and out.dtype == bool
    assert abs(mask_iou(m, out) - target) <= 0.02


def test_degrade_accepts_0_255_and_is_seeded():
    m = person_mask().astype(np.uint8) * 255
    a = degrade_mask(m, 0.8, np.random.default_rng(3))
    b = degrade_mask(m, 0.8, np.random.default_rng(3))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, as_bool(m))


def test_degrade_edge_cases_and_errors():
    empty = np.zeros((8, 8), bool)
    assert not degrade_mask(empty, 0.5, np.random.default_rng(0)).any()
    m = person_mask()
    assert np.array_equal(degrade_mask(m, 1.0, np.random.default_rng(0)), m)
    with pytest.raises(ValueError, match="target_iou"):
        degrade_mask(m, 1.5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="valid kinds"):
        degrade_mask(m, 0.8, np.random.default_rng(0), kinds=("smudge",))
    with pytest.raises(ValueError, match="2-D"):
        degrade_mask(np.zeros((2, 3, 3)), 0.8, np.random.default_rng(0))
