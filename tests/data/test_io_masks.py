"""Issue 13 items 6, 8, 9: a mask whose size differs from its image is an error naming both
files (never stretched); the missing-mask hint names a valid data.masks; PNGs follow the umask."""
from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from reidlib.data.image_dataset import ImageDataset, clear_decoded
from reidlib.data.io import ImageReadError, umask_mode, write_png_atomic


def _record(tmp_path, mask_hw=(16, 8), parts_hw=None):
    img, mask = tmp_path / "a.png", tmp_path / "masks" / "a.png"
    mask.parent.mkdir()
    Image.fromarray(np.zeros((16, 8, 3), np.uint8)).save(img)
    Image.fromarray(np.full(mask_hw, 255, np.uint8)).save(mask)
    rec = {"path": str(img), "pid": 1, "camid": 0, "mask_path": str(mask), "parts_path": None, "split": "train"}
    if parts_hw:
        parts = tmp_path / "parts" / "a.png"
        parts.parent.mkdir()
        Image.fromarray(np.ones(parts_hw, np.uint8)).save(parts)
        rec["parts_path"] = str(parts)
    return rec


@pytest.mark.parametrize("cache", [True, False])
def test_a_mask_of_another_size_is_an_error_naming_both_files(tmp_path, cache):
    clear_decoded()
    ok = ImageDataset([_record(tmp_path)], size=(8, 4), cache=cache)
    assert int(ok[0]["mask"].sum()) == 8 * 4
    clear_decoded()
    (tmp_path / "x").mkdir()
    bad = _record(tmp_path / "x", mask_hw=(32, 16))
    with pytest.raises(ImageReadError) as err:
        ImageDataset([bad], size=(8, 4), cache=cache)[0]
    msg = str(err.value)
    assert msg == (f"{bad['mask_path']} is 32x16 (HxW) but its image {bad['path']} is 16x8: a mask / part map "
                   "must have its image's size; regenerate it (python -m reidlib masks) or fix the record")


def test_a_part_map_of_another_size_is_an_error(tmp_path):
    clear_decoded()
    rec = _record(tmp_path, parts_hw=(10, 8))
    with pytest.raises(ImageReadError, match=f"{rec['parts_path']} is 10x8 .HxW. but its image"):
        ImageDataset([rec], size=(8, 4), cache=True)


def test_the_missing_mask_hint_names_a_valid_data_masks_value(tmp_path):
    rec = {**_record(tmp_path), "mask_path": None}
    with pytest.raises(FileNotFoundError) as err:
        ImageDataset([rec], size=(8, 4), masks="required")
    assert "data.masks='extracted'" in str(err.value) and "masks='optional'" not in str(err.value)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_png_files_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        assert umask_mode() == 0o666 & ~umask
        p = write_png_atomic(tmp_path / "m" / "a.png", np.zeros((4, 2), np.uint8))
    finally:
        os.umask(old)
    assert p.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [f.name for f in p.parent.iterdir()] == ["a.png"]  # no temporary file left
