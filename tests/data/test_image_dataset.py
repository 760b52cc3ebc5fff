"""ImageDataset: decode + resize, mask modes, cache equals no-cache, batch dict."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from reidlib.data.base import relabel
from reidlib.data.image_dataset import ImageDataset


def make_records(tmp_path, with_mask=(True, False, True)):
    recs = []
    for i, wm in enumerate(with_mask):
        arr = np.full((8, 4, 3), 10 * (i + 1), np.uint8)
        arr[:4] = 200
        p = tmp_path / f"{i}.jpg"
        Image.fromarray(arr).save(p, quality=100)
        rec = {"path": str(p), "pid": 10 + i // 2, "camid": i % 2, "mask_path": None,
               "parts_path": None, "split": "train"}
        if wm:
            m = np.zeros((8, 4), np.uint8)
            m[:, :2] = 255
            Image.fromarray(m).save(tmp_path / f"m{i}.png")
            parts = np.zeros((8, 4), np.uint8)
            parts[4:] = 3
            Image.fromarray(parts).save(tmp_path / f"p{i}.png")
            rec.update(mask_path=str(tmp_path / f"m{i}.png"), parts_path=str(tmp_path / f"p{i}.png"))
        recs.append(rec)
    return recs


def test_items_and_batch(tmp_path):
    recs = make_records(tmp_path)
    ds = ImageDataset(recs, size=(16, 8), label_map=relabel(recs))
    it = ds[1]
    assert it["image"].shape == (3, 16, 8) and it["image"].dtype == torch.uint8
    assert it["pid"] == 0 and it["camid"] == 1 and it["index"] == 1
    assert int(it["mask"].sum()) == 0  # record 1 has no mask -> zeros
    b = ds.get_batch([2, 0])
    assert b["mask"].shape == (2, 1, 16, 8)
    assert torch.equal(b["mask"][0, 0], torch.tensor([[1] * 4 + [0] * 4] * 16, dtype=torch.uint8))
    assert int(b["parts"][0, 0, -1, 0]) == 3 and int(b["parts"][0, 0, 0, 0]) == 0
    assert b["pid"].tolist() == [1, 0] and b["index"].tolist() == [2, 0]
    assert abs(int(b["image"][1, 0, -1, 0]) - 10) <= 3 and abs(int(b["image"][1, 0, 0, 0]) - 200) <= 3


def test_cache_equals_lazy(tmp_path):
    recs = make_records(tmp_path)
    a, b = ImageDataset(recs, (16, 8), cache=True), ImageDataset(recs, (16, 8), cache=False)
    ba, bb = a.get_batch([0, 1, 2]), b.get_batch([0, 1, 2])
    for k in ("image", "mask", "parts", "pid", "camid"):
        assert torch.equal(ba[k], bb[k]), k
    assert a[0]["pid"] == 10  # no label_map -> raw pid


def test_mask_modes_and_errors(tmp_path):
    recs = make_records(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"1 records have no mask \(first: .*1.jpg\)"):
        ImageDataset(recs, (16, 8), masks="required")
    none = ImageDataset(recs, (16, 8), masks="none")
    assert none.get_batch([0])["mask"] is None
    with pytest.raises(ValueError, match="valid: optional, required, none"):
        ImageDataset(recs, (16, 8), masks="maybe")
    with pytest.raises(KeyError, match="label_map"):
        ImageDataset(recs, (16, 8), label_map={10: 0})
    with pytest.raises(IndexError):
        none.get_batch([3])
    recs[0]["path"] = str(tmp_path / "gone.jpg")
    with pytest.raises(FileNotFoundError, match="gone.jpg"):
        ImageDataset(recs, (16, 8))
