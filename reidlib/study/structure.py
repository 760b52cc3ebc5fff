"""What a notebook's stored outputs may compare: the structure of a result, not its numbers.

Training results change with the CPU's kernels (AVX2 vs AVX-512 / AMX, fp32 vs bf16), so
``make test`` (nbval) must not byte-compare them. Each experiment notebook prints, in its one
checked cell, :func:`describe_result`: for every table its row labels, columns and number of
seeds, whether every number in it lies in the stated range (percentages and point differences
in [-100, 100]), that the verdict speaks the study's verdict vocabulary, and which files were
written. These are the same on every machine for correct code, and change when a row, a column,
a seed, a figure or a result file goes missing. The numbers themselves are tested in pytest on
tiny deterministic cases (``tests/study``, ``tests/metrics``).
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from reidlib import paths

#: the words every verdict of the study is phrased in (reidlib.study.verdict, sweeps, claims)
VERDICT_WORDS = ("holds", "hold", "reversed", "within noise", "does not hold", "not tested", "best",
                 "below", "above", "equal", "no test", "converged")
#: a number standing alone in a cell; not the digits of a word ("AVX-512", "AVX2", "E12")
NUMBER = re.compile(r"(?<![\w.-])-?\d+(?:\.\d+)?(?:e-?\d+)?")
#: columns holding counts, not percentages
COUNT_COLUMNS = ("seeds", "values", "n", "images", "identities", "queries", "gallery")


def table_numbers(table: pd.DataFrame, skip: Sequence[str] = ()) -> list[float]:
    """Every number in the table's cells, the first (label) column and ``skip`` columns excluded."""
    out: list[float] = []
    for col in list(table.columns)[1:]:
        if col in skip:
            continue
        for cell in table[col]:
            if cell is None or (isinstance(cell, float) and math.isnan(cell)):
                continue
            out += [float(x) for x in NUMBER.findall(str(cell))]
    return out


def describe_table(name: str, table: pd.DataFrame, lo: float = -100.0, hi: float = 100.0) -> str:
    """One line: row labels, columns, seeds per row, and whether every number is in ``[lo, hi]``."""
    labels = [str(v) for v in table.iloc[:, 0]]
    text = f"- table {name!r}: {len(labels)} rows {labels}; columns {[str(c) for c in table.columns]}"
    if "seeds" in table.columns:
        text += f"; seeds per row {sorted({int(s) for s in table['seeds']})}"
    skip = [c for c in table.columns if str(c).lower() in COUNT_COLUMNS]
    nums = table_numbers(table, skip)
    bad = [x for x in nums if not (math.isfinite(x) and lo <= x <= hi)]
    text += f"; every number in [{lo:g}, {hi:g}]: " + ("yes" if not bad else f"NO {bad[:5]}")
    return text


def describe_verdict(verdict: str) -> str:
    """Whether a verdict was recorded and speaks the verdict vocabulary (its words, not its
    outcome: every sentence template of an ordering verdict has one of :data:`VERDICT_WORDS`)."""
    if not verdict.strip():
        return "- verdict: NONE recorded"
    ok = any(w in verdict for w in VERDICT_WORDS)
    return "- verdict: recorded; speaks the verdict vocabulary: " + ("yes" if ok else "no (a measurement)")


def describe_files(figures: Sequence[str], out: Path, tidy: pd.DataFrame | None,
                   figures_dir: Path | None = None) -> list[str]:
    """Which figures (PNG + PDF) and result files exist, and the results.csv line count."""
    fdir = figures_dir or paths.figures_dir()
    lines = []
    for fig in figures:
        have = [fmt for fmt in ("png", "pdf") if (fdir / f"{fig}.{fmt}").is_file()]
        lines.append(f"- figure {fig}: {' + '.join(have) if have else 'NOT WRITTEN'}")
    files = [f for f in ("result.json", "results.csv") if (out / f).is_file()]
    line = f"- result files: {', '.join(files) if files else 'NONE'}"
    if tidy is not None and (out / "results.csv").is_file():
        n = len(pd.read_csv(out / "results.csv"))
        rows = tidy["row"].nunique() if "row" in tidy.columns else n
        seeds = sorted({int(s) for s in tidy["seed"]}) if "seed" in tidy.columns else []
        line += (f"; results.csv: {n} lines, {rows} rows, seeds {seeds}, "
                 f"one line per run: {'yes' if n == len(tidy) else 'NO'}")
    lines.append(line)
    return lines


def describe_result(experiment: str, profile: str, tables: Mapping[str, pd.DataFrame], verdict: str,
                    figures: Sequence[str], out: Path, tidy: Any = None) -> str:
    """The structural summary an experiment notebook prints last (see the module docstring)."""
    lines = [f"{experiment} (profile {profile}): structure of the stored result"]
    lines += [describe_table(name, t) for name, t in tables.items()]
    lines.append(describe_verdict(verdict))
    lines += describe_files(figures, out, tidy)
    return "\n".join(lines)
