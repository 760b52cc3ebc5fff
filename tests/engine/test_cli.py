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
    assert main(["train", "--experiment", "ide_rgb", "--profile", "smoke", "--set", "data.nope=1", "--dry-run"]) == 2
    assert "error: unknown config key 'data.nope'; valid at this level" in capsys.readouterr().err


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


TRAIN = ["train", "--experiment", "ide", "--profile", "smoke", "--quiet", "--set", "profile.epochs=2"]


def _files(root):
    import hashlib

    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_train_says_where_its_run_is_and_logs_it(tmp_path, capsys, monkeypatch) -> None:
    """Issue 13 item 9: the run folder and new / resumed (from which epoch) / reused come first,
    train.log keeps what was printed, an interrupt ends with the command that resumes."""
    import json

    from reidlib.engine.loop import Trainer

    real_step, calls = Trainer._train_step, []

    def interrupt_in_epoch_2(self, *a, **k):
        calls.append(1)
        if self.epoch == 1:
            raise KeyboardInterrupt
        return real_step(self, *a, **k)

    monkeypatch.setattr(Trainer, "_train_step", interrupt_in_epoch_2)
    argv = TRAIN + ["--runs", str(tmp_path)]
    assert main(argv) == 130
    out, err = capsys.readouterr()
    run_dir = next((tmp_path / "ide").iterdir())
    assert out.startswith(f"run {run_dir}: new (2 epochs, 6 steps: id 2 epochs x 3 steps)")
    line = err.strip().splitlines()[-1]
    assert line == (f"interrupted: {run_dir} (its checkpoints/last.pt is kept); resume with: python -m reidlib "
                    f"train --experiment ide --profile smoke --set profile.epochs=2 --runs {tmp_path}")
    monkeypatch.setattr(Trainer, "_train_step", real_step)
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"run {run_dir}: resumed from checkpoints/last.pt at epoch 2/2")
    env = json.loads((run_dir / "env.json").read_text())
    assert env["machine"]["precision"] in ("fp32", "bf16") and env["machine"]["torch"]
    log = (run_dir / "train.log").read_text()
    assert "new (2 epochs" in log and line in log and "resumed from" in log
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith(f"run {run_dir}: reused (finished")
    assert (run_dir / "train.log").read_text() == log  # a finished run's record is never written on reuse
    assert (run_dir / "metrics.json").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    import os

    m = os.umask(0o022)
    os.umask(m)
    return m


def test_evaluate_best_without_best_pt_and_unfinished_runs(tmp_path, capsys) -> None:
    """Issue 13 item 7: no best.pt -> an error, no eval_best.json of last.pt; unfinished -> a warning."""
    assert main(TRAIN[:-2] + ["--set", "profile.epochs=1", "--runs", str(tmp_path)]) == 0
    run_dir = next((tmp_path / "ide").iterdir())
    (run_dir / "checkpoints" / "best.pt").unlink()
    (run_dir / "checkpoints" / "best.pt.sha256").unlink()
    before = _files(tmp_path)
    capsys.readouterr()
    assert main(["evaluate", str(run_dir), "--checkpoint", "best"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: run {run_dir} has no checkpoints/best.pt: best.pt is written by the evaluations")
    assert "use --checkpoint last" in err and "Traceback" not in err
    assert _files(tmp_path) == before  # no eval_best.json, nothing changed
    (run_dir / "metrics.json").unlink()
    assert main(["evaluate", str(run_dir)]) == 0
    err = capsys.readouterr().err
    assert f"warning: run {run_dir} is unfinished (no metrics.json): evaluating checkpoints/last.pt" in err
    assert (run_dir / "eval_last.json").is_file()
