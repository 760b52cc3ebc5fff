"""Recording an experiment's table and verdict so the study summary can gather them.

A notebook calls :func:`write_result` once at its end; the driver's summary
(:func:`reidlib.study.summary.write_summary`) reads every record of a profile.
Files: ``runs/<profile>/results/<experiment>/{result.json, results.csv, runs.json}``;
``runs.json`` holds, for every ``run_dir`` of ``results.csv``, the run's full ``config.json``
and ``metrics.json`` (a few KB each), so every committed number can be traced to what
produced it although the run folders themselves (checkpoints) are not committed.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reidlib import paths
from reidlib.engine.checkpoint import atomic_write_bytes


def _atomic_write(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def write_result(experiment: str, profile: str, title: str, table: Any, *, claim: str = "",
                 verdict: str = "", figures: list[str] | None = None,
                 tidy: Any = None, run_as: dict[str, Any] | None = None, under: str = "") -> Path:
    """Store a result: ``table`` is a pandas DataFrame (rendered as markdown), ``tidy`` the
    per-run long-format DataFrame written as ``results.csv``. ``run_as`` records how the notebook
    ran (:meth:`reidlib.study.notebook.Notebook.finish`: the profile's definition at the time, the
    seeds, the notebook's overrides), so a later summary can tell a result of the profile as now
    defined from one kept from an older definition (:func:`reidlib.study.currency.result_currency`).
    ``under``: a sub-folder of the experiment's (``partial/<key>``: a run unlike the profile's kept
    beside the profile's own result, :meth:`reidlib.study.notebook.Notebook.stored_under`)."""
    out = paths.runs_dir() / profile / "results" / experiment / under
    record = {
        "experiment": experiment, "profile": profile, "title": title, "claim": claim,
        "verdict": verdict, "figures": list(figures or []),
        "table_md": table.to_markdown(index=False) if hasattr(table, "to_markdown") else str(table),
    }
    if run_as is not None:
        record["run_as"] = run_as
    _atomic_write(out / "result.json", json.dumps(record, indent=1))
    if tidy is not None:
        _atomic_write(out / "results.csv", tidy.to_csv(index=False))
        if "run_dir" in getattr(tidy, "columns", ()):
            _atomic_write(out / "runs.json", json.dumps(run_records(tidy["run_dir"]), indent=1, sort_keys=True))
    return out


def run_records(run_dirs: Any) -> dict[str, dict[str, Any]]:
    """``{run_dir: {"config": ..., "metrics": ...}}`` read from ``runs/<run_dir>/`` for each distinct
    ``run_dir`` (``"<experiment>/<id>"``); a run folder that is gone records ``None``."""
    records: dict[str, dict[str, Any]] = {}
    for rd in dict.fromkeys(str(r) for r in run_dirs if isinstance(r, str) and r):
        folder = paths.runs_dir() / rd
        rec = {}
        for key in ("config", "metrics"):
            f = folder / f"{key}.json"
            rec[key] = json.loads(f.read_text()) if f.is_file() else None
        records[rd] = rec
    return records


def study_order(name: str) -> tuple:
    """Sort key of notebooks and results in study order: ``00_...``, ``E1_...`` .. ``E12_...``
    (numerically), then the others (``explore``, ``masks``), each group by name."""
    head = name.split("_", 1)[0]
    if head.isdigit():
        return (0, int(head), name)
    if head[:1] == "E" and head[1:].isdigit():
        return (1, int(head[1:]), name)
    return (2, 0, name)


def read_results(profile: str) -> list[dict[str, Any]]:
    """Every stored result of ``profile``, sorted by experiment id."""
    base = paths.runs_dir() / profile / "results"
    if not base.is_dir():
        return []
    recs = [json.loads(p.read_text()) for p in base.glob("*/result.json")]
    return sorted(recs, key=lambda r: study_order(r["experiment"]))
