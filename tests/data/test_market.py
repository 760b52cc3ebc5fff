"""Tests of the Market-1501 reader on a tiny fixture folder with real naming."""
from __future__ import annotations

import pytest
from fixtures import MARKET, make_market_style, write_image

from reidlib.data.base import DatasetLayoutError
from reidlib.data.market import read_market1501


def _parse(name: str) -> tuple[int, int]:
    """Independent parse: pid before the first '_', camera digit after 'c'."""
    pid_s, rest = name.split("_", 1)
    return int(pid_s), int(rest[1]) - 1


def test_market_pids_camids_and_splits(tmp_path):
    make_market_style(tmp_path, MARKET)
    ds = read_market1501(tmp_path)
    for split, folder in (("query", "query"), ("gallery", "bounding_box_test"),
                          ("multiquery", "gt_bbox")):
        recs = ds.splits()[split]
        expected = sorted((str(tmp_path / folder / n), *_parse(n)) for n in MARKET[folder])
        assert sorted((r["path"], r["pid"], r["camid"]) for r in recs) == expected
        assert all(r["split"] == split for r in recs)
    # train drops junk (-1) and distractors (0): none in the fixture's train, so all kept
    expected_train = [n for n in MARKET["bounding_box_train"] if _parse(n)[0] > 0]
    assert len(ds.train) == len(expected_train)
    # gallery keeps junk and distractors
    assert {-1, 0} <= {r["pid"] for r in ds.gallery}
    assert ds.num_train_pids == 2 and ds.meta["num_cams"] == 6


def test_market_train_drops_junk_and_distractors(tmp_path):
    spec = {k: list(v) for k, v in MARKET.items()}
    spec["bounding_box_train"] += ["0000_c1s1_000001_01.jpg", "-1_c2s1_000002_01.jpg"]
    make_market_style(tmp_path, spec)
    ds = read_market1501(tmp_path)
    assert all(r["pid"] > 0 for r in ds.train)
    assert len(ds.train) == len(MARKET["bounding_box_train"])


def test_market_mask_mirror_pickup(tmp_path):
    make_market_style(tmp_path, MARKET)
    ds = read_market1501(tmp_path)
    first = MARKET["bounding_box_train"][0].replace(".jpg", ".png")
    with_mask = [r for r in ds.train if r["mask_path"]]
    assert [r["mask_path"] for r in with_mask] == [str(tmp_path / "masks/bounding_box_train" / first)]
    assert [r["parts_path"] for r in ds.train if r["parts_path"]] == [
        str(tmp_path / "parts/bounding_box_train" / first)]
    assert all(r["mask_path"] is None for r in ds.gallery)


def test_market_without_gt_bbox_has_no_multiquery(tmp_path):
    spec = {k: v for k, v in MARKET.items() if k != "gt_bbox"}
    make_market_style(tmp_path, spec)
    assert "multiquery" not in read_market1501(tmp_path).extra


def test_market_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="bounding_box_train"):
        read_market1501(tmp_path)  # empty root: missing folder, layout shown
    make_market_style(tmp_path, MARKET)
    write_image(tmp_path / "query" / "img_0001.jpg")
    with pytest.raises(DatasetLayoutError, match=r"img_0001\.jpg.*0002_c1s1_000451_03\.jpg"):
        read_market1501(tmp_path)
    (tmp_path / "query" / "img_0001.jpg").unlink()
    write_image(tmp_path / "query" / "0001_c9s1_000001_00.jpg")
    with pytest.raises(DatasetLayoutError, match="c9"):
        read_market1501(tmp_path)
    for p in (tmp_path / "query").iterdir():
        p.unlink()
    with pytest.raises(DatasetLayoutError, match=r"empty split 'query'"):
        read_market1501(tmp_path)
