"""The mask-quality experiment (notebook E12, our own experiment): how much do mask-guided models lose
as their masks get worse?

MPM-LTL's mask-pooling model (ID loss only, Table 1 row 4, as ``ROWS["masks"]``) and MGCAM (RGB-M, eq. 8)
trained with true masks, masks degraded to an IoU, and masks extracted by a
segmenter, each beside its no-mask baseline (MPM: Table 1 row 1; MGCAM: its own
paper's MSCAN RGB, MGCAM Table 2). Choice: degraded/extracted masks replace the
true masks everywhere a model sees them (MGCAM: the input channel *and* the
attention target of eq. 5), which is what a user without ground-truth masks faces.

Rows (:func:`mask_quality_rows`) -> ``run_rows`` -> tidy frame with ``method, source,
mask IoU`` -> :func:`mask_quality_verdicts` (loss from true to the worst IoU, where each
method meets its RGB baseline, paired over seeds), :func:`mask_quality_sentence`,
:func:`mask_quality_curve`.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, NamedTuple, Sequence

import pandas as pd

from reidlib.study.verdict import minimum_detectable_difference, paired_verdict

Row = tuple[str, Mapping[str, Any]]


class MaskMethod(NamedTuple):
    """One method of the experiment: its label, its true-mask row and its RGB baseline's row
    (``(table, row)`` in ``ROWS``), and the baseline's model when it is not the method's own
    network without masks (MGCAM's baseline is MSCAN on RGB, MGCAM Table 2)."""

    label: str
    mask_row: tuple[str, str]
    rgb_row: tuple[str, str]
    rgb_model: str | None = None

    @property
    def rgb_name(self) -> str:
        """The baseline row's name: ``"no mask (RGB)"``, or ``"no mask (MSCAN RGB)"``."""
        return f"no mask ({self.rgb_model} RGB)" if self.rgb_model else RGB_SOURCE


MASK_METHODS: dict[str, MaskMethod] = {
    "mpm": MaskMethod("MPM-LTL", mask_row=("masks", "true masks"), rgb_row=("masks", "no mask (RGB)")),
    "mgcam": MaskMethod("MGCAM", mask_row=("E1", "MGCAM RGB-M"), rgb_row=("E1", "MSCAN RGB"), rgb_model="MSCAN"),
}
#: the ``source`` of every RGB baseline row (its row label names the baseline's model: ``MaskMethod.rgb_name``)
RGB_SOURCE = "no mask (RGB)"


def _with_data(row: Row, dataset: str, data_root: str | None, overrides: Mapping[str, Any] | None,
               **extra: Any) -> Row:
    ov: dict[str, Any] = {**dict(row[1]), **extra}
    if dataset != "synth":
        ov["data.dataset"] = dataset
        if data_root is not None:
            ov["data.root"] = data_root
    ov.update(overrides or {})
    return (row[0], ov)


def _study_masks(dataset: str) -> dict[str, Any]:
    """The masks every paper row of the study has by default (a segmenter's: on SynthReID
    extracted by the default segmenter, on real data the segmenter-written mirror), given to
    the RGB baseline: it reads no mask, but its config then equals its paper table's row
    (E2 row (1), E1 MSCAN RGB), so it resolves to the same runs instead of training them again."""
    from reidlib.masks.segmenters import DEFAULT_SEGMENTER

    return {"data.masks": "extracted", "data.segmenter": DEFAULT_SEGMENTER} if dataset == "synth" \
        else {"data.masks": "true"}


def mask_quality_rows(methods: Sequence[str], ious: Sequence[float], segmenters: Sequence[str] = (),
                      dataset: str = "synth", data_root: str | None = None,
                      overrides: Mapping[str, Any] | None = None) -> tuple[dict[str, Row], pd.DataFrame]:
    """Rows of the mask-quality experiment and a frame describing each one.

    Per method (``mpm``, ``mgcam``): true masks (IoU 1.0), masks degraded to each of ``ious``
    (``data.masks="degraded"``), masks extracted by each segmenter, and the no-mask baseline.
    Labels are ``"<method label>: <source>"`` (the baseline's: ``MaskMethod.rgb_name``, e.g.
    ``"MGCAM: no mask (MSCAN RGB)"``, its ``source`` is ``RGB_SOURCE``); rows equal to ``ROWS``
    entries resolve to the same runs. The frame has ``row, method, source, mask IoU`` (NaN for extracted/RGB).
    """
    from reidlib.study.rows import ROWS

    bad = [m for m in methods if m not in MASK_METHODS]
    if bad:
        raise KeyError(f"unknown mask-quality methods {bad}; valid: {', '.join(MASK_METHODS)}")
    bad_iou = [q for q in ious if not 0.0 < float(q) <= 1.0]
    if bad_iou:
        raise ValueError(f"mask IoUs must be in (0, 1], got {bad_iou}")
    rows: dict[str, Row] = {}
    meta = []
    for m in methods:
        spec = MASK_METHODS[m]
        base = ROWS[spec.mask_row[0]][spec.mask_row[1]]
        entries: list[tuple[str, float, dict[str, Any], Row]] = [("true masks", 1.0, {}, base)]
        entries += [(f"degraded IoU {q}", float(q), {"data.masks": "degraded", "data.mask_iou": float(q)}, base)
                    for q in ious]
        entries += [(f"extracted ({s})", float("nan"), {"data.masks": "extracted", "data.segmenter": s}, base)
                    for s in segmenters]
        entries.append((RGB_SOURCE, float("nan"), _study_masks(dataset), ROWS[spec.rgb_row[0]][spec.rgb_row[1]]))
        for source, iou, extra, row in entries:
            key = f"{spec.label}: {spec.rgb_name if source == RGB_SOURCE else source}"
            rows[key] = _with_data(row, dataset, data_root, overrides, **extra)
            meta.append({"row": key, "method": spec.label, "source": source, "mask IoU": iou})
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


def _vs_rgb(values: pd.Series, rgb: pd.Series, z: float | None) -> tuple[str, float, float]:
    """Per-seed ``values`` against the RGB baseline, paired on their common seeds:
    ``("above RGB" | "below RGB" | "within noise", mean diff, minimum detectable difference)``."""
    common = values.index.intersection(rgb.index)
    verdict, diff, se = paired_verdict(values.loc[common], rgb.loc[common], z)
    mdd = minimum_detectable_difference(se, len(common), z)
    return {"holds": "above RGB", "reversed": "below RGB"}.get(verdict, verdict), diff, mdd


def _pts(x: float) -> float | None:
    return None if math.isnan(x) else round(100 * x, 2)


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
        verdict, diff, mdd = _vs_rgb(at, rgb, z)
        lines.append({"method": method, "metric": metric, "top IoU": hi, "at top (pts)": round(100 * means[hi], 2),
                      "lowest IoU": lo, "at lowest (pts)": round(100 * means[lo], 2),
                      "loss (pts)": round(100 * (means[hi] - means[lo]), 2),
                      "RGB (pts)": round(100 * rgb.mean(), 2), "crosses RGB at": cross,
                      "vs RGB there (pts)": round(100 * diff, 2), "MDD (pts)": _pts(mdd), "verdict vs RGB": verdict})
    return pd.DataFrame(lines)


def extracted_verdicts(tidy: pd.DataFrame, metric: str, z: float | None = None) -> pd.DataFrame:
    """Per method and extracted-mask row (a segmenter's masks, what the papers had): its mean,
    the paired verdict against the RGB baseline, and the **IoU it is worth**: the mask IoU at
    which the true/degraded curve of means reaches the same ``metric`` (linear between swept
    IoUs; ``"< lowest"`` below the curve's lowest point, ``"> top"`` above it). Empty without
    extracted rows."""
    cols = ["method", "source", "metric", "mean (pts)", "vs RGB (pts)", "MDD (pts)", "verdict vs RGB", "worth IoU"]
    lines = []
    for method, sub in tidy.groupby("method", sort=False):
        rgb = sub[sub["source"] == RGB_SOURCE].set_index("seed")[metric]
        means = sub[sub["mask IoU"].notna()].groupby("mask IoU")[metric].mean().sort_index()
        for source in dict.fromkeys(sub.loc[sub["source"].str.startswith("extracted"), "source"]):
            ext = sub[sub["source"] == source].set_index("seed")[metric]
            if ext.index.intersection(rgb.index).empty:
                raise ValueError(f"method {method!r}: {source!r} needs the {RGB_SOURCE!r} baseline at its seeds")
            verdict, diff, mdd = _vs_rgb(ext, rgb, z)
            lines.append({"method": method, "source": source, "metric": metric,
                          "mean (pts)": round(100 * float(ext.mean()), 2), "vs RGB (pts)": round(100 * diff, 2),
                          "MDD (pts)": _pts(mdd), "verdict vs RGB": verdict, "worth IoU": _worth_iou(float(ext.mean()), means)})
    return pd.DataFrame(lines, columns=cols)


def _worth_iou(value: float, means: pd.Series) -> str:
    """The IoU where the curve ``means`` (IoU -> metric, ascending IoU) reaches ``value``."""
    if means.empty:
        return "-"
    if value < means.min():
        return f"< {means.index[0]:g}"
    if value > means.max():
        return f"> {means.index[-1]:g}"
    qs, vs = list(means.index), list(means.values)
    for (q0, v0), (q1, v1) in zip(zip(qs, vs), zip(qs[1:], vs[1:])):
        if min(v0, v1) <= value <= max(v0, v1):
            return f"{q0 + (q1 - q0) * ((value - v0) / (v1 - v0) if v1 != v0 else 0.0):.2f}"
    return f"{qs[-1]:g}"  # a single swept IoU whose mean equals value


def mask_quality_sentence(verdicts: pd.DataFrame, extracted: pd.DataFrame | None = None) -> str:
    """One sentence per method from :func:`mask_quality_verdicts`."""
    parts = []
    for _, r in verdicts.iterrows():
        change = "loses" if r["loss (pts)"] >= 0 else "gains"
        text = (f"{r['method']} {change} {abs(r['loss (pts)']):.1f} pts {r['metric']} from mask IoU {r['top IoU']:g} "
                f"to {r['lowest IoU']:g}; ")
        cross = r["crosses RGB at"]
        if cross is None or (isinstance(cross, float) and math.isnan(cross)):
            text += (f"it stays above the RGB baseline down to IoU {r['lowest IoU']:g} "
                     f"({r['vs RGB there (pts)']:+.1f} pts there, {r['verdict vs RGB']}{_mdd_text(r)}).")
        elif cross == r["top IoU"]:
            text += (f"it is not above the RGB baseline even at IoU {cross:g} "
                     f"({r['vs RGB there (pts)']:+.1f} pts, {r['verdict vs RGB']}{_mdd_text(r)}).")
        else:
            text += (f"it falls to the RGB baseline at IoU {cross:g} "
                     f"({r['vs RGB there (pts)']:+.1f} pts, {r['verdict vs RGB']}{_mdd_text(r)}).")
        parts.append(text)
    for _, r in (extracted if extracted is not None else pd.DataFrame()).iterrows():
        worth = r["worth IoU"]
        worth_txt = (f"worth less than degraded masks at IoU {worth[2:]}" if worth.startswith("<") else
                     f"worth more than masks at IoU {worth[2:]}" if worth.startswith(">") else
                     f"worth degraded masks at IoU {worth}")
        parts.append(f"{r['method']} on masks {r['source']}: {r['mean (pts)']:.1f} pts, "
                     f"{r['vs RGB (pts)']:+.1f} vs RGB ({r['verdict vs RGB']}{_mdd_text(r)}); {worth_txt}.")
    return " ".join(parts)


def _mdd_text(r: Mapping[str, Any]) -> str:
    """``", MDD 4.1 pts"``: the smallest difference the seeds could have detected (none: 1 seed)."""
    mdd = r.get("MDD (pts)")
    return "" if mdd is None or (isinstance(mdd, float) and math.isnan(mdd)) else f", MDD {mdd:.1f} pts"


def mask_quality_curve(tidy: pd.DataFrame, metric: str, title: str = ""):
    """``metric`` against mask IoU, one line per method, its RGB baseline as a dashed line
    (labelled with the baseline's model where it is another one: ``"MGCAM: RGB baseline (MSCAN)"``)."""
    from reidlib.study.plots import curve

    swept = tidy[tidy["mask IoU"].notna()]
    wide = swept.pivot_table(index=["mask IoU", "seed"], columns="method", values=metric).reset_index()
    methods = list(dict.fromkeys(swept["method"]))
    fig = curve(wide, "mask IoU", methods, title=title, xlabel="mask IoU with the true mask")
    ax = fig.axes[0]
    colors = {line.get_label(): line.get_color() for line in ax.get_lines()}
    models = {spec.label: spec.rgb_model for spec in MASK_METHODS.values()}
    for m in methods:
        rgb = tidy[(tidy["method"] == m) & (tidy["source"] == RGB_SOURCE)][metric]
        name = f"{m}: RGB baseline" + (f" ({models[m]})" if models.get(m) else "")
        ax.axhline(100 * rgb.mean(), color=colors.get(m, "grey"), ls="--", lw=1, label=name)
    ax.set_ylabel(f"{metric} (%)")
    ax.legend(frameon=False)
    return fig
