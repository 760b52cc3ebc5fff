"""reidlib.study.currency: a stored result is current, partial or stale against the profile's
definition and recipes now; every "why" compared with the text written by hand."""
import json

import pandas as pd

from reidlib.engine.profiles import get_profile
from reidlib.study.currency import RECIPE_CHANGED, WITHHELD, recipe_drift, result_currency
from reidlib.study.notebook import run_as
from reidlib.study.report import write_result


def test_result_currency_tells_current_partial_and_stale(tmp_path, monkeypatch) -> None:
    from types import SimpleNamespace

    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    table = pd.DataFrame({"row": ["x"]})
    now = get_profile("quick").to_dict()
    older = {**now, "epochs": 5, "max_steps_per_epoch": 16, "seeds": [0, 1]}
    write_result("E1_now", "quick", "E1 — now", table, run_as=run_as(SimpleNamespace(profile="quick", seeds=None)))
    write_result("E2_seed0", "quick", "E2 — s", table,
                 run_as=run_as(SimpleNamespace(profile="quick", seeds=[0], overrides={})))
    write_result("E3_over", "quick", "E3 — o", table,
                 run_as=run_as(SimpleNamespace(profile="quick", seeds=None, overrides={"profile.epochs": 3})))
    write_result("E4_old", "quick", "E4 — old", table, run_as={"definition": older, "seeds": [0, 1], "overrides": {}})
    write_result("E5_none", "quick", "E5 — none", table)
    write_result("E6_real", "quick", "E6 — real", table,
                 run_as=run_as(SimpleNamespace(profile="quick", seeds=None, dataset="market1501")))
    from reidlib.study.notebook_params import ConvergenceParams

    write_result("E7_subset", "quick", "E7 — families", table,
                 run_as=run_as(ConvergenceParams(profile="quick", families=["mpm (full MPM-LTL)"], ecn=False)))
    write_result("E8_defaults", "quick", "E8 — defaults", table, run_as=run_as(ConvergenceParams(profile="quick")))
    got = result_currency("quick").set_index("experiment")
    assert got.loc["E7_subset", "status"] == "partial"
    assert got.loc["E7_subset", "why"] == "parameters ecn=False, families=['mpm (full MPM-LTL)']"
    assert got.loc["E8_defaults", "status"] == "current" and got.loc["E8_defaults", "why"] == ""
    assert got.loc["E1_now", "status"] == "current" and got.loc["E1_now", "why"] == ""
    assert got.loc["E2_seed0", "status"] == "partial"
    assert got.loc["E2_seed0", "why"] == f"seeds [0] of the profile's {now['seeds']}"
    assert got.loc["E3_over", "status"] == "partial" and "profile.epochs" in got.loc["E3_over", "why"]
    assert got.loc["E4_old", "status"] == "stale"
    why = got.loc["E4_old", "why"]  # every changed field, old -> new, in name order; nothing else
    assert why == (f"the profile changed since: epochs 5 -> {now['epochs']!r}; max_steps_per_epoch 16 -> "
                   f"{now['max_steps_per_epoch']!r}; seeds [0, 1] -> {now['seeds']!r}")
    assert got.loc["E5_none", "status"] == "stale" and "recorded before" in got.loc["E5_none", "why"]
    assert got.loc["E6_real", "status"] == "partial"
    assert got.loc["E6_real", "why"] == "data set market1501, not the profile's SynthReID"
    assert run_as(SimpleNamespace(profile="no-such-profile")) is None


