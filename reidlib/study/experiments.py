"""Running an experiment's rows over seeds and collecting a tidy results table.

An experiment of the study is a set of *rows* (a paper table's lines), each a
training configuration ``(engine experiment name, overrides)``; the engine's
run reuse means a configuration shared by several experiments (the full
MPM-LTL model is row 7 of E2, threshold 0.4 of E3 and k = 6 of E4) trains once.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from reidlib import paths

#: ``(engine experiment, overrides)`` or ``(engine experiment, overrides, columns)``: a row of a
#: table; ``columns`` (e.g. ``{"threshold": 0.45}``) are copied into its tidy lines as they are
Row = tuple


def flatten_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """``{"sq": {"rank1": 50.0, ...}, ...}`` -> ``{"sq/rank1": 0.5, ...}`` (fractions in [0, 1])."""
    flat: dict[str, float] = {}
    for proto, vals in metrics.items():
        if isinstance(vals, Mapping):
            for k, v in vals.items():
                if isinstance(v, (int, float)):
                    flat[f"{proto}/{k}"] = float(v) / 100.0
    return flat


def run_rows(rows: Mapping[str, Row], profile: str, seeds: Sequence[int] | None = None,
             quiet: bool = True, extra: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Train/evaluate every row for every seed; one tidy line per (row, seed).

    ``extra`` overrides are applied to every row (e.g. ``{"profile.epochs": 3}``).
    Columns: ``row, seed, experiment, run_dir, seconds, train_s``, a row's own ``columns`` (the
    swept value of :func:`sweep_rows`) and ``<protocol>/<metric>`` as fractions in [0, 1].
    ``seconds`` is this call's time for the run (for a reused run, the time to read it);
    ``train_s`` the run's own training and evaluation time, summed over its epochs.csv
    ``wall_s`` whenever it was trained (NaN for a run trained before the loop recorded it).
    """
    from reidlib.engine.experiment import resolve_config, run_experiment
    from reidlib.engine.profiles import get_profile
    from reidlib.engine.runs import run_id
    from reidlib.study.provenance import run_provenance

    seeds = list(seeds) if seeds is not None else list(get_profile(profile).seeds)
    lines = []
    for label, (experiment, overrides, *rest) in rows.items():
        ov = {**dict(overrides), **dict(extra or {})}
        columns = dict(rest[0]) if rest else {}
        for seed in seeds:
            start = time.perf_counter()
            metrics = run_experiment(experiment, profile, ov, seed=seed, runs_root=paths.runs_dir(), quiet=quiet)
            seconds = round(time.perf_counter() - start, 1)
            run_dir = f"{experiment}/{run_id(resolve_config(experiment, profile, ov, seed))}"
            wall = run_provenance(paths.runs_dir() / run_dir)["wall_s"]
            lines.append({"row": label, **columns, "seed": seed, "experiment": experiment, "run_dir": run_dir,
                          "seconds": seconds, "train_s": float("nan") if wall is None else round(wall, 1),
                          **flatten_metrics(metrics)})
    return pd.DataFrame(lines)


def paper_table(tidy: pd.DataFrame, paper: Mapping[str, Mapping[str, Any]], columns: Mapping[str, str],
                order: Sequence[str] | None = None) -> pd.DataFrame:
    """Our mean ± std (percent) beside the paper's number, one cell per metric: ``"19.1 ± 0.4 (69.07)"``.

    ``columns`` maps a paper column (``"SQ mAP"``) to our tidy column (``"sq/mAP"``);
    a row or cell the paper lacks shows ``(-)``.
    """
    order = list(order) if order is not None else list(dict.fromkeys(tidy["row"]))
    out = []
    for r in order:
        sub = tidy[tidy["row"] == r]
        rec: dict[str, Any] = {"row": r, "seeds": int(sub["seed"].nunique())}
        for paper_col, ours in columns.items():
            vals = 100.0 * sub[ours].to_numpy(dtype=float)
            sd = vals.std(ddof=1) if len(vals) > 1 else 0.0
            p = paper.get(r, {}).get(paper_col)
            rec[paper_col] = f"{vals.mean():.1f} ± {sd:.1f} ({'-' if p is None else f'{p:.2f}'})"
        out.append(rec)
    return pd.DataFrame(out)


