"""Where a study's numbers come from: the code, CPU kind and precision that trained each run.

A study at a converged profile spans sessions (README "How long"): its runs are trained over
days, their records committed and reused by the next ``make study``. The summary's machine
line describes the machine that *wrote* the summary; this module describes the machines and
commits that *trained* the runs its tables use (issue 16 item 7: the committed study records
the commit, the CPU kind and the precision; numbers differ between CPU kinds, README
"Machines and numbers").

Each result folder ``runs/<profile>/results/<notebook>/runs.json`` (written by
:func:`reidlib.study.report.write_result`) names the run folders of its table; every run
folder's ``env.json`` holds the commit (``git_commit``), the machine and the numeric format,
and its ``epochs.csv`` the seconds of each epoch (``wall_s``, from the loop; older runs have
none). :func:`study_provenance` groups the runs by (commit, CPU kind, precision).

A profile's definition changes as the study learns (its lengths followed the convergence check),
and a summary is rebuilt from every result on disk, so one table may come from today's profile
and the next from an older one. :func:`result_currency` compares the definition each result
recorded (``result.json``'s ``run_as``) with the profile now: **current**, **partial** (a seed
subset, engine overrides or a real data set) or **stale** (the profile changed since, or the
result predates the record), named in the summary's verdict table until the notebook runs again.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from reidlib import paths
from reidlib.engine.runs import read_csv, read_json, session_record
from reidlib.study.report import read_results, study_order


def cpu_kind(machine: Mapping[str, Any]) -> str:
    """``"AVX-512 + AMX"``, ``"AVX-512"``, torch's capability (``"AVX2"``), ``"CUDA"`` or ``"unknown"``
    from an ``env.json`` ``machine`` record (:func:`reidlib.engine.machine.describe_machine`)."""
    if machine.get("amx_bf16"):
        return "AVX-512 + AMX"
    if machine.get("avx512"):
        return "AVX-512"
    return str(machine.get("cpu_capability") or "unknown")


def machine_kind(session: Mapping[str, Any]) -> str:
    """``"CUDA"`` for a session trained on a GPU, else its :func:`cpu_kind`; ``session`` is
    :func:`reidlib.engine.runs.session_record`'s flattened record."""
    return "CUDA" if str(session.get("device") or "").startswith("cuda") else cpu_kind(session)


def session_source(env: Mapping[str, Any]) -> tuple[str, str, str]:
    """``(commit, CPU kind, precision)`` of one training session's env.json record."""
    session = session_record(env)
    return session["commit"], machine_kind(session), str(session["precision"] or "unknown")


def _joined(values: list[str], mixed: str = "") -> str:
    """One value, or every distinct one (first seen first) joined: ``mixed`` + ``"a + b"``."""
    distinct = list(dict.fromkeys(values))
    return distinct[0] if len(distinct) == 1 else mixed + " + ".join(distinct)


def run_provenance(run_dir: str | Path) -> dict[str, Any]:
    """``{"commit", "cpu", "precision", "device", "wall_s", "finished"}`` of one run folder.

    ``commit`` is the first 7 hex digits of ``env.json``'s ``git_commit`` (``"unknown"`` where it
    was trained outside a git checkout or has no env.json); ``wall_s`` is the sum of epochs.csv's
    ``wall_s`` column, ``None`` where any epoch lacks it (a run trained before the loop recorded it).
    A run resumed in another session (env.json's ``earlier`` records) on another commit, CPU kind
    or precision names every one, oldest first: ``"38f7c68 + 985e5d1"``, ``"mixed: AVX2 + AVX-512"``.
    """
    folder = Path(run_dir)
    env_path = folder / "env.json"
    env = read_json(env_path) if env_path.is_file() else {}
    commits, kinds, precisions = zip(*[session_source(e) for e in [*env.get("earlier", []), env]])
    wall: float | None = None
    csv_path = folder / "epochs.csv"
    if csv_path.is_file():
        rows = read_csv(csv_path)
        if rows and all(r.get("wall_s") not in (None, "") for r in rows):
            wall = sum(float(r["wall_s"]) for r in rows)
    device = str(env.get("device") or (env.get("format") or {}).get("device") or "unknown")
    return {"commit": _joined(list(commits)), "cpu": _joined(list(kinds), "mixed: "),
            "precision": _joined(list(precisions), "mixed: "), "device": device, "wall_s": wall,
            "finished": (folder / "metrics.json").is_file()}


