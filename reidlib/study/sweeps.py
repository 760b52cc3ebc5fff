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

The mask-quality experiment (issue 7) is built here too: MPM-LTL's mask-pooling
model (ID loss only, Table 1 row 4, as ``ROWS["masks"]``) and MGCAM (RGB-M, eq. 8)
trained with true masks, masks degraded to an IoU, and masks extracted by a
segmenter, each beside its no-mask baseline (MPM: Table 1 row 1; MGCAM: its own
paper's MSCAN RGB, MGCAM Table 2). Choice: degraded/extracted masks replace the
true masks everywhere a model sees them (MGCAM: the input channel *and* the
attention target of eq. 5), which is what a user without ground-truth masks faces.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from reidlib.study.verdict import paired_verdict

Row = tuple[str, Mapping[str, Any]]

#: MPM-LTL Fig. 8: the three threshold groups (inclusive bounds)
THRESHOLD_GROUPS: dict[str, tuple[float, float]] = {"0.0-0.3": (0.0, 0.3), "0.4-0.7": (0.4, 0.7),
                                                    "0.8-1.0": (0.8, 1.0)}
#: MPM-LTL Fig. 7-8 average "the different query patterns"
QUERY_PATTERNS: tuple[str, ...] = ("sq", "mq", "sq+rr", "mq+rr")
#: mask-quality methods: name -> (label, mask row source in ROWS, RGB baseline source in ROWS)
MASK_METHODS: dict[str, tuple[str, tuple[str, str], tuple[str, str]]] = {
    "mpm": ("MPM-LTL", ("masks", "true masks"), ("masks", "no mask (RGB)")),
    "mgcam": ("MGCAM", ("E1", "MGCAM RGB-M"), ("E1", "MSCAN RGB")),
}
RGB_SOURCE = "no mask (RGB)"


def for_profile(values: Sequence[Any] | None, profile: str, smoke: Sequence[Any],
                default: Sequence[Any], quick: Sequence[Any] | None = None) -> list[Any]:
    """``values`` if given, else ``smoke`` at the smoke profile, ``quick`` (if given) at the
    quick profile (the 30-minute study samples the sweep more coarsely) and ``default`` otherwise."""
    if values is not None:
        values = list(values)
        if not values:
            raise ValueError("an empty sweep was given; pass None for the profile's default values")
        return values
    if profile == "quick" and quick is not None:
        return list(quick)
    return list(smoke if profile == "smoke" else default)


def pick_rows(rows: Mapping[str, Row], labels: Sequence[str]) -> dict[str, Row]:
    """The rows named by ``labels`` in that order; an unknown label lists the valid ones."""
    missing = [lab for lab in labels if lab not in rows]
    if missing:
        raise KeyError(f"rows {missing} do not exist; valid: {', '.join(rows)}")
    return {lab: rows[lab] for lab in labels}


def label_value(label: str) -> float:
    """The number a row label ends with: ``"threshold 0.4"`` -> 0.4, ``"k = 18"`` -> 18.0."""
    found = re.findall(r"-?\d+(?:\.\d+)?", str(label))
    if not found:
        raise ValueError(f"row label {label!r} carries no number; sweep labels look like 'threshold 0.4' or 'k = 6'")
    return float(found[-1])


def with_value(tidy: pd.DataFrame, column: str, parse: Callable[[str], Any] = label_value) -> pd.DataFrame:
    """A copy of ``tidy`` with ``column`` = ``parse(row label)`` (the swept value)."""
    out = tidy.copy()
    out[column] = [parse(r) for r in out["row"]]
    return out


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

    Columns: ``x, seeds, mean, std, vs best (pts), se (pts), verdict`` where verdict is
    ``best``, ``below best`` (paired t-test p < 0.05, or beyond an explicit ``z``) or ``within noise of best``.
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
            verdict, diff, se = "best", 0.0, float("nan")
        else:
            verdict, diff, se = paired_verdict(b.loc[common], v.loc[common], z)
            verdict = "below best" if verdict == "holds" else "within noise of best"
        lines.append({x: value, "seeds": int(st["count"]), "mean": round(100 * st["mean"], 2),
                      "std": round(100 * (0.0 if math.isnan(st["std"]) else st["std"]), 2),
                      "vs best (pts)": round(-100 * diff, 2),
                      "se (pts)": None if math.isnan(se) else round(100 * se, 2), "verdict": verdict})
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
        seeds = "1 seed" if summary["seeds"].min() < 2 else "the seed spread"
        near = ", ".join(str(v) for v in rivals[x])
        return "within noise", f"{head}: same best, but {near} within noise of it ({seeds})."
    top = tested.sort_values("mean", ascending=False).iloc[0]
    gap = f"{top[x]} is {-top['vs best (pts)']:.1f} pts lower"
    if top["verdict"] == "below best":
        return "does not hold", f"{head}: does not hold ({gap}, beyond the seed spread)."
    seeds = "1 seed" if top["seeds"] < 2 else "within the seed spread"
    return "within noise", f"{head}: within noise ({gap}, {seeds})."


def _with_data(row: Row, dataset: str, data_root: str | None, overrides: Mapping[str, Any] | None,
               **extra: Any) -> Row:
    ov: dict[str, Any] = {**dict(row[1]), **extra}
    if dataset != "synth":
        ov["data.dataset"] = dataset
        if data_root is not None:
            ov["data.root"] = data_root
    ov.update(overrides or {})
    return (row[0], ov)


def mask_quality_rows(methods: Sequence[str], ious: Sequence[float], segmenters: Sequence[str] = (),
                      dataset: str = "synth", data_root: str | None = None,
                      overrides: Mapping[str, Any] | None = None) -> tuple[dict[str, Row], pd.DataFrame]:
    """Rows of the mask-quality experiment and a frame describing each one.

    Per method (``mpm``, ``mgcam``): true masks (IoU 1.0), masks degraded to each of ``ious``
    (``data.masks="degraded"``), masks extracted by each segmenter, and the no-mask baseline.
    Labels are ``"<method label>: <source>"``; rows equal to ``ROWS`` entries resolve to
    the same runs. The frame has ``row, method, source, mask IoU`` (NaN for extracted/RGB).
    """
    from reidlib.engine.rows import ROWS

    bad = [m for m in methods if m not in MASK_METHODS]
    if bad:
        raise KeyError(f"unknown mask-quality methods {bad}; valid: {', '.join(MASK_METHODS)}")
    bad_iou = [q for q in ious if not 0.0 < float(q) <= 1.0]
    if bad_iou:
        raise ValueError(f"mask IoUs must be in (0, 1], got {bad_iou}")
    rows: dict[str, Row] = {}
    meta = []
    for m in methods:
        label, (eid, true_row), (beid, rgb_row) = MASK_METHODS[m]
        base = ROWS[eid][true_row]
        entries: list[tuple[str, float, dict[str, Any], Row]] = [("true masks", 1.0, {}, base)]
        entries += [(f"degraded IoU {q}", float(q), {"data.masks": "degraded", "data.mask_iou": float(q)}, base)
                    for q in ious]
        entries += [(f"extracted ({s})", float("nan"), {"data.masks": "extracted", "data.segmenter": s}, base)
                    for s in segmenters]
        entries.append((RGB_SOURCE, float("nan"), {}, ROWS[beid][rgb_row]))
        for source, iou, extra, row in entries:
            key = f"{label}: {source}"
            rows[key] = _with_data(row, dataset, data_root, overrides, **extra)
            meta.append({"row": key, "method": label, "source": source, "mask IoU": iou})
    return rows, pd.DataFrame(meta)


def available_segmenters(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split segmenter names into those that build here and notes on those that do not."""
    ok, notes = [], []
    try:
        from reidlib.masks import build_segmenter
    except Exception as exc:  # noqa: BLE001 - any import failure means "skip the row"
        return [], [f"skipped extracted masks {list(names)}: reidlib.masks unavailable ({exc})"]
    for name in names:
        try:
            build_segmenter(name)
            ok.append(name)
        except Exception as exc:  # noqa: BLE001
            notes.append(f"skipped extracted masks ({name}): {type(exc).__name__}: {exc}")
    return ok, notes


def mask_quality_verdicts(tidy: pd.DataFrame, metric: str, z: float | None = None) -> pd.DataFrame:
    """Per method: loss from true masks to the worst IoU, and where it meets the RGB baseline.

    ``tidy`` carries ``method, source, mask IoU`` (from :func:`mask_quality_rows`' frame).
    ``crosses RGB at`` is the highest swept IoU whose mean is not above the RGB baseline's
    mean (None: stays above down to the lowest IoU); the paired verdict there is reported.
    """
    lines = []
    for method, sub in tidy.groupby("method", sort=False):
        swept = sub[sub["mask IoU"].notna()]
        rgb = sub[sub["source"] == RGB_SOURCE].set_index("seed")[metric]
        if swept.empty or rgb.empty:
            raise ValueError(f"method {method!r} needs true/degraded rows and the {RGB_SOURCE!r} baseline")
        means = swept.groupby("mask IoU")[metric].mean().sort_index(ascending=False)
        hi, lo = means.index[0], means.index[-1]
        below = [q for q in means.index if means[q] <= rgb.mean()]
        cross = below[0] if below else None
        at = swept[swept["mask IoU"] == (cross if cross is not None else lo)].set_index("seed")[metric]
        common = at.index.intersection(rgb.index)
        verdict, diff, _ = paired_verdict(at.loc[common], rgb.loc[common], z)
        verdict = {"holds": "above RGB", "reversed": "below RGB"}.get(verdict, verdict)
        lines.append({"method": method, "metric": metric, "top IoU": hi, "at top (pts)": round(100 * means[hi], 2),
                      "lowest IoU": lo, "at lowest (pts)": round(100 * means[lo], 2),
                      "loss (pts)": round(100 * (means[hi] - means[lo]), 2),
                      "RGB (pts)": round(100 * rgb.mean(), 2), "crosses RGB at": cross,
                      "vs RGB there (pts)": round(100 * diff, 2), "verdict vs RGB": verdict})
    return pd.DataFrame(lines)


def mask_quality_sentence(verdicts: pd.DataFrame) -> str:
    """One sentence per method from :func:`mask_quality_verdicts`."""
    parts = []
    for _, r in verdicts.iterrows():
        change = "loses" if r["loss (pts)"] >= 0 else "gains"
        text = (f"{r['method']} {change} {abs(r['loss (pts)']):.1f} pts {r['metric']} from mask IoU {r['top IoU']:g} "
                f"to {r['lowest IoU']:g}; ")
        cross = r["crosses RGB at"]
        if cross is None or (isinstance(cross, float) and math.isnan(cross)):
            text += (f"it stays above the RGB baseline down to IoU {r['lowest IoU']:g} "
                     f"({r['vs RGB there (pts)']:+.1f} pts there, {r['verdict vs RGB']}).")
        elif cross == r["top IoU"]:
            text += (f"it is not above the RGB baseline even at IoU {cross:g} "
                     f"({r['vs RGB there (pts)']:+.1f} pts, {r['verdict vs RGB']}).")
        else:
            text += (f"it falls to the RGB baseline at IoU {cross:g} "
                     f"({r['vs RGB there (pts)']:+.1f} pts, {r['verdict vs RGB']}).")
        parts.append(text)
    return " ".join(parts)


def mask_quality_curve(tidy: pd.DataFrame, metric: str, title: str = ""):
    """``metric`` against mask IoU, one line per method, its RGB baseline as a dashed line."""
    from reidlib.study.plots import curve

    swept = tidy[tidy["mask IoU"].notna()]
    wide = swept.pivot_table(index=["mask IoU", "seed"], columns="method", values=metric).reset_index()
    methods = list(dict.fromkeys(swept["method"]))
    fig = curve(wide, "mask IoU", methods, title=title, xlabel="mask IoU with the true mask")
    ax = fig.axes[0]
    colors = {line.get_label(): line.get_color() for line in ax.get_lines()}
    for m in methods:
        rgb = tidy[(tidy["method"] == m) & (tidy["source"] == RGB_SOURCE)][metric]
        ax.axhline(100 * rgb.mean(), color=colors.get(m, "grey"), ls="--", lw=1, label=f"{m}: RGB baseline")
    ax.set_ylabel(f"{metric} (%)")
    ax.legend(frameon=False)
    return fig
