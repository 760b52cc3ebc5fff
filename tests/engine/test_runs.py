"""Run folders: hashing, same config -> same folder, conflicts never overwrite."""
from __future__ import annotations

import json

import pytest

from reidlib.engine.runs import (config_hash, load_run, open_run, read_csv, read_json, run_id, write_csv,
                                 write_json)


def test_hash_is_order_independent_and_sensitive():
    a = {"lr": 0.1, "model": {"name": "x", "k": 6}}
    b = {"model": {"k": 6, "name": "x"}, "lr": 0.1}
    assert config_hash(a) == config_hash(b) != config_hash({**a, "lr": 0.2})
    with pytest.raises(TypeError, match="plain JSON"):
        config_hash({"f": object()})


def test_open_run_states_and_conflicts(tmp_path):
    cfg = {"seed": 0, "size": (8, 4)}
    r1 = open_run(tmp_path, "exp", cfg)
    assert r1.state == "new" and read_json(r1.dir / "config.json") == {"seed": 0, "size": [8, 4]}
    assert open_run(tmp_path, "exp", cfg).dir == r1.dir
    assert open_run(tmp_path, "exp", {"seed": 1}).dir != r1.dir
    r1.last.parent.mkdir()
    r1.last.write_bytes(b"x")
    assert r1.state == "resumable"
    r1.write_metrics({"sq": {"mAP": 1.0}})
    assert r1.state == "finished" and load_run(r1.dir).metrics() == {"sq": {"mAP": 1.0}}
    # a folder whose config.json was changed by hand is never reused or overwritten
    write_json(r1.dir / "config.json", {"seed": 99})
    r2 = open_run(tmp_path, "exp", cfg)
    assert r2.run_id == r1.run_id + "-2" and read_json(r1.dir / "config.json") == {"seed": 99}
    with pytest.raises(ValueError, match="plain folder name"):
        open_run(tmp_path, "../x", cfg)
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        load_run(tmp_path)


def test_profiles_share_runs_that_train_the_same(tmp_path):
    """The quick and full profiles differ in name and seed list only: one folder per run."""
    from reidlib.engine.experiment import resolve_config

    quick = resolve_config("ide", "quick", None, 1)
    full = resolve_config("ide", "full", None, 1)
    assert quick["profile"]["name"] != full["profile"]["name"] and quick["profile"]["seeds"] != full["profile"]["seeds"]
    assert run_id(quick) == run_id(full) and config_hash(quick) != config_hash(full)
    r = open_run(tmp_path, "ide", quick)
    r.write_metrics({"sq": {"mAP": 1.0}})
    shared = open_run(tmp_path, "ide", full)
    assert shared.dir == r.dir and shared.state == "finished"
    assert read_json(r.dir / "config.json")["profile"]["name"] == "quick"   # as created, not rewritten
    # anything that changes training is another run: seed, epochs, precision, data. The profiles'
    # precision "auto" resolves per machine (bf16 on AVX-512, fp32 on AVX2): force the other one
    other_precision = "fp32" if quick["profile"]["precision"] == "bf16" else "bf16"
    for other in (resolve_config("ide", "full", None, 2), resolve_config("ide", "full", {"profile.epochs": 3}, 1),
                  resolve_config("ide", "full", {"profile.precision": other_precision}, 1),
                  resolve_config("ide", "full", {"profile.data_preset": "quick"}, 1)):
        assert open_run(tmp_path, "ide", other, create=False).dir != r.dir