def test_result_currency_counts_only_the_lengths_of_its_own_recipes(tmp_path, monkeypatch) -> None:
    """Moving one family's length (``recipe_epochs``) makes stale only the results whose runs
    trained that recipe; a result whose recipes cannot be told compares every length."""
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    table = pd.DataFrame({"row": ["x"]})
    now = get_profile("quick").to_dict()
    per_now = now["recipe_epochs"]
    per_was = {**per_now, "maskreid": per_now["maskreid"] + 7}  # only MaskReID's length moved
    was = {**now, "recipe_epochs": per_was}
    runs = {"mpm": {"mpm_ltl/a": {"config": {"recipe": {"name": "mpm_ltl"}}}},
            "mr": {"maskreid/b": {"config": {"recipe": {"name": "maskreid"}}},
                   "mpm_ltl/a": {"config": {"recipe": {"name": "mpm_ltl"}}}},
            "ecn": {"cross_domain/c": {"config": {}}},  # the cross-domain trainer: its folder names it (length: epochs)
            "none": {},  # trains nothing (masks scoring)
            "odd": {"someone/d": {"config": {}}}}  # not a recipe: every length counts
    for name, rj in runs.items():
        write_result(f"E_{name}", "quick", name, table, run_as={"definition": was, "seeds": now["seeds"],
                                                               "overrides": {}})
        (tmp_path / "quick" / "results" / f"E_{name}" / "runs.json").write_text(json.dumps(rj))
    write_result("E_norecord", "quick", "no runs.json", table,
                 run_as={"definition": was, "seeds": now["seeds"], "overrides": {}})
    write_result("E_scores", "quick", "a table without runs", table, tidy=pd.DataFrame({"iou": [0.7]}),
                 run_as={"definition": was, "seeds": now["seeds"], "overrides": {}})
    got = result_currency("quick").set_index("experiment")
    for name in ("mpm", "ecn", "none", "scores"):
        assert got.loc[f"E_{name}", "status"] == "current", name
    assert got.loc["E_mr", "status"] == "stale"
    m, p = per_now["maskreid"], per_now["mpm_ltl"]
    assert got.loc["E_mr", "why"] == (f"the profile changed since: recipe_epochs {{'maskreid': {m + 7}, "
                                      f"'mpm_ltl': {p}}} -> {{'maskreid': {m}, 'mpm_ltl': {p}}}")
    for name in ("E_odd", "E_norecord"):
        assert got.loc[name, "status"] == "stale" and f"'maskreid': {m + 7}" in got.loc[name, "why"]


def test_result_currency_reads_the_recipes_of_a_real_data_results_own_folder(tmp_path, monkeypatch) -> None:
    """A notebook run on a real data set stores its result as ``<experiment>.<dataset>``
    (``Notebook.result_id``); its recipes come from that folder's runs.json, not from the
    SynthReID result of the same experiment."""
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    table = pd.DataFrame({"row": ["x"]})
    now = get_profile("quick").to_dict()
    was = {**now, "recipe_epochs": {**now["recipe_epochs"], "maskreid": now["recipe_epochs"]["maskreid"] + 7}}
    runs = {"E_x": {"maskreid/b": {"config": {"recipe": {"name": "maskreid"}}}},     # SynthReID: MaskReID
            "E_x.market1501": {"mpm_ltl/a": {"config": {"recipe": {"name": "mpm_ltl"}}}}}  # real: MPM only
    for name, rj in runs.items():
        dataset = name.partition(".")[2] or "synth"
        write_result(name, "quick", name, table, run_as={"definition": was, "seeds": now["seeds"], "overrides": {},
                                                        "dataset": dataset})
        (tmp_path / "quick" / "results" / name / "runs.json").write_text(json.dumps(rj))
    got = result_currency("quick").set_index("experiment")
    assert got.loc["E_x", "status"] == "stale"
    assert got.loc["E_x.market1501", "status"] == "partial"  # MaskReID's length is not its concern
    assert got.loc["E_x.market1501", "why"] == "data set market1501, not the profile's SynthReID"


