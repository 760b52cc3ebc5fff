"""Command line: help lists experiments/profiles; bad names are errors listing valid ones."""
from __future__ import annotations

import pytest

from reidlib.__main__ import build_parser, main


def test_help_lists_experiments_and_profiles(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    out = capsys.readouterr().out
    assert "ide_rgb" in out and "smoke" in out and "paper" in out


def test_unknown_experiment_and_key(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--experiment", "nope"])
    assert "ide_rgb" in capsys.readouterr().err
    with pytest.raises(KeyError, match="valid at this level"):
        main(["train", "--experiment", "ide_rgb", "--profile", "smoke", "--set", "data.nope=1", "--dry-run"])


def test_dry_run_prints_resolved_config(capsys):
    assert main(["train", "--experiment", "ide_rgb", "--profile", "smoke", "--set", "profile.epochs=1",
                 "--dry-run"]) == 0
    assert '"epochs": 1' in capsys.readouterr().out


def test_evaluate_command_with_rerank(tmp_path, capsys) -> None:
    """`python -m reidlib evaluate RUN_DIR --rerank` adds re-ranked protocols and writes eval_*.json."""
    import json

    from reidlib.__main__ import main

    assert main(["train", "--experiment", "ide", "--profile", "smoke", "--runs", str(tmp_path), "--quiet",
                 "--set", "profile.epochs=1"]) == 0
    run_dir = next((tmp_path / "ide").iterdir())
    capsys.readouterr()
    assert main(["evaluate", str(run_dir), "--rerank"]) == 0
    res = json.loads((run_dir / "eval_last_rr.json").read_text())
    assert "sq" in res and "sq+rr" in res
    assert 0.0 <= res["sq+rr"]["mAP"] <= 100.0