def test_csv_union_columns_and_env(tmp_path):
    write_csv(tmp_path / "e.csv", [{"epoch": 1, "loss": 2.0}, {"epoch": 2, "loss": 1.0, "mAP": 5}])
    rows = read_csv(tmp_path / "e.csv")
    assert rows == [{"epoch": "1", "loss": "2.0", "mAP": ""}, {"epoch": "2", "loss": "1.0", "mAP": "5"}]
    r = open_run(tmp_path, "exp", {"a": 1})
    r.write_env(seed=4, device="cpu")
    env = json.loads((r.dir / "env.json").read_text())
    assert env["seed"] == 4 and env["packages"]["torch"] and "git_commit" in env
    assert not list(tmp_path.rglob("*.tmp*"))
    r.write_env(seed=4, device="cpu", resumed_at=3)   # a resume keeps every earlier session, oldest first
    r.write_env(seed=4, device="cpu", resumed_at=7)
    env = json.loads((r.dir / "env.json").read_text())
    assert env["resumed_at_epoch"] == 7 and [e.get("resumed_at_epoch") for e in env["earlier"]] == [None, 3]
    assert all("earlier" not in e for e in env["earlier"])
    r.write_env(seed=4, device="cpu")                  # a new run starts a new record
    assert "earlier" not in json.loads((r.dir / "env.json").read_text())


def test_evaluation_spacing_is_the_same_run(tmp_path):
    """eval_every changes no training (tests/engine/test_loop.py): a run with a learning curve
    is the run without one, and the ids of runs evaluated at the end only do not move."""
    from reidlib.engine.experiment import resolve_config

    plain = resolve_config("ide", "quick", None, 0)
    curve = resolve_config("ide", "quick", {"profile.eval_every": 64}, 0)
    assert plain["profile"]["eval_every"] == 0 and config_hash(plain) != config_hash(curve)
    assert run_id(plain) == run_id(curve) == config_hash(
        {**plain, "profile": {k: v for k, v in plain["profile"].items() if k not in ("name", "seeds",
                                                                                     "checkpoint_every", "num_workers")}})
    r = open_run(tmp_path, "ide", curve)
    r.write_metrics({"sq": {"mAP": 1.0}})
    shared = open_run(tmp_path, "ide", plain)
    assert shared.dir == r.dir and shared.state == "finished"
    assert read_json(r.dir / "config.json")["profile"]["eval_every"] == 64   # as created
    assert open_run(tmp_path, "ide", resolve_config("ide", "quick", {"profile.epochs": 3}, 0), create=False).dir != r.dir


def test_git_runs_in_a_checkout_and_answers_none_outside(tmp_path, monkeypatch):
    import subprocess

    from reidlib.engine.runs import git, git_commit

    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))  # a checkout above tmp_path is not found

    assert git("rev-parse", "--show-toplevel", cwd=tmp_path) is None  # not a checkout
    assert git_commit(tmp_path) is None
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert git("status", "--porcelain", cwd=tmp_path) == ""  # empty checkout: clean, not None
    (tmp_path / "a.txt").write_text("x")
    assert git("status", "--porcelain", cwd=tmp_path) == "?? a.txt"
    subprocess.run(["git", "-C", str(tmp_path), "add", "a.txt"], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a"],
                   check=True)
    (tmp_path / "a.txt").write_text("y")
    assert git("status", "--porcelain", cwd=tmp_path) == " M a.txt"   # the leading status column kept
    assert len(git_commit(tmp_path)) == 40
    assert git("no-such-subcommand", cwd=tmp_path) is None


def test_session_record_flattens_a_top_level_or_earlier_entry():
    from reidlib.engine.runs import session_record

    env = {"git_commit": "0123456789abcdef", "device": "cuda:0",
           "machine": {"cpu_capability": "AVX512", "amx_bf16": False, "avx512": True, "torch": "2.14.1",
                       "torch_threads": 2, "hostname": "ignored"},
           "format": {"precision": "bf16"}}
    assert session_record(env) == {"commit": "0123456", "device": "cuda", "cpu_capability": "AVX512",
                                   "amx_bf16": False, "avx512": True, "torch": "2.14.1", "torch_threads": 2,
                                   "precision": "bf16"}
    old = session_record({"format": {"device": "cpu"}, "machine": {"precision": "fp32"}})
    assert old["commit"] == "unknown" and old["device"] == "cpu" and old["precision"] == "fp32"
    assert old["torch_threads"] is None and old["cpu_capability"] is None
