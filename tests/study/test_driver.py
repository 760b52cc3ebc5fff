"""The study driver runs notebooks with papermill, continues past failures and writes the summary."""
from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from reidlib.study import driver, report


def _notebook(path, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "smoke"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))


def test_list_and_select_order(tmp_path) -> None:
    for stem in ["E10_x", "E2_y", "00_a", "explore", "E1_z"]:
        (tmp_path / f"{stem}.ipynb").write_text("{}")
    nbs = driver.list_notebooks(tmp_path)
    assert [p.stem for p in nbs] == ["00_a", "E1_z", "E2_y", "E10_x", "explore"]
    assert [p.stem for p in driver.select(nbs, "E2,E10")] == ["E2_y", "E10_x"]
    with pytest.raises(ValueError, match="E99.*valid"):
        driver.select(nbs, "E99")


def test_run_study_continues_past_failure(tmp_path, monkeypatch) -> None:
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    _notebook(nbdir / "E1_fail.ipynb", "raise RuntimeError('boom')")
    code = ("import pandas as pd\nfrom reidlib import paths\nfrom reidlib.study.report import write_result\n"
            "print(f'run {paths.runs_dir().resolve()}/mpm_ltl/ab12: reused')\n"
            "write_result('E2_ok', profile, 'E2 title', pd.DataFrame({'a': [1]}), verdict='holds')")
    _notebook(nbdir / "E2_ok.ipynb", code)
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setattr(driver.paths, "notebooks_dir", lambda: nbdir)
    res = driver.run_study("smoke")
    assert [r.name for r in res.failures] == ["E1_fail"]
    assert "boom" in res.failures[0].error
    executed = (tmp_path / "runs" / "smoke" / "notebooks" / "E2_ok.ipynb").read_text()
    assert "run runs/mpm_ltl/ab12: reused" in executed                  # the checkout's path left out
    assert str(tmp_path.resolve()) not in executed
    summary = (tmp_path / "runs" / "smoke" / "summary.md").read_text()
    assert "E2 title" in summary and "**Verdict:** holds" in summary and "FAILED" in summary
    assert report.read_results("smoke")[0]["experiment"] == "E2_ok"
    assert "| [E2 title](#e2-title) | holds |" in summary           # the verdict-at-a-glance table
    # written without a run_as record: the summary flags it, naming why
    assert "| holds | **stale**: recorded before results kept their profile's definition |" in summary
    assert "**1 of 1 results are not from the profile as now defined**" in summary
    assert summary.index("| E1_fail |") < summary.index("| E2_ok |")  # wall times in study order
    assert "**Convergence: not checked for this profile**" in summary  # no 00_convergence result
    from types import SimpleNamespace

    from reidlib.study.notebook import run_as

    report.write_result("00_convergence", "smoke", "00 — Convergence: T vs 2T", pd.DataFrame({"row": ["x"]}),
                        verdict="1 of 2 model families converged; not converged: ide.",
                        run_as=run_as(SimpleNamespace(profile="smoke", seeds=[5])))
    summary = driver.write_summary(driver.StudyResult("smoke")).read_text()
    line = next(ln for ln in summary.splitlines() if ln.startswith("**Convergence**"))
    # the seed subset is counted as partial, not as a result of an older definition
    assert "**1 of 2 results are partial**" in summary and "**1 of 2 results are not from the profile" in summary
    assert line.startswith("**Convergence** ([00_convergence](#00--convergence-t-vs-2t), **partial**: seeds [5] of")
    assert line.endswith(": 1 of 2 model families converged; not converged: ide.")
    assert summary.index(line) < summary.index("## Verdicts at a glance")
    # a check recorded beside the results is named (its heading, linked) before the verdicts
    check = tmp_path / "runs" / "smoke" / "checks" / "ide_3seeds"
    check.mkdir(parents=True)
    (check / "README.md").write_text("intro\n# IDE fails at 3 seeds (+2.4)\n\n## detail\n")
    summary = driver.write_summary(driver.StudyResult("smoke")).read_text()
    assert "- [IDE fails at 3 seeds (+2.4)](checks/ide_3seeds/README.md)" in summary
    assert summary.index("IDE fails at 3 seeds") < summary.index("## Verdicts at a glance")
    # checks are listed in natural order of their folders: 3seeds, 512, 1024
    for name in ("ide_1024", "ide_512"):
        (tmp_path / "runs" / "smoke" / "checks" / name).mkdir()
        (tmp_path / "runs" / "smoke" / "checks" / name / "README.md").write_text(f"# check {name}\n")
    summary = driver.write_summary(driver.StudyResult("smoke")).read_text()
    assert summary.index("IDE fails at 3") < summary.index("check ide_512") < summary.index("check ide_1024")
    # --summary-only rewrites the summary from the stored results and keeps the wall times
    from reidlib.__main__ import main

    (tmp_path / "runs" / "smoke" / "summary.md").unlink()
    assert main(["study", "--profile", "smoke", "--summary-only"]) == 0
    assert "FAILED" in (tmp_path / "runs" / "smoke" / "summary.md").read_text()


def test_params_reach_the_notebooks_that_have_them(tmp_path, monkeypatch, capsys) -> None:
    """``study --param seeds=[0,2]`` sets ``seeds`` in every chosen notebook whose parameters cell
    has it and runs the others as defined; a name no chosen notebook has, or a malformed
    ``--param``, stops it before anything runs."""
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    record = ("import json\nfrom reidlib import paths\n"
              "(paths.runs_dir() / (NAME + '.json')).write_text(json.dumps(seeds))\n")
    for name, params in (("E1_takes", 'profile = "smoke"  # profile\nseeds = None  # the seeds'),
                         ("E2_not", 'profile = "smoke"  # profile')):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell(params)
        cell.metadata["tags"] = ["parameters"]
        body = ("seeds = 'absent'\n" if name == "E2_not" else "") + f"NAME = {name!r}\n" + record
        nb.cells = [cell, nbformat.v4.new_code_cell(body)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, str(nbdir / f"{name}.ipynb"))
    runs = tmp_path / "runs"
    runs.mkdir()
    monkeypatch.setenv("REIDLIB_RUNS", str(runs))
    monkeypatch.setattr(driver.paths, "notebooks_dir", lambda: nbdir)
    assert driver.notebook_parameters(nbdir / "E1_takes.ipynb") == ["profile", "seeds"]
    res = driver.run_study("smoke", params=driver.parse_params(["seeds=[0, 2]"]))
    assert not res.failures
    assert (runs / "E1_takes.json").read_text() == "[0, 2]" and (runs / "E2_not.json").read_text() == '"absent"'
    assert "--param seeds: for E1_takes only" in capsys.readouterr().out
    assert driver.parse_params(['methods=["mpm"]', "dataset=market1501", "ecn=false"]) == {
        "methods": ["mpm"], "dataset": "market1501", "ecn": False}
    for bad, why in (("seeds", "NAME=VALUE"), ("=1", "NAME=VALUE"), ("profile=quick", "--profile")):
        with pytest.raises(ValueError, match=why):
            driver.parse_params([bad])
    with pytest.raises(ValueError, match="given twice"):
        driver.parse_params(["seeds=[0]", "seeds=[1]"])
    (runs / "E2_not.json").unlink()
    with pytest.raises(ValueError, match="none of .*E2_not.* has a parameter 'seeds'"):
        driver.run_study("smoke", "E2", params={"seeds": [0]})
    assert not (runs / "E2_not.json").exists()  # refused before anything ran
