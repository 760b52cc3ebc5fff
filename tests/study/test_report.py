"""reidlib.study.report: every number of results.csv traces to its run's config and metrics."""
import json

import pandas as pd

from reidlib.study.report import read_results, write_result


def test_runs_json_holds_each_runs_config_and_metrics(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    run = tmp_path / "mpm_ltl" / "abc123"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"experiment": "mpm_ltl", "seed": 0}))
    (run / "metrics.json").write_text(json.dumps({"sq": {"mAP": 12.5}}))
    tidy = pd.DataFrame({"row": ["a", "a", "b"], "seed": [0, 0, 1],
                         "run_dir": ["mpm_ltl/abc123", "mpm_ltl/abc123", "mpm_ltl/gone"]})
    out = write_result("E9_x", "smoke", "E9 — x", pd.DataFrame({"row": ["a"]}), verdict="holds", tidy=tidy)
    recs = json.loads((out / "runs.json").read_text())
    assert recs["mpm_ltl/abc123"] == {"config": {"experiment": "mpm_ltl", "seed": 0}, "metrics": {"sq": {"mAP": 12.5}}}
    assert recs["mpm_ltl/gone"] == {"config": None, "metrics": None}
    assert read_results("smoke")[0]["verdict"] == "holds"
