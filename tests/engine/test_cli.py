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
