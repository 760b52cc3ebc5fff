"""Tests of reidlib.data.io: image/mask/part reading and atomic PNG writing."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from reidlib.data.io import ImageReadError, read_image, read_mask, read_parts, write_png_atomic


def test_read_image_rgb_roundtrip_and_grey_conversion(tmp_path):
    arr = np.random.default_rng(0).integers(0, 256, (5, 3, 3), dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / "a.png")
    out = read_image(tmp_path / "a.png")
    assert out.dtype == np.uint8 and out.shape == (5, 3, 3)
    np.testing.assert_array_equal(out, arr)
    Image.fromarray(arr[:, :, 0]).save(tmp_path / "g.png")
    g = read_image(tmp_path / "g.png")
    assert g.shape == (5, 3, 3)
    for c in range(3):
        np.testing.assert_array_equal(g[:, :, c], arr[:, :, 0])


def test_read_image_missing_and_corrupt_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.jpg"):
        read_image(tmp_path / "nope.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(ImageReadError, match="bad.jpg"):
        read_image(bad)


def test_read_mask_threshold_and_size_check(tmp_path):
    grey = np.array([[0, 127, 128], [255, 200, 3]], np.uint8)
    Image.fromarray(grey).save(tmp_path / "m.png")
    m = read_mask(tmp_path / "m.png", expected_hw=(2, 3))
    expected = np.array([[1 if v > 127 else 0 for v in row] for row in grey.tolist()], np.uint8)
    np.testing.assert_array_equal(m, expected)
    assert m.dtype == np.uint8
    with pytest.raises(ImageReadError, match=r"2x3.*4x3"):
        read_mask(tmp_path / "m.png", expected_hw=(4, 3))


def test_read_parts_labels_and_range(tmp_path):
    lab = np.array([[0, 1], [2, 3]], np.uint8)
    Image.fromarray(lab).save(tmp_path / "p.png")
    np.testing.assert_array_equal(read_parts(tmp_path / "p.png", expected_hw=(2, 2)), lab)
    Image.fromarray(lab * 85).save(tmp_path / "bad.png")  # 0/85/170/255: not labels
    with pytest.raises(ImageReadError, match=r"bad.png.*outside 0..3"):
        read_parts(tmp_path / "bad.png")
    with pytest.raises(ImageReadError, match="mode"):
        Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "rgb.png")
        read_parts(tmp_path / "rgb.png")


def test_write_png_atomic_roundtrip_no_leftovers(tmp_path):
    arr = np.random.default_rng(1).integers(0, 256, (4, 6, 3), dtype=np.uint8)
    dst = write_png_atomic(tmp_path / "sub" / "x.png", arr)
    np.testing.assert_array_equal(read_image(dst), arr)
    write_png_atomic(dst, arr[:, :, 0])  # overwrite with a grey image
    np.testing.assert_array_equal(np.asarray(Image.open(dst)), arr[:, :, 0])
    assert sorted(p.name for p in dst.parent.iterdir()) == ["x.png"]
    with pytest.raises(ValueError, match="uint8"):
        write_png_atomic(tmp_path / "f.png", arr.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        write_png_atomic(tmp_path / "f.png", np.zeros((2, 2, 2), np.uint8))
    assert not (tmp_path / "f.png").exists()
