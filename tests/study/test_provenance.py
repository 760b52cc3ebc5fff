"""reidlib.study.provenance: the summary names the commits, CPU kinds and precisions that trained
the runs of its tables, and their training hours, counted by hand here."""
import json

import pandas as pd
import pytest

from reidlib.study.provenance import (cpu_kind, machine_kind, mixed_sources, provenance_lines, run_provenance,
                                     run_sources, session_source, study_provenance)
from reidlib.study.report import write_result

AVX2 = {"amx_bf16": False, "avx512": False, "cpu_capability": "AVX2", "precision": "fp32"}
AMX = {"amx_bf16": True, "avx512": True, "cpu_capability": "AVX512", "precision": "bf16"}


def make_run(root, rd, commit, machine, walls, precision=None, finished=True):
    folder = root / rd
    folder.mkdir(parents=True)
    env = {"device": "cpu", "git_commit": commit, "machine": machine,
           "format": {"device": "cpu", "precision": precision or machine["precision"]}}
    (folder / "env.json").write_text(json.dumps(env))
    head = "epoch,loss" + (",wall_s" if walls and walls[0] is not None else "")
    lines = [head] + [f"{i + 1},1.0" + ("" if w is None else f",{w}") for i, w in enumerate(walls)]
    (folder / "epochs.csv").write_text("\n".join(lines) + "\n")
    if finished:
        (folder / "metrics.json").write_text("{}")


def test_cpu_kind() -> None:
    assert cpu_kind(AVX2) == "AVX2" and cpu_kind(AMX) == "AVX-512 + AMX"
    assert cpu_kind({"avx512": True, "amx_bf16": False, "cpu_capability": "AVX512"}) == "AVX-512"
    assert cpu_kind({}) == "unknown"


def test_session_source_names_cuda_or_the_cpu_kind() -> None:
    gpu = {"git_commit": "abcdef0123", "device": "cuda:0", "machine": AVX2, "format": {"precision": "bf16"}}
    assert session_source(gpu) == ("abcdef0", "CUDA", "bf16")
    assert session_source({"device": "cpu", "machine": AMX, "format": {}}) == ("unknown", "AVX-512 + AMX", "bf16")
    assert session_source({}) == ("unknown", "unknown", "unknown")
    assert machine_kind({"device": "cpu", **AVX2}) == "AVX2"


def test_run_provenance_sums_wall_and_marks_old_runs_untimed(tmp_path) -> None:
    make_run(tmp_path, "mpm_ltl/a", "c800d4078b89", AVX2, [1.5, 2.5, 6.0])
    make_run(tmp_path, "mpm_ltl/b", "c800d4078b89", AVX2, [None, None], finished=False)
    a, b = run_provenance(tmp_path / "mpm_ltl/a"), run_provenance(tmp_path / "mpm_ltl/b")
    assert a == {"commit": "c800d40", "cpu": "AVX2", "precision": "fp32", "device": "cpu", "wall_s": 10.0,
                 "finished": True}
    assert b["wall_s"] is None and b["finished"] is False
    assert run_provenance(tmp_path / "nothing")["commit"] == "unknown"


def test_a_run_resumed_on_another_cpu_kind_or_commit_names_both(tmp_path) -> None:
    make_run(tmp_path, "maskreid/r", "bbbbbbb222", AMX, [1.0, 2.0])
    env_path = tmp_path / "maskreid/r/env.json"
    now = json.loads(env_path.read_text())
    first = {"device": "cpu", "git_commit": "aaaaaaa111", "machine": AVX2, "format": {"precision": "fp32"}}
    env_path.write_text(json.dumps({**now, "earlier": [first], "resumed_at_epoch": 1}))
    p = run_provenance(tmp_path / "maskreid/r")
    assert (p["commit"], p["cpu"], p["precision"]) == ("aaaaaaa + bbbbbbb", "mixed: AVX2 + AVX-512 + AMX",
                                                       "mixed: fp32 + bf16")
    same = {**now, "earlier": [dict(now)], "resumed_at_epoch": 1}   # resumed on the same machine and commit
    env_path.write_text(json.dumps(same))
    assert run_provenance(tmp_path / "maskreid/r") == {"commit": "bbbbbbb", "cpu": "AVX-512 + AMX",
                                                     "precision": "bf16", "device": "cpu", "wall_s": 3.0,
                                                     "finished": True}


def test_study_provenance_groups_runs_by_commit_cpu_and_precision(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    make_run(tmp_path, "mpm_ltl/a", "aaaaaaa111", AVX2, [1800.0, 1800.0])   # 1 h
    make_run(tmp_path, "mpm_ltl/b", "aaaaaaa111", AVX2, [None])             # untimed
    make_run(tmp_path, "mgcam/c", "bbbbbbb222", AMX, [900.0])               # 0.25 h
    table = pd.DataFrame({"row": ["x"]})
    # E2 uses a and b (a twice: two rows share a run), E1 uses a, c and a folder that is gone
    write_result("E2_x", "quick", "E2 — x", table,
                 tidy=pd.DataFrame({"run_dir": ["mpm_ltl/a", "mpm_ltl/a", "mpm_ltl/b"]}))
    write_result("E1_y", "quick", "E1 — y", table,
                 tidy=pd.DataFrame({"run_dir": ["mpm_ltl/a", "mgcam/c", "mgcam/gone"]}))
    got = study_provenance("quick").set_index("commit")
    assert got.loc["aaaaaaa", "runs"] == 2 and got.loc["aaaaaaa", "untimed"] == 1
    assert got.loc["aaaaaaa", "training_h"] == pytest.approx(1.0)
    assert got.loc["aaaaaaa", "notebooks"] == "E1_y, E2_x"                   # study order
    assert (got.loc["bbbbbbb", "cpu"], got.loc["bbbbbbb", "precision"]) == ("AVX-512 + AMX", "bf16")
    assert got.loc["bbbbbbb", "training_h"] == pytest.approx(0.25)
    assert got.loc["missing", "runs"] == 1
    text = "\n".join(provenance_lines("quick"))
    assert "4 run folder(s), trained by 2 code commit(s) (aaaaaaa, bbbbbbb)" in text
    assert "mixed" in text and "missing" in text
    # per result: E2's runs all come from aaaaaaa on AVX2 fp32, E1's from three commits and two kinds
    assert mixed_sources(run_sources("quick")) == {
        "E1_y": "runs from 3 commits (aaaaaaa, bbbbbbb, missing); "
                "runs on 3 CPU kinds / precisions (- -, AVX-512 + AMX bf16, AVX2 fp32)"}
    from reidlib.study.summary import StudyResult, write_summary

    summary = write_summary(StudyResult("quick")).read_text()
    assert "**1 of 2 results mix runs of several code commits or machines**" in summary
    assert "; **mixed**: runs from 3 commits (aaaaaaa, bbbbbbb, missing)" in summary


def test_one_kind_is_not_flagged_and_no_runs_says_so(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    assert "No result recorded its run folders." in provenance_lines("quick")
    make_run(tmp_path, "ide_rgbm/a", "aaaaaaa111", AVX2, [60.0])
    write_result("00_x", "quick", "00 — x", pd.DataFrame({"row": ["x"]}),
                 tidy=pd.DataFrame({"run_dir": ["ide_rgbm/a"]}))
    text = "\n".join(provenance_lines("quick"))
    assert "1 run folder(s), trained by 1 code commit(s) (aaaaaaa) on 1 kind(s) of machine and precision (AVX2 fp32)" in text
    assert "mixed" not in text and "missing" not in text
