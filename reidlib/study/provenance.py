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

Whether a result is still the profile's own (its definition and recipes now):
:mod:`reidlib.study.currency`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from reidlib import paths
from reidlib.engine.runs import read_csv, read_json, session_record
from reidlib.study.report import study_order


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
