"""SynthReID folders read through the Market-style parser with their own camera count."""
import pytest

from reidlib.data.base import DatasetLayoutError
from reidlib.data.market import read_market1501
from reidlib.data.readers import build_dataset
from reidlib.data.synth import ensure_synth


def test_duke_style_reads_with_eight_cameras(tmp_path) -> None:
    root = ensure_synth("smoke", "duke", seed=0, cache_dir=tmp_path)
    ds = build_dataset("synthreid", root)
    assert {r["camid"] for r in ds.train + ds.query + ds.gallery} <= set(range(8))
    assert max(r["camid"] for r in ds.gallery) >= 6  # cameras 7-8 exist
    assert ds.meta["synth"]["num_cameras"] == 8
    with pytest.raises(Exception, match="camera|c7|c8"):
        read_market1501(root)  # the real Market reader rejects Market names with camera 7


def test_not_a_synth_folder(tmp_path) -> None:
    with pytest.raises(DatasetLayoutError, match="meta.json"):
        build_dataset("synthreid", tmp_path)
