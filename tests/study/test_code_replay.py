"""``python -m reidlib replay`` (reidlib/study/code_replay.py): which committed runs are sampled,
what the check record says, and the command end to end on a tiny run trained here."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from reidlib.__main__ import main
from reidlib.engine.experiment import run_experiment
from reidlib.engine.replay import Replay
from reidlib.study.code_replay import changed_since, replay_record, replay_sample

AVX2 = {"amx_bf16": False, "avx512": False, "cpu_capability": "AVX2", "torch": "2.14.1", "precision": "fp32"}
AVX512 = {"amx_bf16": False, "avx512": True, "cpu_capability": "AVX512", "torch": "2.14.1", "precision": "fp32"}


def _run(root: Path, rd: str, commit: str, machine: dict, cross: bool = False, first: str | None = None) -> None:
    folder = root / rd
    folder.mkdir(parents=True)
    env = {"git_commit": commit, "machine": machine, "format": {"precision": "fp32"}}
    if first:   # resumed: epoch 1 trained by another commit
        env["earlier"] = [{**env, "git_commit": first}]
    (folder / "env.json").write_text(json.dumps(env))
    (folder / "config.json").write_text(json.dumps({"adaptation": {}} if cross else {"experiment": rd.split("/")[0]}))


def test_one_run_per_commit_experiment_and_machine_kind(tmp_path, monkeypatch):
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    _run(tmp_path, "mscan/b", "aaaaaaa1", AVX512)
    _run(tmp_path, "mscan/a", "aaaaaaa1", AVX512)     # same group as mscan/b: a is first by id
    _run(tmp_path, "mscan/c", "aaaaaaa1", AVX2)       # another CPU kind: its own group
    _run(tmp_path, "mscan/d", "bbbbbbb2", AVX512)     # another commit
    _run(tmp_path, "mscan/e", "ccccccc3", AVX512, first="aaaaaaa1")   # epoch 1 by aaaaaaa: group of a
    _run(tmp_path, "maskreid/f", "aaaaaaa1", AVX512)  # another experiment
    _run(tmp_path, "cross_domain/g", "aaaaaaa1", AVX2, cross=True)
    (tmp_path / "quick/results/E9").mkdir(parents=True)
    (tmp_path / "quick/results/E9/runs.json").write_text(json.dumps(
        ["mscan/b", "mscan/a", "mscan/c", "mscan/d", "mscan/e", "maskreid/f", "cross_domain/g", "mscan/gone"]))
    _run(tmp_path, "semparts/h", "aaaaaaa1", AVX512)  # used by a partial record only
    (tmp_path / "quick/results/00/partial/k1").mkdir(parents=True)
    (tmp_path / "quick/results/00/partial/k1/runs.json").write_text(json.dumps(["semparts/h"]))
    todo, cross, unreadable = replay_sample("quick")
    assert sorted(todo) == ["maskreid/f", "mscan/a", "mscan/c", "mscan/d", "semparts/h"]
    assert cross == ["cross_domain/g"] and unreadable == ["mscan/gone"]


def _replay(run: str, commit: str, diff: str | None = None, kind: str = "AVX512") -> Replay:
    here = {"commit": "1234567", "cpu_capability": "AVX512", "amx_bf16": False, "torch": "2.14.1",
            "precision": "fp32", "torch_threads": 2}
    by = {**here, "commit": commit, "cpu_capability": kind}
    r = Replay(run, run.split("/")[-2], 2, by, here, ["loss"], 0.0 if diff is None else 1e-9, diff)
    if kind != "AVX512":   # what --profile does with another kind's run: listed, not trained
        r.mismatched_machine, r.replayed, r.max_abs_diff, r.columns = ["cpu_capability"], False, float("nan"), []
    return r


def test_the_record_counts_judged_replays_and_names_differences(monkeypatch):
    monkeypatch.setattr("reidlib.study.code_replay.changed_since",
                        lambda c: {"aaaaaaa": ["reidlib/engine/loop.py"], "bbbbbbb": []}.get(c))
    failed = Replay("runs/mscan/x", "mscan", 2, {"commit": "?"}, {}, error="KeyError: 'nosuch'")
    text = replay_record("quick", [_replay("runs/mscan/a", "aaaaaaa"), _replay("runs/mscan/c", "aaaaaaa", kind="AVX2"),
                                   _replay("runs/mscan/d", "bbbbbbb", "epoch 2 loss: recorded 1.0, replayed 1.1"),
                                   failed],
                         ["cross_domain/g"], 2, ["mscan/gone"])
    head = text.splitlines()[0]
    assert head.startswith("# Today's code (1234567) replays 1 of 3 sampled committed runs bit for bit")
    assert "1 trained on another machine kind are left to a machine of that kind" in head
    assert "| `mscan/c` | mscan | aaaaaaa | AVX2, fp32 | not comparable here (cpu_capability differ): not replayed | - |" in text
    assert ("**2 comparable replay(s) differ**: `mscan/d` (epoch 2 loss: recorded 1.0, replayed 1.1); "
            "`mscan/x` (KeyError: 'nosuch')") in text
    assert "| `mscan/x` | mscan | ? | unknown, None | fails: KeyError: 'nosuch' | - |" in text
    assert "Not replayed: 1 cross-domain run(s)" in text and "without config.json / env.json: `mscan/gone`" in text
    assert "| aaaaaaa | `engine/loop.py` |" in text and "| bbbbbbb | none |" in text
    assert "\n| ? |" not in text   # no "files changed since" row for a failed replay
    ok = replay_record("quick", [_replay("runs/mscan/a", "aaaaaaa")], [], 2)
    assert "**Every comparable replay is identical**" in ok


def test_the_command_replays_a_profile_and_writes_the_record(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    ov = {"profile.max_steps_per_epoch": 2, "profile.epochs": 2, "eval.protocols": ["sq"], "eval.extra_metrics": []}
    run_experiment("ide_rgb", "smoke", ov, seed=0, runs_root=tmp_path, quiet=True)
    (run_dir,) = [p.relative_to(tmp_path).as_posix() for p in (tmp_path / "ide_rgb").iterdir()]
    (tmp_path / "smoke/results/E1").mkdir(parents=True)
    (tmp_path / "smoke/results/E1/runs.json").write_text(json.dumps([run_dir]))
    assert main(["replay", "--profile", "smoke", "--epochs", "5", "--record"]) == 0   # a 2-epoch run: replayed whole
    assert f"{run_dir}: identical" in capsys.readouterr().out
    record = (tmp_path / "smoke/checks/code_replay/README.md").read_text()
    assert "replays 1 of 1 sampled committed runs bit for bit over their first 5 epochs" in record.splitlines()[0]
    assert main(["replay", str(tmp_path / run_dir), "--epochs", "1"]) == 0
    cfg_path = tmp_path / run_dir / "config.json"           # a config today's code rejects: a finding, exit 1
    cfg_path.write_text(json.dumps({**json.loads(cfg_path.read_text()), "model": {"name": "nosuch", "kwargs": {}}}))
    assert main(["replay", "--profile", "smoke", "--record"]) == 1
    assert "fails: KeyError" in (tmp_path / "smoke/checks/code_replay/README.md").read_text()


@pytest.mark.parametrize("argv,message", [(["replay"], "give run folders or --profile"),
                                          (["replay", "x/y", "--record"], "--record writes"),
                                          (["replay", "--profile", "nosuch"], "nosuch"),
                                          (["replay", "no/such/run"], "not run folders")])
def test_bad_command_lines_are_named(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_changed_since_lists_training_code_only(tmp_path, monkeypatch):
    import subprocess

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    for rel in ("reidlib/engine/loop.py", "reidlib/study/driver.py", "README.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("a = 1\n")
    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    monkeypatch.setattr("reidlib.paths.project_root", lambda *a: tmp_path)
    assert changed_since("HEAD") == []
    for rel in ("reidlib/engine/loop.py", "reidlib/study/driver.py", "README.md"):
        (tmp_path / rel).write_text("a = 2\n")
    assert changed_since("HEAD") == ["reidlib/engine/loop.py"]   # the study layer and docs train nothing
    assert changed_since("0" * 40) is None
