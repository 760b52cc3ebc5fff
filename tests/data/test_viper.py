"""Tests of the VIPeR reader."""
from __future__ import annotations

import pytest
from fixtures import make_viper, write_image

from reidlib.data.base import DatasetLayoutError
from reidlib.data.viper import read_viper

NUMBERS = (0, 1, 3, 4, 7, 9)


def test_viper_pairs_by_number(tmp_path):
    make_viper(tmp_path, NUMBERS)
    ds = read_viper(tmp_path, split="4/2", seed=0)
    allr = ds.train + ds.query + ds.gallery
    got = sorted((r["path"].rsplit("/", 2)[1], r["path"].rsplit("/", 1)[1][:3], r["pid"], r["camid"])
                 for r in allr)
    exp = sorted((cam, f"{n:03d}", n + 1, c) for n in NUMBERS for c, cam in enumerate(("cam_a", "cam_b")))
    assert got == exp
    assert len({r["pid"] for r in ds.train}) == 4 and len(ds.query) == len(ds.gallery) == 2
    assert {r["pid"] for r in ds.query} == {r["pid"] for r in ds.gallery}
    assert {r["camid"] for r in ds.query} == {0} and 0 not in {r["pid"] for r in allr}


def test_viper_pair_by_order_and_mismatch(tmp_path):
    make_viper(tmp_path, NUMBERS)
    last = next((tmp_path / "cam_b").glob("009_*.bmp"))
    last.rename(last.with_name("010_45.bmp"))
    with pytest.raises(DatasetLayoutError, match="different person numbers"):
        read_viper(tmp_path, split="3/3")
    ds = read_viper(tmp_path, split="3/3", pair_by="order")
    a = sorted(r["path"] for r in ds.train + ds.query + ds.gallery if r["camid"] == 0)
    pid_of = {r["path"]: r["pid"] for r in ds.train + ds.query + ds.gallery}
    assert [pid_of[p] for p in a] == list(range(1, 7))
    with pytest.raises(KeyError, match="number, order"):
        read_viper(tmp_path, pair_by="name")


def test_viper_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="cam_a"):
        read_viper(tmp_path)
    make_viper(tmp_path, NUMBERS)
    with pytest.raises(ValueError, match="316/316.*data has 6"):
        read_viper(tmp_path)
    write_image(tmp_path / "cam_a" / "x.bmp")
    with pytest.raises(DatasetLayoutError, match=r"x\.bmp"):
        read_viper(tmp_path, split="3/3")
