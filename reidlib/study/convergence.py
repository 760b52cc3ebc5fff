"""Are the study's runs converged? One row per model family, trained T and 2T epochs.

A table that compares models trained for a fraction of what they need says something about
training length, not about the papers. The check, for one representative row of each model
family (:data:`FAMILY_ROWS`): train it for the profile's ``epochs`` (T) and, with every other
setting equal, for 2T, over the same seeds; the row counts as **converged** when the mean gain
of the doubled run is below ``abs_pts`` mAP points (2) *or* below ``rel`` of the T run (3%)::

    gain = mean_seeds(mAP(2T)) - mean_seeds(mAP(T));  converged = gain < 2 pts or gain < 0.03 * mAP(T)

A profile whose rows fail the check says so in its summary (the verdict of this experiment).
The doubling must change nothing but the length: where a seed's T and 2T runs were trained on
different CPU kinds (``env.json``; AVX2 against AVX-512 was measured to move one MaskReID run by
3-4 SQ mAP points, as much as the threshold, issue 16) that seed is left out: the row is judged on
its other seeds where at least 2 have T and 2T on one kind (the verdict names the seeds left out),
else it is **undecided**, not judged.
:func:`learning_curve` reads a run's ``epochs.csv`` (the engine evaluates every ``eval_every``
epochs) into SQ mAP against training steps, for the learning-curve figure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from reidlib import paths
from reidlib.study.experiments import Row
from reidlib.study.provenance import run_provenance
from reidlib.study.rows import ROWS

#: one representative row per model family: (label -> row of the study's tables)
FAMILY_ROWS: dict[str, Row] = {
    "ide (IDE, RGB-M)": ("ide_rgbm", {}),
    "mpm (full MPM-LTL)": ROWS["E2"]["(7) + TriHard (full MPM-LTL)"],
    "mscan (RGB-M)": ROWS["E1"]["MSCAN RGB-M"],
    "mgcam (RGB-M)": ROWS["E1"]["MGCAM RGB-M"],
    "maskreid (MF, ranking)": ROWS["E6"]["ranking"],
    "semparts (supervised)": ("semparts", {}),
}


def doubled(rows: Mapping[str, Row], epochs: int | Mapping[str, int]) -> dict[str, Row]:
    """``rows`` at ``profile.epochs = 2 * T`` (everything else equal), labels kept; ``epochs`` is T
    for every row, or per label (:func:`row_epochs`: a profile's ``recipe_epochs`` give each
    family its own T)."""
    out = {}
    for label, (exp, ov, *rest) in rows.items():
        t = int(epochs if isinstance(epochs, int) else epochs[label])
        if t <= 0:
            raise ValueError(f"row {label!r}: epochs must be > 0 to double it, got {t}")
        out[label] = (exp, {**dict(ov), "profile.epochs": 2 * t}, *rest)
    return out


def row_epochs(rows: Mapping[str, Row], profile: str, overrides: Mapping[str, Any] | None = None) -> dict[str, int]:
    """The epochs T each row trains under ``profile`` (its recipe's ``recipe_epochs`` entry, else
    the profile's ``epochs``; ``overrides["profile.epochs"]`` wins), read from its resolved config."""
    from reidlib.engine.experiment import resolve_config

    return {label: int(resolve_config(exp, profile, {**dict(overrides or {}), **dict(ov)})["profile"]["epochs"])
            for label, (exp, ov, *_rest) in rows.items()}


def cross_domain_epochs(profile: str, overrides: Mapping[str, Any] | None = None) -> int:
    """The epochs T of the ECN cross-domain runs (market -> duke) under ``profile``, as :func:`row_epochs`."""
    from reidlib.domain.runs import resolve_cross_domain

    return int(resolve_cross_domain("market", "duke", "ecn", profile, dict(overrides or {}))["profile"]["epochs"])


UNDECIDED = "undecided: T and 2T on different CPU kinds"
#: a row whose mean gain passes while one of its seeds alone would fail: converged by the rule
#: (the mean), named so the seed spread the mean hides is seen
MEAN_ONLY = "converged by the mean"


def _cpu_kinds(tidy: pd.DataFrame, row: str) -> dict[int, str]:
    """``{seed: CPU kind}`` of ``row``'s runs (``run_provenance`` of the tidy ``run_dir``
    under ``paths.runs_dir()``); ``{}`` for a table without a ``run_dir`` column."""
    if "run_dir" not in tidy:
        return {}
    sub = tidy[tidy["row"] == row]
    return {int(s): run_provenance(paths.runs_dir() / str(d))["cpu"] for s, d in zip(sub["seed"], sub["run_dir"])}


def _passes(gain: float, base: float, abs_pts: float, rel: float) -> bool:
    """The rule (module docstring): a gain below ``abs_pts`` points or below ``rel`` of ``base``."""
    return gain < abs_pts or (base > 0 and gain < rel * base)


def gain_interval(gains: list[float]) -> tuple[float, float] | None:
    """The 95% confidence interval of the mean per-seed gain (points), Student's t over
    ``n`` seeds: ``mean(g) -/+ t_{n-1} * sd(g) / sqrt(n)``, the half-width being the verdicts'
    minimum detectable difference (:func:`reidlib.study.verdict.minimum_detectable_difference`); None below 2 seeds. It says how much
    the rule's mean gain could move with other seeds (MaskReID's seeds 0-2 in ``quick``, gains
    -3.13, +5.75 and -4.15: -0.51 -/+ 13.5 with t_2 = 4.30)."""
    import numpy as np

    from reidlib.study.verdict import minimum_detectable_difference

    if len(gains) < 2:
        return None
    g = np.asarray(gains, dtype=float)
    half = minimum_detectable_difference(float(g.std(ddof=1)) / np.sqrt(len(g)), len(g))  # t_{n-1} * se
    return float(g.mean() - half), float(g.mean() + half)


#: the verdict's suffix naming the seeds a row was judged without (read back by the sentence)
LEFT_OUT = "left out: T and 2T on different CPU kinds"
_LEFT_OUT_RE = re.compile(r"\((seeds? [0-9, ]+) " + re.escape(LEFT_OUT) + r"\)$")


def convergence_table(short: pd.DataFrame, long: pd.DataFrame, metric: str = "sq/mAP",
                      abs_pts: float = 2.0, rel: float = 0.03) -> pd.DataFrame:
    """One line per row: mean ``metric`` at T and 2T (points), gain, each seed's own gain
    (``"0: -3.13, 1: +5.75"``: the spread the mean hides) and the 95% interval of their mean
    (:func:`gain_interval`; informative, the rule reads the mean), the CPU kinds its runs were
    trained on, and the verdict (``converged`` / ``not converged``, judged on the seeds whose T and
    2T runs share a CPU kind where at least 2 do and naming any seed left out, else :data:`UNDECIDED`
    where a seed's T and 2T runs differ in CPU kind; module docstring; a converged row with a seed whose
    own gain fails the rule reads :data:`MEAN_ONLY`, naming the seed); rows in the order of ``short``."""
    lines = []
    for row in dict.fromkeys(short["row"]):
        if long.loc[long["row"] == row].empty:
            raise KeyError(f"row {row!r} has no doubled run; rows there: {sorted(set(long['row']))}")
        kt, k2t = _cpu_kinds(short, row), _cpu_kinds(long, row)
        kinds = ", ".join(sorted({*kt.values(), *k2t.values()})) or "-"
        mixed = sorted(s for s in kt if s in k2t and kt[s] != k2t[s])
        clean = sorted(s for s in kt if s in k2t and kt[s] == k2t[s])
        left_out = ""
        if mixed and len(clean) >= 2:   # judge on the unconfounded seeds only (module docstring)
            short_r, long_r = (t[(t["row"] == row) & t["seed"].isin(clean)] for t in (short, long))
            left_out = f" (seed {', '.join(map(str, mixed))} {LEFT_OUT})"
            mixed = []
        else:
            short_r, long_r = short[short["row"] == row], long[long["row"] == row]
        a = 100 * short_r[metric].astype(float)
        b = 100 * long_r[metric].astype(float)
        gain = float(b.mean() - a.mean())
        ok = _passes(gain, float(a.mean()), abs_pts, rel)
        seed_gains: dict[int, float] = {}
        lone: list[str] = []
        if "seed" in short and "seed" in long:
            sa = 100 * short_r.groupby("seed")[metric].mean().astype(float)
            sb = 100 * long_r.groupby("seed")[metric].mean().astype(float)
            seed_gains = {int(k): float(sb[k] - sa[k]) for k in sa.index if k in sb.index}
            lone = [f"seed {k} alone {g:+.2f}" for k, g in seed_gains.items()
                    if not _passes(g, float(sa[k]), abs_pts, rel)]
        per_seed = ", ".join(f"{k}: {g:+.2f}" for k, g in seed_gains.items())
        ci = gain_interval(list(seed_gains.values()))
        lines.append({"row": row, "seeds": int(a.size), f"{metric} T": round(float(a.mean()), 2),
                      f"{metric} 2T": round(float(b.mean()), 2), "gain (pts)": round(gain, 2),
                      "gain per seed": per_seed or "-",
                      "gain 95% CI": f"{ci[0]:+.2f} to {ci[1]:+.2f}" if ci else "-",
                      "CPU kind": kinds,
                      "verdict": (f"{UNDECIDED} (seed {', '.join(map(str, mixed))})" if mixed
                                  else ((f"{MEAN_ONLY} ({'; '.join(lone)})" if len(seed_gains) > 1 and lone
                                         else "converged") if ok else "not converged") + left_out)})
    return pd.DataFrame(lines)


def convergence_sentence(table: pd.DataFrame, abs_pts: float = 2.0, rel: float = 0.03) -> str:
    """``"4 of 6 families converged (...); not converged: ...; undecided (...): ..."``."""
    bad = table.loc[table["verdict"].str.startswith("not converged"), "row"].tolist()
    open_ = table.loc[table["verdict"].str.startswith(UNDECIDED), "row"].tolist()
    mean_only = table.loc[table["verdict"].str.startswith(MEAN_ONLY), "row"].tolist()
    text = (f"{len(table) - len(bad) - len(open_)} of {len(table)} model families converged (doubling the "
            f"training gains < {abs_pts:g} mAP points or < {100 * rel:g}%)")
    if mean_only:
        text += f" ({', '.join(mean_only)} by the mean only: a seed alone gains more than that)"
    if bad:
        text += f"; not converged, so their rows' verdicts are about training length: {', '.join(bad)}"
    partly = [f"{r} ({m.group(1)})" for r, v in zip(table["row"], table["verdict"])
              if (m := _LEFT_OUT_RE.search(v))]
    if partly:
        text += f"; judged without the seeds whose T and 2T runs differ in CPU kind: {', '.join(partly)}"
    if open_:
        text += (f"; undecided, their T and 2T runs were trained on different CPU kinds (a confound as large "
                 f"as the threshold): {', '.join(open_)}")
    return text + "."


#: notebook parameters that only choose which of 00's rows run (a partial record with other
#: parameters may train other configs under the same labels, so it is not pooled)
SELECTING_PARAMS = frozenset({"families", "ecn"})
#: the columns of a 00 record's ``results.csv`` that pooling reads
POOLED_COLUMNS = ("row", "seed", "length", "run_dir", "sq/mAP")


@dataclass
class Pooled:
    """00's check over every seed recorded so far (:func:`pooled_records`)."""
    tidy: pd.DataFrame                 #: one line per (row, seed, length), each (row, seed) from one record
    used: list[str]                    #: records pooled (relative to ``runs/<profile>/results/``), main first
    left_out: list[tuple[str, str]] = field(default_factory=list)  #: (record, why) not pooled
    added: dict[str, list[int]] = field(default_factory=dict)      #: row -> seeds beyond the main record's


def pooled_records(profile: str, experiment: str = "00_convergence") -> Pooled:
    """Every seed of 00's check recorded so far: the tidy table (``results.csv``) of the
    profile's 00 result and of each partial record beside it (``partial/<key>/``, a notebook run
    at other seeds or families). A record is left out (and named, with why) when it is stale
    (:func:`reidlib.study.currency.folder_currency`: the profile's definition and recipes now),
    not on SynthReID, run with engine overrides or a notebook parameter other than
    :data:`SELECTING_PARAMS`, or its table lacks a column of :data:`POOLED_COLUMNS`; and when it
    adds nothing: no (row, seed) with both lengths, or only pairs already taken. Each
    (row, seed) is taken whole, its T and 2T run from the same record (never one record's T
    against another's 2T): from the main record when it has both, else from the first partial
    record with both, in folder order (the folders are named by a hash, so that order is
    arbitrary; two records with both lengths for a (row, seed) hold the same runs unless a
    definition changed, which makes one of them stale). A (row, seed) with only one length
    anywhere is not pooled."""
    from reidlib.engine.runs import read_json
    from reidlib.study.currency import definition_now, folder_currency

    base = paths.runs_dir() / profile / "results"
    now = definition_now(profile)
    main = base / experiment
    out = Pooled(pd.DataFrame(columns=list(POOLED_COLUMNS)), [])
    taken: set[tuple[str, int]] = set()
    main_pairs: set[tuple[str, int]] = set()
    for folder in [main, *sorted((main / "partial").glob("*/"))]:
        name = str(folder.relative_to(base))
        if not (folder / "result.json").is_file() or not (folder / "results.csv").is_file():
            continue
        record = read_json(folder / "result.json")
        run_as = record.get("run_as") or {}
        status, why = folder_currency(folder, record, now)
        extra = sorted(set(run_as.get("params") or {}) - SELECTING_PARAMS)
        table = pd.read_csv(folder / "results.csv")
        missing = [c for c in POOLED_COLUMNS if c not in table]
        reason = (f"stale: {why}" if status == "stale" else f"overrides {run_as['overrides']}" if run_as.get("overrides")
                  else f"data set {run_as['dataset']}" if run_as.get("dataset", "synth") != "synth"
                  else f"parameters {', '.join(extra)}" if extra
                  else f"results.csv lacks {', '.join(missing)}" if missing else "")
        if reason:
            out.left_out.append((name, reason))
            continue
        pairs = {(str(r), int(s)) for (r, s), g in table.groupby(["row", "seed"]) if {"T", "2T"} <= set(g["length"])}
        new = pairs - taken
        if folder == main:
            main_pairs = pairs
        if not new:
            out.left_out.append((name, "repeats: each (row, seed) it holds with both T and 2T is pooled from a record above"
                                 if pairs else "no (row, seed) with both its T and 2T run"))
            continue
        keep = [(str(r), int(s)) in new for r, s in zip(table["row"], table["seed"])]
        out.tidy = pd.concat([out.tidy, table.loc[keep]], ignore_index=True) if len(out.tidy) else table.loc[keep]
        out.used.append(name)
        taken |= new
    for row, seed in sorted(taken - main_pairs):
        out.added.setdefault(row, []).append(seed)
    return out


def pooled_check(profile: str, abs_pts: float = 2.0, rel: float = 0.03) -> tuple[pd.DataFrame, Pooled] | None:
    """:func:`convergence_table` over every seed :func:`pooled_records` pools, and the pooling
    itself; None when the partial records add no (row, seed) to the main record's."""
    pooled = pooled_records(profile)
    if not pooled.added:
        return None
    tidy = pooled.tidy
    short, long = tidy[tidy["length"] == "T"], tidy[tidy["length"] == "2T"]
    return convergence_table(short, long, abs_pts=abs_pts, rel=rel), pooled


def learning_curve(run_dir: str, metric: str = "sq/mAP") -> pd.DataFrame:
    """``epoch, step, <metric>`` (fraction) of every evaluated epoch of ``runs/<run_dir>/epochs.csv``;
    ``step`` is the run's global step at that epoch's end (the loop's ``global_step`` column,
    else epochs x the profile's ``max_steps_per_epoch``, else the epoch)."""
    from reidlib.engine.runs import read_csv, read_json

    folder = paths.runs_dir() / run_dir
    rows = [r for r in read_csv(folder / "epochs.csv") if r.get(metric) not in (None, "")]
    cfg: dict[str, Any] = read_json(folder / "config.json")
    per_epoch = cfg["profile"].get("max_steps_per_epoch")
    out = pd.DataFrame({"epoch": [int(r["epoch"]) for r in rows],
                        metric: [float(r[metric]) / 100.0 for r in rows]})
    if rows and rows[0].get("global_step") not in (None, ""):
        out["step"] = [int(r["global_step"]) for r in rows]
    else:
        out["step"] = out["epoch"] * per_epoch if per_epoch else out["epoch"]
    return out


def with_curves(rows: Mapping[str, Row], every: int | Mapping[str, int]) -> dict[str, Row]:
    """``rows`` evaluated every ``every`` epochs (``profile.eval_every``) for learning curves;
    ``every`` for all rows, or per label (each family's own T / 2)."""
    return {label: (exp, {**dict(ov), "profile.eval_every": max(1, int(every if isinstance(every, int) else every[label]))},
                    *rest)
            for label, (exp, ov, *rest) in rows.items()}
