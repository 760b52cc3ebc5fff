"""Claim helpers of the loss, grid, fusion and distance-metric notebooks (E1, E6-E9).

:mod:`reidlib.study.verdict` tests "row A beats row B" on one metric. The papers
also claim things of other shapes, handled here on the tidy results of
:func:`reidlib.study.experiments.run_rows` (one line per row and seed, metric
columns ``"<protocol>[@<metric>]/<measure>"`` as fractions in [0, 1]):

* a row read at another protocol (MaskReID Tables 2-3: "ranking + RR" is the
  ranking run re-ranked): :func:`substitute_protocols`;
* one ordering under several metrics (MGCAM Table 3: "MGCAM > MSCAN under every
  metric"): :func:`verdicts_over_metrics`;
* an ordering of *columns* within each row (MGCAM Table 3: "RR is the best
  metric, KISSME the worst"): :func:`column_verdicts`;
* a "best value" claim (MaskReID Table 4: alpha 0.15, lambda 2 is best):
  :func:`best_value_verdict`;
* a grid of rows keyed by two values (Table 4's alpha x lambda):
  :func:`grid_labels`, :func:`paper_grid`;
* one table over several data sets (MaskReID Table 1): :func:`widen`.

All verdicts are paired over seeds with :func:`reidlib.study.verdict.paired_verdict`.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import pandas as pd

from reidlib.study.verdict import minimum_detectable_difference, ordering_verdicts, paired_verdict

KEY_COLUMNS = ("row", "seed", "experiment", "run_dir", "seconds", "train_s")


def _require(tidy: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in tidy.columns]
    if missing:
        raise KeyError(f"columns {missing} not in the results; available: "
                       f"{[c for c in tidy.columns if '/' in c]}")


def _rows_present(tidy: pd.DataFrame, rows: Sequence[str]) -> None:
    missing = [r for r in rows if r not in set(tidy["row"])]
    if missing:
        raise KeyError(f"rows {missing} not in the results; valid rows: {list(dict.fromkeys(tidy['row']))}")


def substitute_protocols(tidy: pd.DataFrame, row: str, mapping: Mapping[str, str]) -> pd.DataFrame:
    """A copy where ``row`` reads protocol ``source`` as ``target`` for each ``target -> source``.

    E.g. ``{"sq": "sq+rr", "mq": "mq+rr"}``: the "ranking + RR" row's ``sq/mAP`` becomes
    its ``sq+rr/mAP``, so the paper's table and orderings treat RR as a row.
    """
    _rows_present(tidy, [row])
    out = tidy.copy()
    sel = out["row"] == row
    for target, source in mapping.items():
        cols = [c for c in tidy.columns if c.startswith(f"{target}/")]
        if not cols:
            raise KeyError(f"protocol {target!r} not in the results; columns: {[c for c in tidy.columns if '/' in c]}")
        for c in cols:
            src = f"{source}/{c.split('/', 1)[1]}"
            _require(tidy, [src])
            out.loc[sel, c] = tidy.loc[sel, src]
    return out


def verdicts_over_metrics(tidy: pd.DataFrame, claims: Sequence[tuple[str, str]], metrics: Sequence[str],
                          z: float | None = None) -> pd.DataFrame:
    """:func:`ordering_verdicts` for each of ``metrics``, stacked (one line per claim and metric)."""
    _require(tidy, metrics)
    return pd.concat([ordering_verdicts(tidy, claims, metric=m, z=z) for m in metrics], ignore_index=True)


def column_verdicts(tidy: pd.DataFrame, rows: Sequence[str], claims: Sequence[tuple[str, str]],
                    z: float | None = None) -> pd.DataFrame:
    """Within each row, is column ``better`` above column ``worse``? Paired over seeds.

    ``claims``: ``[("sq+rr/mAP", "sq/mAP"), ...]``; one line per row and claim, with the
    minimum detectable difference at that spread (``MDD (pts)``,
    :func:`reidlib.study.verdict.minimum_detectable_difference`), as the row orderings have.
    """
    _rows_present(tidy, rows)
    _require(tidy, [c for pair in claims for c in pair])
    lines = []
    for r in rows:
        sub = tidy[tidy["row"] == r]
        for better, worse in claims:
            verdict, mean, se = paired_verdict(sub[better], sub[worse], z)
            mdd = minimum_detectable_difference(se, len(sub), z)
            lines.append({"paper claims": f"{r}: {better} > {worse}", "seeds": len(sub),
                          "diff (pts)": round(100 * mean, 2),
                          "se (pts)": None if math.isnan(se) else round(100 * se, 2),
                          "MDD (pts)": None if math.isnan(mdd) else round(100 * mdd, 2), "verdict": verdict})
    return pd.DataFrame(lines)


def best_value_verdict(tidy: pd.DataFrame, paper_best: str, metric: str, z: float | None = None) -> pd.DataFrame:
    """Is the paper's best row (``paper_best``) the best here, or within the seed spread of it?

    The best row here is the highest mean of ``metric`` over seeds; the paper's best is
    compared with it paired over seeds. Verdicts: ``"best here too"``, ``"within noise
    of the best here (<row>)"``, ``"beaten by <row> beyond the seed spread"`` (a single
    seed gives no spread: then "within noise (1 seed) ...").
    """
    _require(tidy, [metric])
    _rows_present(tidy, [paper_best])
    means = tidy.groupby("row", sort=False)[metric].mean()
    best = str(means.idxmax())
    line: dict[str, Any] = {"metric": metric, "paper's best": paper_best, "best here": best,
                            "diff (pts)": 0.0, "se (pts)": None}
    if best == paper_best or means[best] == means[paper_best]:
        line["verdict"] = "best here too"
        return pd.DataFrame([line])
    b = tidy[tidy["row"] == best].set_index("seed")[metric]
    p = tidy[tidy["row"] == paper_best].set_index("seed")[metric]
    common = b.index.intersection(p.index)
    verdict, mean, se = paired_verdict(b.loc[common], p.loc[common], z)
    line.update({"diff (pts)": round(100 * mean, 2), "se (pts)": None if math.isnan(se) else round(100 * se, 2)})
    if verdict == "holds":
        line["verdict"] = f"beaten by {best} beyond the seed spread"
    elif len(common) < 2:
        line["verdict"] = f"within noise (1 seed, no test; best here: {best})"
    else:
        line["verdict"] = f"within noise of the best here ({best})"
    return pd.DataFrame([line])


def grid_labels(alphas: Sequence[float], lambdas: Sequence[float],
                fmt: str = "alpha {a:g}, lambda {lam:g}") -> dict[str, tuple[float, float]]:
    """Row labels of the alpha x lambda grid (``ROWS["E7"]``'s format) -> ``(alpha, lambda)``."""
    if not alphas or not lambdas:
        raise ValueError(f"the grid needs at least one alpha and one lambda, got {alphas} x {lambdas}")
    return {fmt.format(a=a, lam=lam): (float(a), float(lam)) for a in alphas for lam in lambdas}


def claims_against(keys: Mapping[str, tuple], index: int, value: float) -> list[tuple[str, str]]:
    """Claims "each grid row beats the row with key[index] = value, other keys equal" (e.g. lambda > 0
    vs lambda = 0 at the same alpha); a missing reference row raises, naming the grid's values."""
    by_key = {tuple(k): lab for lab, k in keys.items()}
    claims = []
    for label, key in keys.items():
        if key[index] == value:
            continue
        ref = tuple(value if i == index else k for i, k in enumerate(key))
        if ref not in by_key:
            raise KeyError(f"no reference row {ref} for {label!r}: include {value} in the grid's values "
                           f"{sorted({k[index] for k in keys.values()})}")
        claims.append((label, by_key[ref]))
    return claims


def paper_grid(grid: Mapping[tuple, Sequence[float]], keys: Mapping[str, tuple],
               measures: Sequence[str] = ("R1", "mAP")) -> dict[str, dict[str, float]]:
    """A paper grid ``{(alpha, lambda): (R1, mAP)}`` re-keyed by row label (for ``paper_table``)."""
    out = {}
    for label, key in keys.items():
        vals = grid.get(tuple(key))
        if vals is not None:
            out[label] = dict(zip(measures, vals))
    return out


def paper_grid_frame(grid: Mapping[tuple, Sequence[float]], names: Sequence[str] = ("alpha", "lambda"),
                     columns: Sequence[str] = ("paper/rank1", "paper/mAP")) -> pd.DataFrame:
    """The paper's grid as a tidy frame (fractions, like ours) for :func:`reidlib.study.plots.heatmap`."""
    lines = [{**dict(zip(names, key)), **{c: v / 100.0 for c, v in zip(columns, vals)}}
             for key, vals in grid.items()]
    return pd.DataFrame(lines)


def widen(tidy: pd.DataFrame, by: str, on: Sequence[str] = ("row", "seed")) -> pd.DataFrame:
    """One line per ``on`` with metric columns prefixed by the value of ``by``: ``"cuhk01:sq/rank1"``.

    For a table of rows x data sets (MaskReID Table 1); rows missing in a data set get NaN.
    """
    _require(tidy, [by, *on])
    metrics = [c for c in tidy.columns if "/" in c and c not in (by, *on, *KEY_COLUMNS)]
    wide = None
    for value, sub in tidy.groupby(by, sort=False):
        part = sub[list(on) + metrics].rename(columns={m: f"{value}:{m}" for m in metrics})
        wide = part if wide is None else wide.merge(part, on=list(on), how="outer")
    if wide is None:
        raise ValueError("widen: the results are empty")
    return wide.reset_index(drop=True)
