"""Tests of the dataset registry and build_dataset."""
from __future__ import annotations

import pytest
from fixtures import make_cuhk01

from reidlib.data import readers
from reidlib.data.base import DatasetLayoutError


def test_registry_names():
    assert set(readers.DATASETS) == set(readers.DEFAULT_FOLDERS) == {
        "market1501", "dukemtmcreid", "cuhk03", "mars", "cuhk01", "viper", "synthreid"}


def test_unknown_name_lists_valid():
    with pytest.raises(KeyError, match="cuhk01, cuhk03, dukemtmcreid, market1501, mars, synthreid, viper"):
        readers.build_dataset("msmt17")


def test_default_root_from_env(tmp_path, monkeypatch):
    make_cuhk01(tmp_path / "cuhk01", num_ids=4)
    monkeypatch.setenv("REIDLIB_DATA", str(tmp_path))
    ds = readers.build_dataset("CUHK01", split="2/2", seed=0)
    assert ds.root == str(tmp_path / "cuhk01") and len(ds.train) == 8
    with pytest.raises(DatasetLayoutError, match="Market-1501-v15.09.15"):
        readers.build_dataset("market1501")
