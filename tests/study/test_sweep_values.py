"""A sweep is built from its values: an off-grid value runs end to end and stays a column."""
import json

import pytest

from reidlib.engine.experiment import resolve_config
from reidlib.engine.runs import config_hash
from reidlib.study.notebook import Notebook
from reidlib.study.notebook_params import ThresholdParams

FAST = {"profile.max_steps_per_epoch": 1, "profile.epochs": 1, "eval.protocols": ["sq"], "eval.extra_metrics": []}


def test_the_default_value_resolves_to_the_default_run() -> None:
    """No special case ``{} if t == 0.4`` is needed: setting a value to its default gives the same
    resolved config, hence the same run folder (E3's 0.4 is E2's row 7)."""
    assert config_hash(resolve_config("mpm_ltl", "smoke", {"model.kwargs.threshold": 0.4})) == \
        config_hash(resolve_config("mpm_ltl", "smoke", {}))
    ranking = {"losses.ranking.alpha": 0.15, "losses.ranking.lam": 2.0}
    assert config_hash(resolve_config("maskreid", "smoke", ranking)) == config_hash(resolve_config("maskreid", "smoke"))


def test_off_grid_threshold_runs_end_to_end(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    ns = {}
    nb = Notebook(ns, "E3_mask_threshold")
    ns.update(profile="smoke", overrides=FAST, thresholds=[0.45])
    params = nb.params(ThresholdParams, show_banner=False)
    rows = nb.sweep("threshold", params.thresholds, lambda t: ("mpm_ltl", {"model.kwargs.threshold": t}))
    assert list(rows) == ["threshold 0.45"]
    tidy = nb.run(rows)
    assert tidy["threshold"].tolist() == [0.45] and tidy["row"].tolist() == ["threshold 0.45"]
    cfg = json.loads((tmp_path / tidy.loc[0, "run_dir"] / "config.json").read_text())
    assert cfg["model"]["kwargs"]["threshold"] == 0.45
    assert 0.0 <= tidy.loc[0, "sq/mAP"] <= 1.0
    # train_s is the run's own time (its epochs.csv wall_s), also when the run is reused
    import csv

    with open(tmp_path / tidy.loc[0, "run_dir"] / "epochs.csv") as f:
        wall = sum(float(r["wall_s"]) for r in csv.DictReader(f))
    again = nb.run(rows)
    assert tidy.loc[0, "train_s"] == again.loc[0, "train_s"] == pytest.approx(wall, abs=0.051) and wall > 0
