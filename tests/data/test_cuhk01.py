"""Tests of the CUHK01 reader and the seeded two-camera identity split."""
from __future__ import annotations

import pytest
from fixtures import make_cuhk01, write_image

from reidlib.data.base import DatasetLayoutError
from reidlib.data.cuhk01 import parse_split, read_cuhk01


def test_cuhk01_parse_and_split(tmp_path):
    names = make_cuhk01(tmp_path, num_ids=10)
    ds = read_cuhk01(tmp_path, split="6/4", seed=3)
    allr = ds.train + ds.query + ds.gallery
    expected = sorted((str(tmp_path / "campus" / n), int(n[:4]), 0 if int(n[4:7]) <= 2 else 1)
                      for n in names)
    assert sorted((r["path"], r["pid"], r["camid"]) for r in allr) == expected
    train_ids, test_ids = {r["pid"] for r in ds.train}, {r["pid"] for r in ds.query}
    assert len(train_ids) == 6 and len(test_ids) == 4 and not train_ids & test_ids
    assert {r["pid"] for r in ds.gallery} == test_ids
    assert {r["camid"] for r in ds.query} == {0} and {r["camid"] for r in ds.gallery} == {1}
    assert len(ds.train) == 6 * 4 and len(ds.query) == 4 * 2 and len(ds.gallery) == 4 * 2
    assert [r["split"] for r in ds.query] == ["query"] * 8


def test_cuhk01_seed_determinism_and_query_cam(tmp_path):
    make_cuhk01(tmp_path, num_ids=10)
    a = read_cuhk01(tmp_path, split="5/5", seed=1)
    b = read_cuhk01(tmp_path, split="5/5", seed=1)
    assert [r["path"] for r in a.query] == [r["path"] for r in b.query]
    tests = {frozenset(r["pid"] for r in read_cuhk01(tmp_path, split="5/5", seed=s).query)
             for s in range(6)}
    assert len(tests) > 1  # seeds change the split
    c = read_cuhk01(tmp_path, split="5/5", seed=1, query_cam=1)
    assert {r["camid"] for r in c.query} == {1}
    assert {r["pid"] for r in c.query} == {r["pid"] for r in a.query}


def test_cuhk01_errors(tmp_path):
    with pytest.raises(DatasetLayoutError, match="campus"):
        read_cuhk01(tmp_path)
    make_cuhk01(tmp_path, num_ids=4)
    with pytest.raises(ValueError, match="485/486.*data has 4"):
        read_cuhk01(tmp_path)
    with pytest.raises(ValueError, match="train_ids/test_ids"):
        parse_split("half", 4)
    write_image(tmp_path / "campus" / "person1.png")
    with pytest.raises(DatasetLayoutError, match=r"person1\.png.*PPPPIII"):
        read_cuhk01(tmp_path, split="2/2")


@pytest.mark.realdata
def test_real_cuhk01(cuhk01_root):
    for split, (n_tr, n_te) in (("485/486", (485, 486)), ("871/100", (871, 100))):
        ds = read_cuhk01(cuhk01_root, split=split, seed=0)
        allr = ds.train + ds.query + ds.gallery
        assert len({r["pid"] for r in allr}) == 971
        assert len(allr) == 3884
        assert {r["camid"] for r in allr} == {0, 1}
        assert ds.num_train_pids == n_tr and len({r["pid"] for r in ds.query}) == n_te
        assert len(ds.train) == 4 * n_tr and len(ds.query) == len(ds.gallery) == 2 * n_te


def test_cuhk01_ids_subset(tmp_path):
    make_cuhk01(tmp_path, num_ids=10)
    full = read_cuhk01(tmp_path, split="6/4")
    ds = read_cuhk01(tmp_path, split="3/3", ids=6)
    pids = sorted({r["pid"] for r in full.train + full.query})
    assert {r["pid"] for r in ds.train + ds.query + ds.gallery} == set(pids[:6])
    assert len({r["pid"] for r in ds.train}) == 3 and len(ds.query) == len(ds.gallery) == 3 * 2
    assert ds.meta["ids"] == 6
    with pytest.raises(ValueError, match="ids=20 but"):
        read_cuhk01(tmp_path, split="10/10", ids=20)
    with pytest.raises(ValueError, match="needs 10 ids.*data has 6"):
        read_cuhk01(tmp_path, split="5/5", ids=6)
    with pytest.raises(ValueError, match="ids must be an int"):
        read_cuhk01(tmp_path, split="1/1", ids=1)
