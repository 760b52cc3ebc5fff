"""The study's summary (``runs/<profile>/summary.md``): the profile line, withheld results, and
the convergence check pooled over every seed recorded so far."""
from __future__ import annotations

import pandas as pd

from reidlib.study import report
from reidlib.study import summary as summary_mod


def test_profile_line_names_each_family_length() -> None:
    from reidlib.engine.profiles import get_profile
    from reidlib.study.summary import _profile_line

    quick = get_profile("quick")
    per = ", ".join(f"{r} {e}" for r, e in quick.recipe_epochs.items())
    assert f"{quick.epochs} ({per}) epochs, at most 14 steps of 32 images" in _profile_line("quick")
    assert "2 epochs, at most 4 steps" in _profile_line("smoke")


def _record00(under, seed, t, t2, stale=False):
    """A 00 result (main or partial) of one row ``mr`` at ``seed``, T and 2T SQ mAP ``t`` / ``t2``;
    ``stale``: recorded at another profile definition (epochs 999)."""
    from types import SimpleNamespace

    from reidlib.study.notebook import run_as

    tidy = pd.DataFrame([{"row": "mr", "seed": seed, "length": n, "run_dir": f"mr/{seed}{n}", "sq/mAP": v}
                         for n, v in (("T", t), ("2T", t2))])
    now = run_as(SimpleNamespace(profile="smoke", seeds=[seed]))
    if stale:
        now = {**now, "definition": {**now["definition"], "epochs": 999}}
    report.write_result("00_convergence", "smoke", "00 — Convergence: T vs 2T", tidy, tidy=tidy,
                        verdict="1 of 1 model families converged.", under=under, run_as=now)


def test_summary_withholds_results_whose_profile_definition_changed(tmp_path, monkeypatch) -> None:
    """A result trained to an older definition of the profile (e.g. a length the convergence
    check no longer accepts) keeps its files but shows neither its table nor its verdict."""
    from types import SimpleNamespace

    from reidlib.study.notebook import run_as

    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path / "runs"))
    now = run_as(SimpleNamespace(profile="smoke", seeds=None))
    old = {**now, "definition": {**now["definition"], "epochs": 999}}
    report.write_result("E6_old", "smoke", "E6 — old length", pd.DataFrame({"row": ["ORIGTABLE"]}),
                        verdict="SOMEVERDICT", run_as=old)
    report.write_result("E7_now", "smoke", "E7 — current", pd.DataFrame({"row": ["NOWTABLE"]}),
                        verdict="NOWVERDICT", run_as=now)
    summary = summary_mod.write_summary(summary_mod.StudyResult("smoke")).read_text()
    assert "ORIGTABLE" not in summary and "SOMEVERDICT" not in summary
    assert "| [E6](#e6--old-length) | **withheld** | **stale**: the profile changed since: epochs 999 ->" in summary
    assert "**Withheld**: the profile changed since: epochs 999 ->" in summary
    assert "**1 of 2 results are withheld**" in summary
    assert "NOWTABLE" in summary and "NOWVERDICT" in summary
    assert report.read_results("smoke")[0]["verdict"] == "SOMEVERDICT"  # the stored result stays


def test_summary_shows_the_check_at_every_seed_its_partial_records_add(tmp_path, monkeypatch):
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path / "runs"))

    _record00("", 0, 0.78, 0.75)
    summary = summary_mod.write_summary(summary_mod.StudyResult("smoke")).read_text()
    assert "at every seed recorded so far" not in summary      # one record: its own line says it all
    _record00("partial/partial-1", 1, 0.71, 0.77)
    summary = summary_mod.write_summary(summary_mod.StudyResult("smoke")).read_text()
    line = next(ln for ln in summary.splitlines() if ln.startswith("**The check at every seed recorded so far**"))
    assert "`results/00_convergence/partial/partial-1`" in line and "Seeds added to the line above: mr: seed 1." in line
    assert line.endswith("1 of 1 model families converged (doubling the training gains < 2 mAP points or < 3%) "
                         "(mr by the mean only: a seed alone gains more than that).")
    table = summary[summary.index(line):].splitlines()[2:5]
    header, _, mr = ([c.strip() for c in ln.strip("|").split("|")] for ln in table)
    assert dict(zip(header, mr)) == {"row": "mr", "seeds": "2", "sq/mAP T": "74.5", "sq/mAP 2T": "76",
                                     "gain (pts)": "1.5", "gain per seed": "0: -3.00, 1: +6.00",
                                     "gain 95% CI": "-55.68 to +58.68",
                                     "CPU kind": "unknown", "verdict": "converged by the mean (seed 1 alone +6.00)"}
    assert summary.index(line) < summary.index("## Verdicts at a glance")
    # the glance table's 00 row: its own record's verdict, then the check at every seed
    glance = next(ln for ln in summary.splitlines() if ln.startswith("| [00](#"))
    assert glance.startswith("| [00](#00--convergence-t-vs-2t) | This record: 1 of 1 model families converged. "
                             "**At every seed recorded so far**: 1 of 1 model families converged (doubling")


def test_pooled_check_says_when_00s_own_record_is_stale(tmp_path, monkeypatch):
    """A stale main record is left out of the pooling: the paragraph then says its seeds are not
    "added" to the line above (that line is not this check) and names the record as not pooled."""
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path / "runs"))

    _record00("", 0, 0.78, 0.75, stale=True)
    _record00("partial/partial-1", 1, 0.71, 0.72)
    summary = summary_mod.write_summary(summary_mod.StudyResult("smoke")).read_text()
    line = next(ln for ln in summary.splitlines() if ln.startswith("**The check at every seed recorded so far**"))
    assert "Seeds added to the line above" not in line
    assert "00's own record is not pooled" in line and "the seeds here: mr: seed 1." in line
    assert "Not pooled: `results/00_convergence` (stale: the profile changed since: epochs 999 ->" in summary
    glance = next(ln for ln in summary.splitlines() if ln.startswith("| [00](#"))
    assert "| This record (not pooled): 1 of 1 model families converged. **At every seed recorded so far**: " in glance
