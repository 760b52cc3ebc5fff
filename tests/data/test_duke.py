"""Tests of the DukeMTMC-reID reader (shares the Market-style parser)."""
from __future__ import annotations

import pytest
from fixtures import DUKE, MARKET, make_market_style

from reidlib.data.base import DatasetLayoutError
from reidlib.data.duke import read_dukemtmcreid


def test_duke_pids_camids(tmp_path):
    make_market_style(tmp_path, DUKE, junk_file=False)
    ds = read_dukemtmcreid(tmp_path)
    for split, folder in (("train", "bounding_box_train"), ("query", "query"),
                          ("gallery", "bounding_box_test")):
        expected = sorted((str(tmp_path / folder / n), int(n[:4]), int(n.split("_")[1][1:]) - 1)
                          for n in DUKE[folder])
        got = sorted((r["path"], r["pid"], r["camid"]) for r in ds.splits()[split])
        assert got == expected
    assert {r["camid"] for r in ds.train} == {1, 7, 4}  # c2, c8, c5
    assert ds.meta["num_cams"] == 8 and ds.name == "dukemtmcreid"
    assert ds.train[0]["mask_path"] is not None  # mask mirror


def test_duke_rejects_market_names(tmp_path):
    make_market_style(tmp_path, MARKET)
    with pytest.raises(DatasetLayoutError, match=r"0001_c2_f0046182\.jpg"):
        read_dukemtmcreid(tmp_path)
