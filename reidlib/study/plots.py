"""The study's plot shapes: bars per row, curves over a swept value, a heatmap grid, and each
row's gain over a baseline beside the paper's (:func:`beside_paper`).

Each takes the tidy results of :func:`reidlib.study.experiments.run_rows`
(fractions in [0, 1], one line per row and seed) and returns a matplotlib
figure drawn in the study's style; notebooks save it with
:func:`reidlib.study.figures.save_figure`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from reidlib.study.figures import set_style


def _long(tidy: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    missing = [m for m in metrics if m not in tidy.columns]
    if missing:
        raise KeyError(f"metrics {missing} not in the results; available: "
                       f"{[c for c in tidy.columns if '/' in c]}")
    long = tidy.melt(id_vars=[c for c in tidy.columns if c not in metrics], value_vars=list(metrics),
                     var_name="metric", value_name="value")
    long["value"] = 100.0 * long["value"]
    return long


def _legend_outside(ax, **kwargs) -> None:
    """The legend to the right of the axes, where it covers no data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False, **kwargs)


def bar_rows(tidy: pd.DataFrame, metrics: Sequence[str], title: str = "", order: Sequence[str] | None = None):
    """Grouped bars (mean over seeds, standard-deviation error bars) of ``metrics`` per row.

    The legend sits right of the axes (over no bar); the height grows with rows x metrics.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    set_style()
    long = _long(tidy, metrics)
    order = list(order) if order is not None else list(dict.fromkeys(tidy["row"]))
    height = 1.1 + len(order) * (0.18 * len(metrics) + 0.22)
    fig, ax = plt.subplots(figsize=(6.0, max(2.4, height)))
    sns.barplot(data=long, y="row", x="value", hue="metric", order=order, errorbar="sd", ax=ax,
                orient="h", err_kws={"linewidth": 1})
    ax.set_xlabel("% (mean \u00b1 1 sd over seeds)")
    ax.set_ylabel("")
    ax.set_title(title)
    _legend_outside(ax)
    fig.tight_layout()
    return fig


def curve(tidy: pd.DataFrame, x: str, metrics: Sequence[str], title: str = "", xlabel: str | None = None,
          best: float | Sequence[float] | None = None):
    """Mean ± std of ``metrics`` against the swept column ``x``; ``best`` marks the paper's optimum.

    ``best`` (one value or several, ties in the paper) is drawn as a dashed line labelled
    "paper's best: <value>" in the legend, which sits right of the axes.
    """
    import matplotlib.pyplot as plt

    set_style()
    fig, ax = plt.subplots(figsize=(6.0, 3.0))
    for m in metrics:
        # rows not measured at some x (e.g. families evaluated at other steps) leave no gap
        g = tidy.dropna(subset=[m]).groupby(x)[m].agg(["mean", "std"]).sort_index()
        mean, sd = 100 * g["mean"].to_numpy(), 100 * np.nan_to_num(g["std"].to_numpy())
        ax.plot(g.index, mean, marker="o", label=m)
        ax.fill_between(g.index, mean - sd, mean + sd, alpha=0.2)
    bests = [best] if isinstance(best, (int, float)) else list(best or [])
    for i, b in enumerate(bests):
        ax.axvline(b, color="grey", ls="--", lw=1,
                   label=f"paper's best: {' / '.join(f'{v:g}' for v in bests)}" if i == 0 else "_nolegend_")
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel("% (mean \u00b1 1 sd over seeds)")
    ax.set_title(title)
    _legend_outside(ax)
    fig.tight_layout()
    return fig


def heatmap(tidy: pd.DataFrame, rows: str, cols: str, metric: str, title: str = ""):
    """Mean over seeds of ``metric`` on a ``rows`` x ``cols`` grid, annotated (percent)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    set_style()
    grid = tidy.groupby([rows, cols])[metric].mean().unstack(cols) * 100.0
    fig, ax = plt.subplots(figsize=(1.0 + 0.8 * grid.shape[1], 0.8 + 0.6 * grid.shape[0]))
    sns.heatmap(grid, annot=True, fmt=".1f", cmap="viridis", cbar_kws={"label": f"{metric} (%)"}, ax=ax)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def beside_paper(diffs: pd.DataFrame, title: str = "", metric: str = "SQ mAP", ours: str = "ours (SynthReID)",
                 paper: str = "paper"):
    """Two panels sharing the rows: our gain over the baseline row (points, mean of the paired
    per-seed differences with their 95% t-interval) and the paper's gain over its baseline, each
    on its own scale with zero marked, so the two orderings are read side by side although the
    absolute numbers cannot be compared. ``diffs``: :func:`reidlib.study.experiments.baseline_differences`.
    A row the paper lacks shows "n/a" in the paper's panel.
    """
    import matplotlib.pyplot as plt

    missing = [c for c in ("row", "ours", "ci", "paper") if c not in diffs.columns]
    if missing:
        raise KeyError(f"diffs lacks columns {missing}: pass reidlib.study.experiments.baseline_differences(...)")
    set_style()
    rows = list(diffs["row"])
    y = np.arange(len(rows))[::-1]
    fig, (a, b) = plt.subplots(1, 2, sharey=True, figsize=(7.5, 1.0 + 0.38 * len(rows)))
    for ax, col, label, colour in ((a, "ours", ours, "C0"), (b, "paper", paper, "C3")):
        vals = diffs[col].to_numpy(dtype=float)
        err = np.nan_to_num(diffs["ci"].to_numpy(dtype=float)) if col == "ours" else None
        ax.barh(y, np.nan_to_num(vals), xerr=err, color=colour, alpha=0.8, error_kw={"linewidth": 1})
        for yi, v in zip(y, vals):
            if np.isnan(v):
                ax.text(0, yi, " n/a", va="center", fontsize=8, color="grey")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel(f"{metric} gain over the baseline (points)")
    a.set_yticks(y, rows)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
