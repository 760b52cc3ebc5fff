"""Tests of the MARS reader: info tables, query/gallery tracklets, grouping."""
from __future__ import annotations

import os

import pytest
from fixtures import MARS_QUERY_ROWS, MARS_TEST, MARS_TRAIN, make_mars, mars_name

from reidlib.data.base import DatasetLayoutError
from reidlib.data.mars import read_mars


def _expected(root, split_folder, tracks, rows, drop_junk):
    out = []
    for row in rows:
        pid, cam, tr, nf = tracks[row]
        if drop_junk and pid <= 0:
            continue
        for fr in range(1, nf + 1):
            n = mars_name(pid, cam, tr, fr)
            out.append((str(root / split_folder / n[:4] / n), pid, cam - 1, row, fr))
    return out


def test_mars_records_match_info_tables(tmp_path):
    make_mars(tmp_path)
    ds = read_mars(tmp_path)
    key = lambda r: (r["path"], r["pid"], r["camid"], r["tracklet"], r["frame"])  # noqa: E731
    assert [key(r) for r in ds.train] == _expected(
        tmp_path, "bbox_train", MARS_TRAIN, range(len(MARS_TRAIN)), True)
    assert [key(r) for r in ds.query] == _expected(
        tmp_path, "bbox_test", MARS_TEST, MARS_QUERY_ROWS, False)
    gallery_rows = [i for i in range(len(MARS_TEST)) if i not in MARS_QUERY_ROWS]
    assert [key(r) for r in ds.gallery] == _expected(
        tmp_path, "bbox_test", MARS_TEST, gallery_rows, False)
    assert {-1, 0} <= {r["pid"] for r in ds.gallery}  # junk and distractor kept
    assert all(os.path.isfile(r["path"]) for r in ds.gallery)


def test_mars_tracklet_grouping(tmp_path):
    make_mars(tmp_path)
    ds = read_mars(tmp_path)
    groups = ds.meta["tracklets"]["gallery"]
    gallery_rows = [i for i in range(len(MARS_TEST)) if i not in MARS_QUERY_ROWS]
    assert [g["tracklet"] for g in groups] == gallery_rows
    for g in groups:
        pid, cam, _, nf = MARS_TEST[g["tracklet"]]
        assert (g["pid"], g["camid"], len(g["records"])) == (pid, cam - 1, nf)
        assert all(r["tracklet"] == g["tracklet"] for r in g["records"])
    assert sum(len(g["records"]) for g in ds.meta["tracklets"]["train"]) == len(ds.train)


def test_mars_min_len(tmp_path):
    make_mars(tmp_path)
    ds = read_mars(tmp_path, min_len=2)
    assert all(len(g["records"]) >= 2 for s in ("train", "query", "gallery")
               for g in ds.meta["tracklets"][s])
    n_long = sum(1 for i, t in enumerate(MARS_TEST) if i not in MARS_QUERY_ROWS and t[3] >= 2)
    assert len(ds.meta["tracklets"]["gallery"]) == n_long
    with pytest.raises(ValueError, match="min_len"):
        read_mars(tmp_path, min_len=-1)


def test_mars_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="info"):
        read_mars(tmp_path)
    make_mars(tmp_path)
    (tmp_path / "info" / "query_IDX.mat").unlink()
    with pytest.raises(DatasetLayoutError, match="query_IDX.mat"):
        read_mars(tmp_path)
    make_mars(tmp_path)
    names = (tmp_path / "info" / "test_name.txt").read_text().split("\n")
    names[0] = "frame_0001.jpg"
    (tmp_path / "info" / "test_name.txt").write_text("\n".join(names))
    with pytest.raises(DatasetLayoutError, match=r"frame_0001\.jpg.*0001C1T0001F001\.jpg"):
        read_mars(tmp_path)
    names[0] = mars_name(9, 1, 1, 1)  # parsable but disagrees with the info table
    (tmp_path / "info" / "test_name.txt").write_text("\n".join(names))
    with pytest.raises(DatasetLayoutError, match="do not match"):
        read_mars(tmp_path)