def test_result_currency_marks_results_whose_recipe_has_other_stages_now(tmp_path, monkeypatch) -> None:
    """A result whose runs trained a recipe with other stages than the registry gives now for
    the same length (MaskReID's 30 + 60 softmax / ranking split, now 60 + 30) or at other rates
    (its softmax stage at 0.01 from scratch, now 0.1) is stale and withheld; the same runs with
    today's stages and rates are current; a result with overrides (which may change stages on
    purpose) is not checked."""

    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    now = get_profile("quick").to_dict()
    n = now["recipe_epochs"]["maskreid"]
    # the earlier split, by hand: softmax a third of the epochs (lr step at two thirds of it)
    third = round(n / 3)
    soft, rank = {g: 0.1 for g in ("base", "new", "classifier")}, {g: 0.001 for g in ("base", "new", "classifier")}
    old = [{"name": "softmax", "epochs": third, "milestones": [round(n * 20 / 90)], "lrs": soft},
           {"name": "ranking", "epochs": n - third, "milestones": [round(n * 40 / 90)], "lrs": rank}]
    cur = [{"name": "softmax", "epochs": round(n * 2 / 3), "milestones": [round(n * 40 / 90)], "lrs": soft},
           {"name": "ranking", "epochs": n - round(n * 2 / 3), "milestones": [round(n * 20 / 90)], "lrs": rank}]
    slow = [{**cur[0], "lrs": {g: 0.01 for g in soft}}, cur[1]]  # every group at 0.01 (the rate until bb8c652)

    def runs(stages, from_scratch=True):
        return {"maskreid/a": {"config": {"recipe": {"name": "maskreid", "stages": stages},
                                          "profile": {"epochs": n, "from_scratch": from_scratch}}},
                "cross_domain/c": {"config": {}}}

    assert recipe_drift(runs(cur)) == []
    drift = recipe_drift(runs(old))
    cur_text = (f"softmax {round(n * 2 / 3)} (steps at {round(n * 40 / 90)}; lr 0.1) + "
                f"ranking {n - round(n * 2 / 3)} (steps at {round(n * 20 / 90)}; lr 0.001)")
    assert drift == [f"maskreid: softmax {third} (steps at {round(n * 20 / 90)}; lr 0.1) + ranking {n - third} "
                     f"(steps at {round(n * 40 / 90)}; lr 0.001) -> " + cur_text]
    assert recipe_drift(runs(slow)) == [f"maskreid: softmax {round(n * 2 / 3)} (steps at {round(n * 40 / 90)}; "
                                        f"lr 0.01) + ranking {n - round(n * 2 / 3)} (steps at {round(n * 20 / 90)}; "
                                        f"lr 0.001) -> " + cur_text]
    # the same rates read as a fine-tuning run (a pretrained backbone: base 0.01, new layers 0.1)
    assert recipe_drift(runs(cur, from_scratch=False)) == [
        f"maskreid: {cur_text} -> softmax {round(n * 2 / 3)} (steps at {round(n * 40 / 90)}; lr base 0.01, "
        f"classifier 0.1, new 0.1) + ranking {n - round(n * 2 / 3)} (steps at {round(n * 20 / 90)}; lr 0.001)"]
    table = pd.DataFrame({"row": ["x"]})
    for name, stages, overrides in (("E_old", old, {}), ("E_cur", cur, {}), ("E_ovr", old, {"model.name": "m"}),
                                    ("E_slow", slow, {})):
        write_result(name, "quick", name, table, run_as={"definition": now, "seeds": now["seeds"],
                                                         "overrides": overrides})
        (tmp_path / "quick" / "results" / name / "runs.json").write_text(json.dumps(runs(stages)))
    got = result_currency("quick").set_index("experiment")
    assert got.loc["E_old", "status"] == "stale" and got.loc["E_old", "why"] == RECIPE_CHANGED + drift[0]
    assert got.loc["E_old", "why"].startswith(WITHHELD)
    assert got.loc["E_cur", "status"] == "current"
    assert got.loc["E_slow", "status"] == "stale" and "lr 0.01)" in got.loc["E_slow", "why"]
    assert got.loc["E_ovr", "status"] == "partial"


def test_no_study_row_overrides_a_recipes_rates() -> None:
    """recipe_drift reads a rate that differs from the registry's as a registry edit; a row that
    set its own rates would read as stale. None does (E13's pretrained rows take the registry's
    fine-tuning rates through ``training_recipe``)."""
    from reidlib.study.convergence import FAMILY_ROWS
    from reidlib.study.rows import ROWS

    for table, rows in {**ROWS, "00": FAMILY_ROWS}.items():
        for label, (_, ov) in rows.items():
            assert not [k for k in ov if k.startswith("recipe.") and ".lrs" in k], (table, label)
