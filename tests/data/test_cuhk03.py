"""Tests of the CUHK03 reader: new protocol (.mat v5) and classic (HDF5 v7.3-like)."""
from __future__ import annotations

import numpy as np
import pytest
from fixtures import cuhk03_name, make_cuhk03_classic, make_cuhk03_new

from reidlib.data.base import DatasetLayoutError
from reidlib.data.cuhk03 import extract_cuhk03_images, read_cuhk03
from reidlib.data.io import read_image


@pytest.mark.parametrize("image_type", ["labeled", "detected"])
def test_new_protocol_matches_config(tmp_path, image_type):
    spec = make_cuhk03_new(tmp_path, image_type)
    ds = read_cuhk03(tmp_path, image_type=image_type, protocol="new")
    for split in ("train", "query", "gallery"):
        expected = [(str(tmp_path / f"images_{image_type}" / spec["files"][i]), spec["labels"][i],
                     spec["cams"][i] - 1) for i in spec[split]]
        got = [(r["path"], r["pid"], r["camid"]) for r in ds.splits()[split]]
        assert got == expected
    assert ds.name == f"cuhk03_{image_type}"
    assert not {r["pid"] for r in ds.train} & {r["pid"] for r in ds.query}


def test_new_protocol_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="cuhk03_new_protocol_config_labeled.mat"):
        read_cuhk03(tmp_path)
    spec = make_cuhk03_new(tmp_path)
    (tmp_path / "images_labeled" / spec["files"][0]).unlink()
    with pytest.raises(DatasetLayoutError, match=spec["files"][0]):
        read_cuhk03(tmp_path)
    with pytest.raises(KeyError, match="labeled, detected"):
        read_cuhk03(tmp_path, image_type="hand")
    with pytest.raises(KeyError, match="new, classic"):
        read_cuhk03(tmp_path, protocol="old")


def test_classic_extraction_pixels_names_and_idempotence(tmp_path):
    mat = tmp_path / "cuhk03_release" / "cuhk-03.mat"
    images = make_cuhk03_classic(mat)
    out = tmp_path / "images_detected"
    n = extract_cuhk03_images(mat, out, "detected")
    expected = {cuhk03_name(c, p, i): a for (t, c, p, i), a in images.items() if t == "detected"}
    assert n == len(expected)
    assert sorted(p.name for p in out.glob("*.png")) == sorted(expected)
    for name, arr in expected.items():
        np.testing.assert_array_equal(read_image(out / name), arr)
    assert extract_cuhk03_images(mat, out, "detected") == 0  # marker: nothing redone


def test_classic_split_train_query_gallery(tmp_path):
    mat = tmp_path / "cuhk03_release" / "cuhk-03.mat"
    images = make_cuhk03_classic(mat)
    offsets = {1: 0, 2: 3}  # campus 1 has 3 ids
    for split_id, test_pairs in enumerate((((1, 2), (2, 1)), ((1, 1), (2, 2)))):
        ds = read_cuhk03(tmp_path, image_type="labeled", protocol="classic", split_id=split_id)
        got = {s: sorted((r["pid"], r["camid"], r["path"].rsplit("/", 1)[1]) for r in recs)
               for s, recs in ds.splits().items()}
        exp = {"train": [], "query": [], "gallery": []}
        for (t, c, p, i) in images:
            if t != "labeled":
                continue
            cam = 0 if i <= 5 else 1
            s = ("query" if cam == 0 else "gallery") if (c, p) in test_pairs else "train"
            exp[s].append((offsets[c] + p, cam, cuhk03_name(c, p, i)))
        assert got == {s: sorted(v) for s, v in exp.items()}
        assert ds.meta["num_splits"] == 2 and ds.meta["split_id"] == split_id
    ds_b = read_cuhk03(tmp_path, protocol="classic", query_cam=1)
    assert {r["camid"] for r in ds_b.query} == {1} and {r["camid"] for r in ds_b.gallery} == {0}


def test_classic_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="cuhk-03.mat"):
        read_cuhk03(tmp_path, protocol="classic")
    make_cuhk03_classic(tmp_path / "cuhk-03.mat")  # also found at the root
    with pytest.raises(ValueError, match="split_id=5.*0..1"):
        read_cuhk03(tmp_path, protocol="classic", split_id=5)
    with pytest.raises(ValueError, match="query_cam"):
        read_cuhk03(tmp_path, protocol="classic", query_cam=2)


def test_classic_unparsable_extracted_name(tmp_path):
    make_cuhk03_classic(tmp_path / "cuhk-03.mat")
    read_cuhk03(tmp_path, protocol="classic")  # extracts images_labeled/
    (tmp_path / "images_labeled" / "extra.png").write_bytes(b"")
    with pytest.raises(DatasetLayoutError, match=r"extra\.png.*1_001_1_01\.png"):
        read_cuhk03(tmp_path, protocol="classic")
