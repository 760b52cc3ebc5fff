"""Is a stored result still the profile's own? Its definition and its recipes, then and now.

A profile's definition changes as the study learns (its lengths followed the convergence check),
and a summary is rebuilt from every result on disk, so one table may come from today's profile
and the next from an older one. :func:`result_currency` compares the definition each result
recorded (``result.json``'s ``run_as``) with the profile now: **current**, **partial** (a seed
subset, engine overrides or a real data set) or **stale** (the profile changed since, or the
result predates the record), named in the summary's verdict table until the notebook runs again.

A result whose profile changed since (:data:`CHANGED`) or whose runs trained a recipe that has
other stages now (:data:`RECIPE_CHANGED`, :func:`recipe_drift`) is **withheld** by the summary
(:data:`WITHHELD`): its runs are not the profile's any more (issue 16: a verdict rests on the
runs the profile defines). Which machines and commits trained the runs:
:mod:`reidlib.study.provenance`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from reidlib import paths
from reidlib.engine.runs import read_json
from reidlib.study.report import read_results


#: how a stale result's "why" begins when the profile's definition changed since it ran (its runs
#: are not the profile's any more: the summary withholds its table and verdict)
CHANGED = "the profile changed since: "
#: how it begins when a recipe its runs trained has other stages now (e.g. MaskReID's softmax /
#: ranking split): withheld the same way
RECIPE_CHANGED = "a recipe changed since: "
#: the beginnings of a "why" whose result the summary withholds
WITHHELD = (CHANGED, RECIPE_CHANGED)


def _stage_shape(stages: list[Mapping[str, Any]]) -> str:
    """``softmax 683 (steps at 455; lr 0.1) + ranking 341 (steps at 228; lr 0.001)``: a recipe's
    stages by name, length (epochs, or iterations where a stage counts those), lr steps and
    learning rates (one number when every group has it, else ``base 0.01, new 0.1``)."""
    def one(s: Mapping[str, Any]) -> str:
        n = s.get("epochs") or f"{s.get('iterations')} iterations"
        ms = s.get("milestones") or []
        lrs = s.get("lrs") or {}
        lr = (f"{next(iter(lrs.values())):g}" if len(set(lrs.values())) == 1
              else ", ".join(f"{g} {v:g}" for g, v in sorted(lrs.items())))
        inner = "; ".join(x for x in ((f"steps at {', '.join(map(str, ms))}" if ms else ""),
                                      (f"lr {lr}" if lrs else "")) if x)
        return f"{s.get('name')} {n}" + (f" ({inner})" if inner else "")
    return " + ".join(one(s) for s in stages)


def recipe_drift(runs: Mapping[str, Any]) -> list[str]:
    """Recipes whose stages (names, lengths, lr steps, learning rates) differ between what a
    result's runs trained (``runs.json``: each run's ``config.recipe``) and what the registry
    gives now for the same run (:func:`reidlib.engine.recipes.training_recipe` at the run's
    ``config.profile.epochs``, its ``from_scratch`` and pretrained weights: the engine's own
    scaling and rates; unscaled where the epochs are None). One line per recipe,
    ``"maskreid: softmax 85 (steps at 57; lr 0.01) + ... -> softmax 171 ..."``; runs without a
    recorded recipe (the cross-domain trainer's) are skipped. No study row overrides a recipe's
    rates (``tests/study/test_currency.py`` checks), so a rate that differs is a registry edit."""
    from reidlib.engine.recipes import RECIPES, training_recipe

    out: dict[str, str] = {}
    for rec in runs.values():
        cfg = (rec if isinstance(rec, dict) else {}).get("config") or {}
        recipe = cfg.get("recipe")
        if not isinstance(recipe, dict) or recipe.get("name") not in RECIPES or not recipe.get("stages"):
            continue
        name, prof = recipe["name"], cfg.get("profile") or {}
        pretrained = ((cfg.get("model") or {}).get("kwargs") or {}).get("pretrained")
        now = training_recipe(name, prof.get("epochs"), bool(prof.get("from_scratch")), bool(pretrained))
        was_shape, now_shape = _stage_shape(recipe["stages"]), _stage_shape(now.to_dict()["stages"])
        if was_shape != now_shape and name not in out:
            out[name] = f"{name}: {was_shape} -> {now_shape}"
    return [out[k] for k in sorted(out)]


def recipes_used(runs: Mapping[str, Any]) -> set[str] | None:
    """The recipe names a result's runs trained (``runs.json``: run dir -> ``{"config": ...}``;
    the config's ``recipe.name``, else the run dir's experiment folder, as the cross-domain
    trainer's ``cross_domain``); ``None`` when one cannot be told."""
    from reidlib.engine.recipes import RECIPES

    out = set()
    for run_dir, rec in runs.items():
        recipe = ((rec if isinstance(rec, dict) else {}).get("config") or {}).get("recipe")
        name = recipe.get("name") if isinstance(recipe, dict) else str(run_dir).split("/")[0]
        if name not in RECIPES:
            return None
        out.add(name)
    return out


def _field(definition: Mapping[str, Any], key: str, recipes: set[str] | None) -> Any:
    """``definition[key]``; ``recipe_epochs`` narrowed to the length each of ``recipes`` trains
    (its entry, else the profile's ``epochs``) when the result's recipes are known."""
    from reidlib.engine.profiles import recipe_length

    if key == "recipe_epochs" and recipes is not None:
        return {r: recipe_length(definition, r) for r in sorted(recipes)}
    return definition.get(key)


def _currency(run_as: Mapping[str, Any] | None, now: Mapping[str, Any] | None,
              recipes: set[str] | None = None) -> tuple[str, str]:
    if now is None:
        return "current", ""  # a profile outside the registry: nothing to compare with
    if not run_as or not run_as.get("definition"):
        return "stale", "recorded before results kept their profile's definition"
    was = run_as["definition"]
    pairs = {k: (_field(was, k, recipes), _field(now, k, recipes)) for k in sorted(set(was) | set(now)) if k != "name"}
    changed = [f"{k} {old!r} -> {new!r}" for k, (old, new) in pairs.items() if old != new]
    if changed:
        return "stale", CHANGED + "; ".join(changed)
    partial = []
    if sorted(run_as.get("seeds") or []) != sorted(now["seeds"]):
        partial.append(f"seeds {run_as.get('seeds')} of the profile's {now['seeds']}")
    if run_as.get("overrides"):
        partial.append(f"overrides {run_as['overrides']}")
    if run_as.get("params"):
        partial.append("parameters " + ", ".join(f"{k}={v!r}" for k, v in sorted(run_as["params"].items())))
    if run_as.get("dataset", "synth") != "synth":
        partial.append(f"data set {run_as['dataset']}, not the profile's SynthReID")
    return ("partial", "; ".join(partial)) if partial else ("current", "")


def definition_now(profile: str) -> dict[str, Any] | None:
    """The registry's definition of ``profile`` now (every field), None for a profile outside it."""
    from reidlib.engine.profiles import get_profile

    try:
        return get_profile(profile).to_dict()
    except KeyError:
        return None


def folder_currency(folder: Path, record: Mapping[str, Any], now: Mapping[str, Any] | None) -> tuple[str, str]:
    """``(status, why)`` of one stored result (``record``: its ``result.json``) in ``folder``
    (``results/<experiment>/`` or a partial record's ``results/<experiment>/partial/<key>/``)
    against the profile's definition ``now``: :func:`result_currency`'s rule."""
    rj = folder / "runs.json"
    runs = read_json(rj) if rj.is_file() else None
    if runs is not None:
        recipes = recipes_used(runs)
    else:
        csv_path = folder / "results.csv"
        no_runs = csv_path.is_file() and "run_dir" not in csv_path.read_text().partition("\n")[0].split(",")
        recipes = set() if no_runs else None  # a table that names no run (write_result writes runs.json when it does)
    status, why = _currency(record.get("run_as"), now, recipes)
    if status != "stale" and now is not None and runs is not None and not (record.get("run_as") or {}).get("overrides"):
        drift = recipe_drift(runs)  # overrides may change stages on purpose: not checked
        if drift:
            return "stale", RECIPE_CHANGED + "; ".join(drift)
    return status, why


def result_currency(profile: str, records: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """One row per stored result of ``profile``: ``experiment``, ``status`` (``"current"``,
    ``"partial"``, ``"stale"``) and ``why`` (empty when current).

    Current: the result recorded the profile's definition equal to the registry's now
    (:meth:`reidlib.engine.profiles.Profile.to_dict`, every field but the name), all its seeds
    and no overrides or other parameters, on SynthReID. Partial: the same definition, but a seed
    subset, engine overrides, notebook parameters away from their defaults (``families``,
    ``methods``, ``masks``: :func:`reidlib.study.notebook.changed_params`) or a real data set (a notebook run with ``dataset="market1501"`` under a SynthReID
    profile writes the same results folder, so the summary says so).
    Stale: a field differs (each named with its old and new value), the result has no record,
    or (results without overrides) a recipe its runs trained has other stages now
    (:func:`recipe_drift`, ``why`` beginning with :data:`RECIPE_CHANGED`);
    ``recipe_epochs`` counts only for the recipes the result's runs trained (its ``runs.json``,
    :func:`recipes_used`), so changing one family's length leaves the other families' results
    current (a result whose table names no run trains none; one whose recipes cannot be told
    compares every recipe's length).
    ``records``: the profile's results when the caller has read them (:func:`read_results`).
    """
    now = definition_now(profile)
    base = paths.runs_dir() / profile / "results"
    rows = [{"experiment": r["experiment"], **dict(zip(("status", "why"), folder_currency(base / r["experiment"], r, now)))}
            for r in (read_results(profile) if records is None else records)]
    return pd.DataFrame(rows, columns=["experiment", "status", "why"])
