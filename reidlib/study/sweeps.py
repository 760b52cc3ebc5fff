"""Swept parameters: the values of a sweep, its groups, its best value and the mask-quality rows.

MPM-LTL sweeps three things and claims a best value for each: the mask-pooling
threshold (Fig. 7: best 0.4 on Market; Fig. 8: the group 0.4-0.7 best of
0.0-0.3 / 0.4-0.7 / 0.8-1.0), the part count (Fig. 6: k = 6) and the triplet
selection (Fig. 9: mask-guided TriHard). A "best value" claim is tested here as:
our best value by the mean over seeds, and the paper's best compared with ours
*paired over seeds* (:func:`reidlib.study.verdict.paired_verdict`). The claim

* ``holds``             when our best value is (one of) the paper's best values and
                        every other value is below it significantly (paired t-test,
                        p < 0.05; or beyond an explicit ``z`` standard errors),
* ``within noise``      when the paper's best is our best but another value is within
                        noise of it, or the paper's best is lower than our best but not
                        significantly (always so with a single seed),
* ``does not hold``     when our best beats the paper's best beyond the seed spread,
* ``not tested``        when the paper's best value was not swept.

All metric columns are the tidy fractions in [0, 1] of
:func:`reidlib.study.experiments.run_rows` (one line per row and seed).

The mask-quality experiment (E12) is in :mod:`reidlib.study.mask_quality`.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from reidlib.engine.features import PROTOCOLS
from reidlib.study.verdict import minimum_detectable_difference, paired_verdict

Row = tuple[str, Mapping[str, Any]]

#: MPM-LTL Fig. 8: the three threshold groups (inclusive bounds)
THRESHOLD_GROUPS: dict[str, tuple[float, float]] = {"0.0-0.3": (0.0, 0.3), "0.4-0.7": (0.4, 0.7),
                                                    "0.8-1.0": (0.8, 1.0)}
#: MPM-LTL Fig. 7-8 average "the different query patterns"
QUERY_PATTERNS: tuple[str, ...] = PROTOCOLS


def for_profile(values: Sequence[Any] | None, profile: str, smoke: Sequence[Any],
                default: Sequence[Any], quick: Sequence[Any] | None = None) -> list[Any]:
    """``values`` if given, else ``smoke`` at the smoke profile, ``quick`` (if given) at the
    quick profile (the default study samples the sweep more coarsely; ``full`` takes every point) and ``default`` otherwise."""
    if values is not None:
        values = list(values)
        if not values:
            raise ValueError("an empty sweep was given; pass None for the profile's default values")
        return values
    if profile == "quick" and quick is not None:
        return list(quick)
    return list(smoke if profile == "smoke" else default)


def query_average(tidy: pd.DataFrame, metrics: Sequence[str] = ("rank1", "mAP"),
                  patterns: Sequence[str] = QUERY_PATTERNS, prefix: str = "avg") -> pd.DataFrame:
    """Add ``<prefix>/<metric>`` = mean over ``patterns`` of ``<pattern>/<metric>`` (MPM-LTL Fig. 7)."""
    out = tidy.copy()
    for m in metrics:
        cols = [f"{p}/{m}" for p in patterns]
        missing = [c for c in cols if c not in out.columns]
        if missing:
            raise KeyError(f"query-pattern columns {missing} not in the results; available: "
                           f"{[c for c in out.columns if '/' in c]} (pass patterns= to average fewer)")
        out[f"{prefix}/{m}"] = out[cols].mean(axis=1)
    return out


def threshold_group(t: float, groups: Mapping[str, tuple[float, float]] = THRESHOLD_GROUPS) -> str:
    """The group (MPM-LTL Fig. 8) a threshold falls in; thresholds outside every group raise."""
    for name, (lo, hi) in groups.items():
        if lo - 1e-9 <= t <= hi + 1e-9:
            return name
    raise ValueError(f"threshold {t} is in no group; groups: "
                     + ", ".join(f"{n} = [{lo}, {hi}]" for n, (lo, hi) in groups.items()))


def group_means(tidy: pd.DataFrame, x: str, metrics: Sequence[str],
                group: Callable[[Any], str] = threshold_group) -> pd.DataFrame:
    """Per (group, seed): the mean of each metric over the swept values in the group (Fig. 8).

    Returns a tidy frame with ``row`` = group name, ``seed``, ``values`` (how many swept
    values the group averages) and ``metrics``, groups in order of first appearance by ``x``.
    """
    work = tidy.sort_values(x).assign(_group=lambda d: [group(v) for v in d[x]])
    agg = work.groupby(["_group", "seed"], sort=False).agg(
        values=(x, "nunique"), **{m: (m, "mean") for m in metrics}).reset_index()
    return agg.rename(columns={"_group": "row"})


def sweep_summary(tidy: pd.DataFrame, x: str, metric: str, z: float | None = None) -> pd.DataFrame:
    """One line per swept value: mean ± std (points), and a paired comparison with our best value.

    Columns: ``x, seeds, mean, std, vs best (pts), se (pts), MDD (pts), verdict`` where verdict is
    ``best``, ``below best`` (paired t-test p < 0.05, or beyond an explicit ``z``) or ``within noise of best``;
    ``MDD`` is the minimum detectable difference of that paired comparison (issue 16): a value
    "within noise of best" is not lower than the best by more than ``MDD`` points.
    """
    if metric not in tidy.columns:
        raise KeyError(f"metric {metric!r} not in the results; available: {[c for c in tidy.columns if '/' in c]}")
    stats = tidy.groupby(x, sort=False)[metric].agg(["mean", "std", "count"])
    best = stats["mean"].idxmax()
    b = tidy[tidy[x] == best].set_index("seed")[metric]
    lines = []
    for value, st in stats.iterrows():
        v = tidy[tidy[x] == value].set_index("seed")[metric]
        common = b.index.intersection(v.index)
        if value == best:
            verdict, diff, se, mdd = "best", 0.0, float("nan"), float("nan")
        else:
            verdict, diff, se = paired_verdict(b.loc[common], v.loc[common], z)
            verdict = "below best" if verdict == "holds" else "within noise of best"
            mdd = minimum_detectable_difference(se, len(common), z)
        lines.append({x: value, "seeds": int(st["count"]), "mean": round(100 * st["mean"], 2),
                      "std": round(100 * (0.0 if math.isnan(st["std"]) else st["std"]), 2),
                      "vs best (pts)": round(-100 * diff, 2),
                      "se (pts)": None if math.isnan(se) else round(100 * se, 2),
                      "MDD (pts)": None if math.isnan(mdd) else round(100 * mdd, 2), "verdict": verdict})
    return pd.DataFrame(lines)


def best_verdict(tidy: pd.DataFrame, x: str, metric: str, paper_best: Any | Sequence[Any],
                 z: float | None = None, name: str | None = None) -> tuple[str, str]:
    """Is the paper's best value of ``x`` our best, given the seed spread? -> ``(verdict, sentence)``.

    ``paper_best`` is one value or several (ties in the paper, e.g. CUHK03's 0.5/0.6).
    Verdicts as in the module docstring.
    """
    name = name or x
    wanted = list(paper_best) if isinstance(paper_best, (list, tuple)) else [paper_best]
    summary = sweep_summary(tidy, x, metric, z)
    ours = summary.loc[summary["verdict"] == "best", x].iloc[0]
    ours_mean = summary.loc[summary["verdict"] == "best", "mean"].iloc[0]
    paper_txt = " / ".join(str(w) for w in wanted)
    head = f"{name} on {metric}: ours best at {ours} ({ours_mean:.1f}), paper's best {paper_txt}"
    tested = summary[summary[x].isin(wanted)]
    if tested.empty:
        return "not tested", f"{head}: not tested (the paper's best was not swept)."
    if ours in wanted or tested["mean"].max() >= ours_mean:  # a tie with our best counts as best
        rivals = summary[~summary[x].isin(wanted) & (summary["verdict"] != "below best")]
        if rivals.empty:
            return "holds", f"{head}: holds (every other value is lower beyond the seed spread)."
        if summary["seeds"].min() < 2:
            near = ", ".join(str(v) for v in rivals[x])
            return "within noise", f"{head}: same best, but {near} within noise of it (1 seed)."
        near = ", ".join(f"{r[x]} ({r['vs best (pts)']:+.1f}, {_mdd_text(r)})" for _, r in rivals.iterrows())
        return "within noise", f"{head}: same best, but {near} within noise of it (the seed spread)."
    top = tested.sort_values("mean", ascending=False).iloc[0]
    gap = f"{top[x]} is {-top['vs best (pts)']:.1f} pts lower"
    if top["verdict"] == "below best":
        return "does not hold", f"{head}: does not hold ({gap}, beyond the seed spread)."
    if top["seeds"] < 2:
        return "within noise", f"{head}: within noise ({gap}, 1 seed)."
    return "within noise", f"{head}: within noise ({gap}, within the seed spread; {_mdd_text(top)})."


def _mdd_text(line: Mapping[str, Any]) -> str:
    """``"MDD 3.9 pts"``: the minimum detectable difference of a line of :func:`sweep_summary`."""
    mdd = line.get("MDD (pts)")
    if mdd is None or (isinstance(mdd, float) and math.isnan(mdd)):
        return "MDD n/a"
    return f"MDD {mdd:.1f} pts"
