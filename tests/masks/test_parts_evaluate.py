"""Body-part splitting, IoU helpers and the mask grid."""
from __future__ import annotations

import numpy as np
import pytest

from reidlib.masks.evaluate import evaluate_segmenter, mask_grid, mask_iou, part_iou
from reidlib.masks.parts import extract_parts, parts_from_probabilities, split_parts_by_ratio
from reidlib.masks.segmenters import Segmenter


def test_split_parts_by_ratio_by_hand():
    m = np.zeros((12, 4), np.uint8)
    m[2:12, 1:3] = 1  # extent rows 2..11 (10 rows)
    p = split_parts_by_ratio(m, (0.2, 0.5))
    for y in range(12):  # brute force per row: rel = (y - 2) / 10
        rel = (y - 2) / 10
        expect = 0 if y < 2 else (1 if rel < 0.2 else 2 if rel < 0.5 else 3)
        assert (p[y, 1:3] == expect).all() and (p[y, [0, 3]] == 0).all()
    assert split_parts_by_ratio(np.zeros((3, 3))).sum() == 0
    with pytest.raises(ValueError, match="ratios"):
        split_parts_by_ratio(m, (0.6, 0.5))


def test_parts_from_probabilities_inside_mask():
    prob = np.zeros((4, 2, 2))
    prob[0] = 0.9          # background wins everywhere ...
    prob[3, 0, 0] = 0.1    # ... but inside the mask only head/upper/lower compete
    prob[1, 1, 1] = 0.05
    mask = np.array([[1, 0], [0, 1]])
    np.testing.assert_array_equal(parts_from_probabilities(prob, mask), [[3, 0], [0, 1]])
    with pytest.raises(KeyError, match="fcn, ratio"):
        extract_parts([np.zeros((2, 2, 3), np.uint8)], [mask], "nope")


def test_iou_by_hand():
    a = np.zeros((4, 4), np.uint8)
    b = np.zeros((4, 4), np.uint8)
    a[:2] = 1
    b[1:3] = 1
    assert mask_iou(a, b) == pytest.approx(4 / 12)
    assert mask_iou(np.zeros((2, 2)), np.zeros((2, 2))) == 1.0
    pi = part_iou(np.array([[0, 1], [2, 2]]), np.array([[0, 1], [2, 3]]))
    assert pi[0] == 1.0 and pi[1] == 1.0 and pi[2] == pytest.approx(0.5) and pi[3] == 0.0
    with pytest.raises(ValueError, match="differ"):
        mask_iou(a, np.zeros((3, 3)))


class _Half(Segmenter):
    def predict(self, image, crop_hw=None):
        p = np.zeros(image.shape[:2], np.float32)
        p[: image.shape[0] // 2] = 1
        return p


def test_evaluate_segmenter_rows():
    imgs = [np.zeros((8, 4, 3), np.uint8)] * 3
    gts = [np.ones((8, 4), np.uint8)] * 3
    rows = evaluate_segmenter(_Half(), imgs, gts, recipes=("fcn",))
    assert rows[0]["recipe"] == "fcn" and rows[0]["n"] == 3
    assert rows[0]["mean_iou"] == pytest.approx(0.5) and rows[0]["empty"] == 0.0


def test_mask_grid_layout():
    imgs = [np.full((16, 8, 3), 50, np.uint8)] * 5
    masks = [np.ones((16, 8), np.uint8)] * 5
    g = mask_grid(imgs, masks, ncols=2, thumb=(16, 8))
    assert g.shape == (3 * 18, 4 * 10, 3) and g.dtype == np.uint8
    assert (g[0:16, 0:8] == 50).all()  # first cell: the plain image
