"""Replaying a recorded run's first epochs (reidlib/engine/replay.py): the same code and machine
give the recorded floats back exactly; a changed value, another machine kind or bad input is named."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
import torch

from reidlib.engine.experiment import run_experiment
from reidlib.engine.replay import replay_run

OV = {"profile.max_steps_per_epoch": 2, "profile.epochs": 3, "eval.protocols": ["sq"], "eval.extra_metrics": []}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    run_experiment("ide_rgb", "smoke", OV, seed=3, runs_root=root, quiet=True)
    (run_dir,) = list((root / "ide_rgb").iterdir())
    return run_dir


def _copy(run_dir: Path, to: Path) -> Path:
    dst = to / "ide_rgb" / run_dir.name
    dst.mkdir(parents=True)
    for name in ("config.json", "env.json", "epochs.csv"):
        (dst / name).write_bytes((run_dir / name).read_bytes())
    return dst


def test_same_code_same_machine_replays_bit_for_bit(recorded):
    before = {p: p.read_bytes() for p in recorded.rglob("*") if p.is_file()}
    threads = torch.get_num_threads()
    r = replay_run(recorded, epochs=2)
    assert r.comparable and r.identical and r.verdict == "identical"
    assert r.max_abs_diff == 0.0 and r.first_difference is None
    assert "loss" in r.columns and any(c.startswith("lr/") for c in r.columns)
    assert r.trained_by["commit"] == r.here["commit"].removesuffix("+dirty")
    assert {p: p.read_bytes() for p in recorded.rglob("*") if p.is_file()} == before  # nothing written
    assert replay_run(recorded, epochs=3).identical      # the whole run (its evaluation is not replayed)
    assert torch.get_num_threads() == threads


def _edit_csv(run_dir: Path, edit) -> None:
    with open(run_dir / "epochs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    rows = edit(rows)
    with open(run_dir / "epochs.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_a_changed_lr_or_a_column_only_today_are_differences(recorded, tmp_path):
    run_dir = _copy(recorded, tmp_path)
    lr = next(c for c in replay_run(recorded, epochs=1).columns if c.startswith("lr/"))
    _edit_csv(run_dir, lambda rows: [{**r, lr: repr(float(r[lr]) * 2)} for r in rows])
    r = replay_run(run_dir, epochs=1)
    assert not r.identical and r.first_difference.startswith(f"epoch 1 {lr}:")
    run_dir = _copy(recorded, tmp_path / "b")
    _edit_csv(run_dir, lambda rows: [{k: v for k, v in r.items() if k != "loss"} for r in rows])  # recorded lacks it
    r = replay_run(run_dir, epochs=1)
    assert "loss" in r.columns and r.first_difference.startswith("epoch 1 loss: recorded None")
    assert r.max_abs_diff == math.inf


def test_a_changed_loss_is_found_and_located(recorded, tmp_path):
    run_dir = _copy(recorded, tmp_path)
    with open(run_dir / "epochs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    true_loss = float(rows[1]["loss"])
    _edit_csv(run_dir, lambda rs: [rs[0], {**rs[1], "loss": repr(true_loss + 1e-12)}, *rs[2:]])  # epoch 2 only
    r = replay_run(run_dir, epochs=2)
    assert r.comparable and not r.identical and r.verdict == "differs"
    assert r.first_difference.startswith("epoch 2 loss:")
    assert r.max_abs_diff == pytest.approx(abs((true_loss + 1e-12) - true_loss))
    assert replay_run(run_dir, epochs=1).identical   # epoch 1 was left as recorded


def test_another_machine_kind_is_reported_not_judged(recorded, tmp_path):
    run_dir = _copy(recorded, tmp_path)
    env = json.loads((run_dir / "env.json").read_text())
    first = {**env, "git_commit": "0123456789abcdef", "machine": {**env["machine"], "cpu_capability": "OTHER"}}
    env["earlier"], env["resumed_at_epoch"] = [first], 1   # epoch 1 trained elsewhere, resumed here
    (run_dir / "env.json").write_text(json.dumps(env))
    r = replay_run(run_dir, epochs=2)
    assert not r.comparable and r.mismatched_machine == ["cpu_capability"]
    assert r.trained_by["commit"].startswith("0123456 + ")   # both sessions trained the compared epochs
    assert r.verdict == "not comparable here (cpu_capability differ)" and r.replayed
    assert replay_run(run_dir, epochs=1).comparable is False   # epoch 1 was trained elsewhere
    skipped = replay_run(run_dir, epochs=2, skip_incomparable=True)   # nothing trained
    assert not skipped.replayed and skipped.columns == [] and math.isnan(skipped.max_abs_diff)
    assert skipped.verdict == "not comparable here (cpu_capability differ): not replayed"


def test_a_session_resumed_inside_the_compared_epochs_counts(recorded, tmp_path):
    run_dir = _copy(recorded, tmp_path)
    env = json.loads((run_dir / "env.json").read_text())
    later = {**env, "device": "cuda", "git_commit": "fedcba9876", "resumed_at_epoch": 1, "earlier": [env]}
    (run_dir / "env.json").write_text(json.dumps(later))   # epoch 1 here, epoch 2 on a GPU
    assert replay_run(run_dir, epochs=1).comparable        # epoch 1 only: the first session's
    r = replay_run(run_dir, epochs=2, skip_incomparable=True)
    assert r.mismatched_machine == ["device"] and not r.replayed
    assert r.trained_by["commit"].endswith(" + fedcba9")
    env["machine"] = {k: v for k, v in env["machine"].items() if k != "torch_threads"}
    (run_dir / "env.json").write_text(json.dumps(env))     # a record without its thread count
    assert replay_run(run_dir, epochs=1, skip_incomparable=True).mismatched_machine == ["torch_threads"]


def test_bad_input_is_named_before_training(recorded, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        replay_run(tmp_path / "nosuch")
    with pytest.raises(ValueError, match="more than run .* 3 epochs: replay 3 or fewer"):
        replay_run(recorded, epochs=4)
    with pytest.raises(ValueError, match="integer >= 1"):
        replay_run(recorded, epochs=0)
    run_dir = _copy(recorded, tmp_path)
    (run_dir / "env.json").unlink()
    with pytest.raises(FileNotFoundError, match="no env.json"):
        replay_run(run_dir, epochs=1)
    cfg = json.loads((recorded / "config.json").read_text())
    other = tmp_path / "cross_domain" / "abc"
    other.mkdir(parents=True)
    (other / "config.json").write_text(json.dumps({**cfg, "adaptation": {}}))
    with pytest.raises(ValueError, match="cross-domain"):
        replay_run(other, epochs=1)
