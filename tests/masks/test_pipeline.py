"""Pad-segment-select-crop-dilate steps (MPM-LTL III-B) on synthetic arrays."""
from __future__ import annotations

import numpy as np
import pytest

from reidlib.masks.pipeline import (RECIPES, MaskRecipe, crop_back, dilate_mask, extract_mask, extract_masks,
                                    get_recipe, pad_crop, select_component, select_instance)
from reidlib.masks.segmenters import Segmenter


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
def test_pad_crop_round_trip_exact(mode):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (7, 5, 3), dtype=np.uint8)
    padded, box = pad_crop(img, 3, mode)
    assert padded.shape == (21, 15, 3)
    assert box == (7, 5, 7, 5)
    np.testing.assert_array_equal(crop_back(padded, box), img)
    if mode == "constant":
        assert padded[:7].sum() == 0 and padded[:, :5].sum() == 0
    if mode == "edge":  # brute force: every pixel equals the nearest crop pixel
        for y in range(21):
            for x in range(15):
                yy, xx = min(max(y - 7, 0), 6), min(max(x - 5, 0), 4)
                assert (padded[y, x] == img[yy, xx]).all()


def test_pad_factor_five_and_errors():
    img = np.ones((4, 2, 3), np.uint8)
    padded, box = pad_crop(img, 5)
    assert padded.shape == (20, 10, 3) and box == (8, 4, 4, 2)
    with pytest.raises(ValueError, match="odd"):
        pad_crop(img, 2)
    with pytest.raises(ValueError, match="constant, edge, reflect"):
        pad_crop(img, 3, "wrap")


@pytest.mark.parametrize("n", [1, 2, 3])
def test_dilation_grows_by_n_pixels(n):
    m = np.zeros((30, 30), np.uint8)
    m[10:20, 12:18] = 1
    d = dilate_mask(m, n, "square")
    ys, xs = np.nonzero(d)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (10 - n, 19 + n, 12 - n, 17 + n)
    disk = dilate_mask(m, n, "disk")
    # brute force: a pixel is in the disk dilation iff some mask pixel lies within Euclidean n
    my, mx = np.nonzero(m)
    for y in range(30):
        for x in range(30):
            expect = np.min((my - y) ** 2 + (mx - x) ** 2) <= n * n
            assert bool(disk[y, x]) == expect
    assert dilate_mask(m, 0).sum() == m.sum()


def test_select_instance_picks_covering_one():
    box = (10, 10, 10, 5)
    inst = np.zeros((3, 30, 25), np.float32)
    inst[0, 0:8, 0:8] = 1.0          # big, outside the box
    inst[0, 0:30, 0:9] = 1.0
    inst[1, 12:18, 11:14] = 0.9      # inside the box: 18 px covered
    inst[2, 9:12, 9:16] = 0.8        # partly inside: 2 rows x 5 cols = 10 px covered
    sel = select_instance(inst, box, scores=[0.99, 0.5, 0.9])
    np.testing.assert_array_equal(sel, (inst[1] > 0.5).astype(np.uint8))
    assert select_instance(np.zeros((0, 5, 5)), box).shape == (5, 5)


def test_select_component_keeps_central_blob():
    m = np.zeros((30, 30), np.uint8)
    m[0:30, 0:4] = 1   # large component touching the border only
    m[12:18, 13:17] = 1  # small central one
    out = select_component(m, (10, 10, 10, 10))
    assert out.sum() == 24 and out[15, 15] == 1 and out[0, 0] == 0


class _Blob(Segmenter):
    """Semantic stub: probability 1 on a fixed box of the padded image, 0.8 on a far blob."""

    def predict(self, image, crop_hw=None):
        h, w = image.shape[:2]
        p = np.zeros((h, w), np.float32)
        p[h // 2 - 3:h // 2 + 3, w // 2 - 2:w // 2 + 2] = 1.0
        p[0:2, 0:2] = 0.8
        return p


def test_extract_mask_recipes():
    img = np.full((12, 8, 3), 100, np.uint8)
    m = extract_mask(img, _Blob(), "mpm_ltl", dilate=0)
    assert m.shape == (12, 8) and m.sum() == 24  # padded 36x24, blob in the centre
    m0 = extract_mask(img, _Blob(), "fcn")
    assert m0.shape == (12, 8) and m0[0:2, 0:2].all() and m0.sum() == 28  # no select: far blob kept
    m1 = extract_mask(img, _Blob(), "fcn_select")
    assert m1.sum() == 24
    m3 = extract_mask(img, _Blob(), "mpm_ltl")
    np.testing.assert_array_equal(m3, dilate_mask(m, 3))
    assert len(extract_masks([img, img], _Blob(), RECIPES["fcn"])) == 2


def test_recipe_errors():
    with pytest.raises(KeyError, match="fcn, fcn_select, mpm_ltl, pad_select"):
        get_recipe("nope")
    with pytest.raises(ValueError, match="pad_mode"):
        MaskRecipe(pad_mode="zeros")
    with pytest.raises(ValueError, match="dilate"):
        MaskRecipe(dilate=-1)
    with pytest.raises(ValueError, match=r"\[H, W, 3\]"):
        extract_mask(np.zeros((4, 4)), _Blob())
