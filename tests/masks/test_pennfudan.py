"""Penn-Fudan re-ID crops: box geometry by hand, real data via the fixture."""
from __future__ import annotations

import numpy as np
import pytest

from reidlib.masks.pennfudan import pennfudan_crops, pennfudan_images, reid_box


def test_reid_box_aspect_and_margin():
    # a 100 x 20 box: taller than 1:2 already -> height 110 (10% margin), width 55
    assert reid_box(0, 40, 100, 60, margin=0.1) == (-5, 22, 110, 55)
    # a wide 40 x 40 box: height grows to 80, no margin
    assert reid_box(10, 10, 50, 50, margin=0.0) == (-10, 10, 80, 40)
    with pytest.raises(ValueError, match="empty box"):
        reid_box(5, 5, 5, 9)


def test_missing_root_names_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match="PedMasks"):
        pennfudan_images(tmp_path)


def test_real_pennfudan_split_and_crops(pennfudan_root):
    train, test = pennfudan_images(pennfudan_root, "train"), pennfudan_images(pennfudan_root, "test")
    assert not set(train) & set(test) and len(train) + len(test) == 170
    assert len(test) == 34 and any(s.startswith("Fudan") for s in test) and any(s.startswith("Penn") for s in test)
    x, m, ids = pennfudan_crops(pennfudan_root, "test", size=(64, 32))
    assert x.shape[1:] == (64, 32, 3) and m.shape == x.shape[:3] and len(ids) == len(x)
    assert {i.split("#")[0] for i in ids} <= set(test)
    frac = m.reshape(len(m), -1).mean(1)
    assert 0.1 < frac.mean() < 0.6  # the person fills part of a 1:2 crop, not all of it
    # the centre column of the crop is mostly person (crops are centred on the pedestrian)
    assert m[:, 16:48, 14:18].mean() > 0.7
