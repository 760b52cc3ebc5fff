"""reidlib.study.convergence: the T vs 2T rule on hand values, doubling, the learning curve."""
import json

import pandas as pd
import pytest

from reidlib.study.convergence import (FAMILY_ROWS, convergence_sentence, convergence_table, doubled,
                                       learning_curve)


def _tidy(values: dict) -> pd.DataFrame:
    return pd.DataFrame([{"row": r, "seed": i, "sq/mAP": v} for r, vs in values.items() for i, v in enumerate(vs)])


def test_rule_two_points_or_three_percent() -> None:
    short = _tidy({"a": [0.50, 0.52], "b": [0.80, 0.80], "c": [0.10, 0.12]})
    long = _tidy({"a": [0.515, 0.535], "b": [0.82, 0.83], "c": [0.30, 0.32]})
    t = convergence_table(short, long)
    # a: +1.5 pts < 2 -> converged; b: +2.5 pts but 2.5/80 = 3.1% -> not; c: +20 pts -> not
    assert t["gain (pts)"].tolist() == [1.5, 2.5, 20.0]
    assert t["verdict"].tolist() == ["converged", "not converged", "not converged"]
    long_b = _tidy({"a": [0.515, 0.535], "b": [0.823, 0.823], "c": [0.11, 0.13]})
    assert convergence_table(short, long_b)["verdict"].tolist() == ["converged", "converged", "converged"]
    assert convergence_sentence(t).startswith("1 of 3 model families converged")
    assert "not converged, so their rows' verdicts are about training length: b, c." in convergence_sentence(t)
    with pytest.raises(KeyError, match="no doubled run"):
        convergence_table(short, long[long["row"] != "c"])


def test_doubled_keeps_everything_but_the_epochs() -> None:
    d = doubled({"x": ("mpm_ltl", {"model.kwargs.parts": 3})}, 5)
    assert d == {"x": ("mpm_ltl", {"model.kwargs.parts": 3, "profile.epochs": 10})}
    assert set(FAMILY_ROWS) >= {"mpm (full MPM-LTL)", "mgcam (RGB-M)", "maskreid (MF, ranking)"}


def test_learning_curve_reads_epochs_csv(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    run = tmp_path / "ide" / "abc"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"profile": {"max_steps_per_epoch": 16}}))
    (run / "epochs.csv").write_text("epoch,loss,sq/mAP\n1,3.0,\n2,2.0,40.0\n3,1.5,\n4,1.0,55.0\n")
    c = learning_curve("ide/abc")
    assert c["epoch"].tolist() == [2, 4] and c["step"].tolist() == [32, 64]
    assert c["sq/mAP"].tolist() == pytest.approx([0.40, 0.55])