def baseline_differences(tidy: pd.DataFrame, paper: Mapping[str, Mapping[str, Any]], column: str, paper_column: str,
                         baseline: str, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Each row's gain over the ``baseline`` row in points, ours beside the paper's, so the two
    orderings can be compared although the absolute numbers (SynthReID vs the papers' data) cannot.

    Ours: the per-seed paired difference ``100 * (row - baseline)`` of ``column``, its mean and the
    half-width of its 95% t-interval (``ci``: ``t_{n-1} * sd / sqrt(n)``; NaN with one seed).
    Paper: ``paper[row][paper_column] - paper[baseline][paper_column]`` (NaN where a cell is empty).
    Columns: ``row, seeds, ours, ci, paper``; rows in ``order`` (default: the results' order).
    """
    from reidlib.study.verdict import critical_value

    if baseline not in set(tidy["row"]):
        raise KeyError(f"baseline row {baseline!r} is not in the results; rows: {list(dict.fromkeys(tidy['row']))}")
    if column not in tidy.columns:
        raise KeyError(f"column {column!r} is not in the results; available: {[c for c in tidy.columns if '/' in c]}")
    order = list(order) if order is not None else list(dict.fromkeys(tidy["row"]))
    base = tidy[tidy["row"] == baseline].set_index("seed")[column].astype(float)
    p_base = paper.get(baseline, {}).get(paper_column)
    out = []
    for r in order:
        mine = tidy[tidy["row"] == r].set_index("seed")[column].astype(float)
        d = 100.0 * (mine - base).dropna().to_numpy()
        n = len(d)
        ci = critical_value(n) * d.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
        p = paper.get(r, {}).get(paper_column)
        out.append({"row": r, "seeds": n, "ours": float(d.mean()) if n else float("nan"), "ci": float(ci),
                    "paper": float(p - p_base) if p is not None and p_base is not None else float("nan")})
    return pd.DataFrame(out)


def data_overrides(dataset: str = "synth", data_root: str | None = None,
                   overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The overrides that point a row at ``dataset`` (and ``data_root``), plus ``overrides``."""
    extra: dict[str, Any] = {}
    if dataset != "synth":
        extra["data.dataset"] = dataset
        if data_root is not None:
            extra["data.root"] = data_root
    extra.update(overrides or {})
    return extra


def with_overrides(rows: Mapping[str, Row], extra: Mapping[str, Any]) -> dict[str, Row]:
    """``rows`` with ``extra`` overrides added to each (they win over the row's own)."""
    return {label: (exp, {**dict(ov), **dict(extra)}, *rest) for label, (exp, ov, *rest) in rows.items()}


def with_defaults(rows: Mapping[str, Row], defaults: Mapping[str, Any]) -> dict[str, Row]:
    """``rows`` with ``defaults`` under each row's own overrides (a row's own value wins)."""
    return {label: (exp, {**dict(defaults), **dict(ov)}, *rest) for label, (exp, ov, *rest) in rows.items()}


def rows_for(experiment_id: str, dataset: str = "synth", data_root: str | None = None,
             overrides: Mapping[str, Any] | None = None) -> dict[str, Row]:
    """``ROWS[experiment_id]`` with the data set (and any extra overrides) applied to every row."""
    from reidlib.study.rows import ROWS

    if experiment_id not in ROWS:
        raise KeyError(f"unknown experiment id {experiment_id!r}; valid: {', '.join(ROWS)}")
    return with_overrides(ROWS[experiment_id], data_overrides(dataset, data_root, overrides))


def sweep_rows(column: str, values: Sequence[Any], row: Callable[[Any], tuple[str, Mapping[str, Any]]],
               label: Callable[[Any], str] | None = None) -> dict[str, Row]:
    """One row per swept value: ``row(value)`` gives ``(engine experiment, overrides)`` and the
    value itself becomes the tidy column ``column`` (no label is parsed back). Labels default to
    ``f"{column} {value}"``; two values with one label raise."""
    label = label or (lambda v: f"{column} {v}")
    out: dict[str, Row] = {}
    for v in values:
        name = label(v)
        if name in out:
            raise ValueError(f"sweep {column!r}: values {out[name][2][column]!r} and {v!r} share the label {name!r}")
        exp, ov = row(v)
        out[name] = (exp, dict(ov), {column: v})
    return out


def consecutive_claims(order: Sequence[str]) -> list[tuple[str, str]]:
    """The paper's ordering as pairwise claims: each row beats the one before it."""
    return [(order[i + 1], order[i]) for i in range(len(order) - 1)]


def column_differences(tidy: pd.DataFrame, paper: Mapping[str, Mapping[str, Any]], row: str,
                       columns: Mapping[str, tuple[str, str]], baseline: str) -> pd.DataFrame:
    """Within one ``row``: each column's gain over the ``baseline`` column, ours beside the paper's
    (:func:`baseline_differences` over the columns in place of rows), for claims that order the
    columns of a row (MGCAM Table 3: "RR is the best distance, KISSME the worst").

    ``columns``: label -> ``(our tidy column, the paper's column)``, e.g.
    ``{"Euclidean": ("sq/mAP", "Euclidean mAP"), "KISSME": ("sq@kissme/mAP", "KISSME mAP")}``;
    ``baseline``: one of the labels. Rows of the result: ``"<row>: <label>"`` for every label but
    the baseline, in ``columns``' order; columns as :func:`baseline_differences`.
    """
    if baseline not in columns:
        raise KeyError(f"baseline column {baseline!r} is not among the columns {list(columns)}")
    if row not in set(tidy["row"]):
        raise KeyError(f"row {row!r} is not in the results; rows: {list(dict.fromkeys(tidy['row']))}")
    sub = tidy[tidy["row"] == row]
    long = pd.concat([pd.DataFrame({"row": f"{row}: {label}", "seed": sub["seed"].to_numpy(),
                                    "value": sub[ours].to_numpy(dtype=float)})
                      for label, (ours, _) in columns.items()], ignore_index=True)
    theirs = {f"{row}: {label}": {"value": paper.get(row, {}).get(col)} for label, (_, col) in columns.items()}
    return baseline_differences(long, theirs, "value", "value", baseline=f"{row}: {baseline}",
                                order=[f"{row}: {label}" for label in columns if label != baseline])
