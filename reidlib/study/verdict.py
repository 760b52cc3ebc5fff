"""Does a paper's ordering of rows hold here, given the spread over seeds?

The synthetic study cannot match the papers' absolute numbers; what it can
test is each paper's *finding*: the ordering of rows. For two rows the paper
ranks ``better`` above ``worse``, we take the per-seed paired differences of a
metric (same seed, same data, only the row's change differs) and call the
claim

* ``holds``         when the mean difference is positive and significant: at
                    least ``z`` standard errors from zero, where ``z`` defaults to
                    the two-sided 95% critical value of Student's t with n-1
                    degrees of freedom (a paired t-test at p < 0.05: 12.71 for 2
                    seeds, 4.30 for 3, 2.78 for 5),
* ``reversed``      when it is negative by the same criterion,
* ``within noise``  otherwise; with a single seed (no standard error, no test)
                    ``within noise (1 seed, no test)``, or ``equal (1 seed, no test)``
                    when the difference rounds to 0.00 points (``equal`` also when
                    every seed's difference is exactly zero).

With 2 seeds only a very consistent difference reaches t = 12.7 (3 seeds, the ``quick``
profile: 4.3; 5 seeds, ``full``: 2.78): most comparisons at few seeds are "within noise",
which is the honest reading; the minimum detectable difference says how large a difference
that still allows. An explicit ``z`` (e.g. 2.0, a screen) replaces the t critical value.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd


def critical_value(n: int, z: float | None = None, level: float = 0.95) -> float:
    """The threshold on ``mean / se`` for ``n`` paired seeds: ``z`` if given, else the
    two-sided ``level`` quantile of Student's t with ``n - 1`` degrees of freedom."""
    if z is not None:
        return float(z)
    if n < 2:
        raise ValueError(f"a t critical value needs at least 2 paired seeds, got {n}")
    from scipy.stats import t as student_t

    return float(student_t.ppf(0.5 + level / 2, n - 1))


def paired_verdict(better: Sequence[float], worse: Sequence[float], z: float | None = None) -> tuple[str, float, float]:
    """Compare per-seed values of two rows; returns ``(verdict, mean diff, standard error)``.

    ``z`` ``None``: a two-sided paired t-test at 95% (see the module docstring)."""
    b = np.asarray(better, dtype=float)
    w = np.asarray(worse, dtype=float)
    if b.shape != w.shape or b.size == 0:
        raise ValueError(f"paired values need the same non-zero length, got {b.size} and {w.size}")
    d = b - w
    mean = float(d.mean())
    if d.size < 2:   # no spread, no test; a difference shown as 0.00 points reads "equal"
        return ("equal (1 seed, no test)" if round(100 * mean, 2) == 0 else "within noise (1 seed, no test)"), \
            mean, float("nan")
    se = float(d.std(ddof=1) / math.sqrt(d.size))
    if se == 0.0:
        return ("holds" if mean > 0 else "reversed" if mean < 0 else "equal"), mean, se
    t, crit = mean / se, critical_value(d.size, z)
    return ("holds" if t >= crit else "reversed" if t <= -crit else "within noise"), mean, se


def summarise(tidy: pd.DataFrame, row: str = "row", seed: str = "seed", metrics: Sequence[str] = ("rank1", "mAP"),
              order: Sequence[str] | None = None) -> pd.DataFrame:
    """Mean ± std over seeds per row and metric, in ``order`` (default: as first seen)."""
    order = list(order) if order is not None else list(dict.fromkeys(tidy[row]))
    out = []
    for r in order:
        sub = tidy[tidy[row] == r]
        rec = {row: r, "seeds": sub[seed].nunique()}
        for m in metrics:
            vals = 100.0 * sub[m].to_numpy(dtype=float)
            rec[m] = f"{vals.mean():.1f} ± {vals.std(ddof=1) if len(vals) > 1 else 0.0:.1f}"
        out.append(rec)
    return pd.DataFrame(out)


def ordering_verdicts(tidy: pd.DataFrame, claims: Sequence[tuple[str, str]], metric: str = "mAP",
                      row: str = "row", seed: str = "seed", z: float | None = None) -> pd.DataFrame:
    """One line per paper claim ``(better, worse)``: paired verdict on ``metric``."""
    lines = []
    for better, worse in claims:
        b = tidy[tidy[row] == better].set_index(seed)[metric]
        w = tidy[tidy[row] == worse].set_index(seed)[metric]
        common = b.index.intersection(w.index)
        if len(common) == 0:
            raise ValueError(f"rows {better!r} and {worse!r} share no seed in the results")
        verdict, mean, se = paired_verdict(b.loc[common], w.loc[common], z)
        mdd = minimum_detectable_difference(se, len(common), z)
        lines.append({"paper claims": f"{better} > {worse}", "metric": metric, "seeds": len(common),
                      "diff (pts)": round(100 * mean, 2),
                      "se (pts)": None if math.isnan(se) else round(100 * se, 2),
                      "MDD (pts)": None if math.isnan(mdd) else round(100 * mdd, 2), "verdict": verdict})
    return pd.DataFrame(lines)


def minimum_detectable_difference(se: float, n: int, z: float | None = None) -> float:
    """The smallest mean paired difference the test would call significant at this spread:
    ``critical_value(n) * se`` (NaN with one seed or no standard error). "Within noise" then
    reads "no difference larger than MDD points was detectable with n seeds"."""
    if n < 2 or se is None or math.isnan(se):
        return float("nan")
    return critical_value(n, z) * se


def pointing_the_papers_way(verdicts: pd.DataFrame) -> int | None:
    """At one seed (every line of :func:`ordering_verdicts` with ``seeds`` < 2: no spread, no
    test), how many of its orderings have a positive difference; None where any line was tested."""
    if "seeds" in verdicts.columns and len(verdicts) and (verdicts["seeds"] < 2).all():
        return int((verdicts["diff (pts)"] > 0).sum())
    return None


def headline(verdicts: pd.DataFrame) -> str:
    """A one-sentence summary of :func:`ordering_verdicts`. With one seed (no spread) nothing is
    tested, and the sentence says so, giving how many orderings point the paper's way at that seed
    instead of "0 of n hold" (a count no single seed could raise)."""
    n = len(verdicts)
    agree = pointing_the_papers_way(verdicts)
    if agree is not None:
        return (f"not tested: 1 seed (a paired t-test needs at least 2); at this seed {agree} of {n} "
                f"of the paper's orderings point the paper's way.")
    held = int((verdicts["verdict"] == "holds").sum())
    rev = verdicts.loc[verdicts["verdict"] == "reversed", "paper claims"].tolist()
    text = f"{held} of {n} of the paper's orderings hold beyond the seed spread (paired t-test, p < 0.05)"
    if "MDD (pts)" in verdicts.columns and verdicts["MDD (pts)"].notna().any():
        text += f" (smallest detectable difference {verdicts['MDD (pts)'].median():.1f} pts, median)"
    if rev:
        text += f"; reversed here: {', '.join(rev)}"
    return text + "."