def run_sources(profile: str) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """``{run_dir: (run_provenance, [results that use it])}`` over every runs.json of the
    profile's results, each run folder read once. A run folder gone from disk has commit
    ``"missing"``."""
    base = paths.runs_dir() / profile / "results"
    users: dict[str, list[str]] = {}
    for rj in sorted(base.glob("*/runs.json")) if base.is_dir() else []:
        for run_dir in read_json(rj):
            users.setdefault(run_dir, []).append(rj.parent.name)
    out = {}
    for run_dir, results in users.items():
        folder = paths.runs_dir() / run_dir
        p = run_provenance(folder) if folder.is_dir() else {"commit": "missing", "cpu": "-", "precision": "-",
                                                              "wall_s": None}
        out[run_dir] = (p, results)
    return out


def study_provenance(profile: str, sources: Mapping[str, tuple[dict[str, Any], list[str]]] | None = None
                     ) -> pd.DataFrame:
    """One row per (commit, cpu, precision) over every run the profile's results use
    (``sources``: :func:`run_sources`, when the caller has it).

    Columns: ``commit``, ``cpu``, ``precision``, ``runs`` (distinct run folders), ``notebooks``
    (the results that use them, comma-separated), ``training_h`` (hours, summed over the runs
    with ``wall_s``) and ``untimed`` (runs without it). A run folder named in a runs.json but gone
    from disk counts under commit ``"missing"``. Empty when no result recorded its runs.
    """
    sources = run_sources(profile) if sources is None else sources
    cols = ["commit", "cpu", "precision", "runs", "notebooks", "training_h", "untimed"]
    if not sources:
        return pd.DataFrame(columns=cols)
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for p, notebooks in sources.values():
        g = groups.setdefault((p["commit"], p["cpu"], p["precision"]),
                              {"runs": 0, "notebooks": set(), "seconds": 0.0, "untimed": 0})
        g["runs"] += 1
        g["notebooks"].update(notebooks)
        if p["wall_s"] is None:
            g["untimed"] += 1
        else:
            g["seconds"] += p["wall_s"]
    rows = [{"commit": c, "cpu": cpu, "precision": prec, "runs": g["runs"],
             "notebooks": ", ".join(sorted(g["notebooks"], key=study_order)),
             "training_h": round(g["seconds"] / 3600, 2), "untimed": g["untimed"]}
            for (c, cpu, prec), g in groups.items()]
    return pd.DataFrame(rows, columns=cols).sort_values(["commit", "cpu", "precision"], ignore_index=True)


def mixed_sources(sources: Mapping[str, tuple[dict[str, Any], list[str]]]) -> dict[str, str]:
    """``{result: why}`` for each result whose runs come from more than one code commit, or more
    than one CPU kind / precision: ``"runs from 2 commits (38f7c68, 7f32105)"``. A result whose
    numbers mix commits says so in the summary, beside its verdict."""
    commits: dict[str, set[str]] = {}
    kinds: dict[str, set[str]] = {}
    for p, results in sources.values():
        for r in results:
            commits.setdefault(r, set()).add(p["commit"])
            kinds.setdefault(r, set()).add(f"{p['cpu']} {p['precision']}")
    out = {}
    for r in commits:
        why = []
        if len(commits[r]) > 1:
            why.append(f"runs from {len(commits[r])} commits ({', '.join(sorted(commits[r]))})")
        if len(kinds[r]) > 1:
            why.append(f"runs on {len(kinds[r])} CPU kinds / precisions ({', '.join(sorted(kinds[r]))})")
        if why:
            out[r] = "; ".join(why)
    return out


def provenance_lines(profile: str, sources: Mapping[str, tuple[dict[str, Any], list[str]]] | None = None
                     ) -> list[str]:
    """The summary's "Where the runs come from" section (markdown lines)."""
    table = study_provenance(profile, sources)
    lines = ["## Where the runs come from", ""]
    if table.empty:
        return lines + ["No result recorded its run folders.", ""]
    commits = sorted(set(table["commit"]) - {"missing"})
    kinds = sorted(set(zip(table["cpu"], table["precision"])) - {("-", "-")})
    lines.append(f"{int(table['runs'].sum())} run folder(s), trained by {len(commits)} code commit(s) "
                 f"({', '.join(commits)}) on {len(kinds)} kind(s) of machine and precision "
                 f"({'; '.join(f'{c} {p}' for c, p in kinds)}).")
    if len(kinds) > 1:
        lines.append("**Numbers of different CPU kinds or precisions are mixed in these tables** "
                     "(README \"Machines and numbers\").")
    if (table["commit"] == "missing").any():
        lines.append("**Some run folders named by the results are missing** (commit `missing` below).")
    lines += ["", table.to_markdown(index=False), ""]
    return lines


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
    rates (``tests/study/test_provenance.py`` checks), so a rate that differs is a registry edit."""
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
