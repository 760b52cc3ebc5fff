import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from reidlib.study.experiments import baseline_differences, column_differences
from reidlib.study.plots import bar_rows, beside_paper, curve, heatmap


def _groups(rows=("0.0-0.3", "0.4-0.7", "0.8-1.0"), seeds=2) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame([{"row": r, "seed": s, "avg/rank1": 0.8 + 0.05 * i + 0.01 * rng.standard_normal(),
                          "avg/mAP": 0.6 + 0.05 * i + 0.01 * rng.standard_normal()}
                         for i, r in enumerate(rows) for s in range(seeds)])


def _covers_data(fig) -> bool:
    """Whether the legend's box on the canvas overlaps any bar, line or band of the axes."""
    fig.canvas.draw()
    ax = fig.axes[0]
    box = ax.get_legend().get_window_extent()
    data = [p.get_window_extent() for p in ax.patches if p.get_width() and p.get_height()]
    data += [ln.get_window_extent() for ln in ax.lines]
    return any(box.overlaps(d) for d in data)


def test_bar_rows_legend_covers_no_bar_and_height_grows() -> None:
    fig = bar_rows(_groups(), ["avg/rank1", "avg/mAP"], title="E3 groups")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["avg/rank1", "avg/mAP"]
    assert not _covers_data(fig)
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1   # right of the axes
    big = bar_rows(_groups(tuple("abcdef")), ["avg/rank1", "avg/mAP"])
    assert big.get_size_inches()[1] > fig.get_size_inches()[1]
    assert "sd" in ax.get_xlabel()
    plt.close("all")


def test_bar_rows_e5_random_bars_are_clear_of_the_legend() -> None:
    # the last row ("random") has the longest bars: the old legend (lower right) sat on them
    t = _groups(("batch hard", "batch all", "semi-hard", "random"), seeds=3)
    t.loc[t["row"] == "random", ["avg/rank1", "avg/mAP"]] = 0.99
    assert not _covers_data(bar_rows(t, ["avg/rank1", "avg/mAP"]))
    plt.close("all")


def test_curve_labels_the_papers_best_and_keeps_the_legend_off_the_data() -> None:
    tidy = pd.DataFrame([{"threshold": x, "seed": s, "avg/mAP": 0.7 - (x - 0.5) ** 2, "avg/rank1": 0.9}
                         for x in np.round(np.arange(0, 1.01, 0.1), 1) for s in range(2)])
    fig = curve(tidy, "threshold", ["avg/rank1", "avg/mAP"], best=0.4)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["avg/rank1", "avg/mAP", "paper's best: 0.4"]
    assert not _covers_data(fig)
    two = curve(tidy, "threshold", ["avg/mAP"], best=[0.5, 0.6])
    assert [t.get_text() for t in two.axes[0].get_legend().get_texts()] == ["avg/mAP", "paper's best: 0.5 / 0.6"]
    assert len(two.axes[0].lines) == 3                    # one curve, two dashed lines
    plt.close("all")


def test_heatmap_and_missing_metric() -> None:
    tidy = pd.DataFrame([{"alpha": a, "lambda": lam, "seed": s, "sq/mAP": 0.1 * a + lam}
                         for a in (0.1, 1.0) for lam in (0.1, 0.5, 1.0) for s in range(2)])
    fig = heatmap(tidy, "alpha", "lambda", "sq/mAP")
    assert [t.get_text() for t in fig.axes[0].texts][:1] == [f"{100 * (0.01 + 0.1):.1f}"]
    with pytest.raises(KeyError, match="available"):
        bar_rows(tidy, ["sq/rank1"])
    plt.close("all")


def test_curve_joins_points_of_series_measured_at_different_steps() -> None:
    """Two families evaluated at other steps (a pivot leaves NaN between): each line joins
    all of its own points, none is broken into isolated markers."""
    tidy = pd.DataFrame({"step": [3, 6, 9, 4, 8, 12], "a": [0.1, 0.2, 0.3] + [np.nan] * 3,
                         "b": [np.nan] * 3 + [0.4, 0.5, 0.6]})
    fig = curve(tidy, "step", ["a", "b"])
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    assert list(lines["a"].get_xdata()) == [3, 6, 9]
    assert list(lines["b"].get_xdata()) == [4, 8, 12]
    assert not np.isnan(np.asarray(lines["b"].get_ydata(), float)).any()
    plt.close(fig)


def test_baseline_differences_by_hand_and_beside_paper() -> None:
    """Ours: paired per-seed differences to the baseline (mean, 95% t half-width); paper: its
    difference; a row the paper lacks is NaN; a missing baseline names the rows."""
    tidy = pd.DataFrame([{"row": r, "seed": s, "sq/mAP": v} for r, vals in
                         {"base": [0.50, 0.60, 0.55], "A": [0.60, 0.66, 0.70], "X": [0.5, 0.6, 0.5]}.items()
                         for s, v in enumerate(vals)])
    paper = {"base": {"SQ mAP": 69.0}, "A": {"SQ mAP": 73.5}}
    d = baseline_differences(tidy, paper, "sq/mAP", "SQ mAP", "base")
    diffs = np.array([10.0, 6.0, 15.0])  # A - base per seed, in points
    half = 4.302652729911275 * diffs.std(ddof=1) / np.sqrt(3)  # t(0.975, 2) * se
    a = d.set_index("row").loc["A"]
    assert a["ours"] == pytest.approx(diffs.mean()) and a["ci"] == pytest.approx(half)
    assert a["paper"] == pytest.approx(4.5) and np.isnan(d.set_index("row").loc["X", "paper"])
    assert d.set_index("row").loc["base", "ours"] == 0.0 and d["seeds"].tolist() == [3, 3, 3]
    with pytest.raises(KeyError, match="baseline row 'nope' is not in the results; rows: \\['base', 'A', 'X'\\]"):
        baseline_differences(tidy, paper, "sq/mAP", "SQ mAP", "nope")
    fig = beside_paper(d, title="E2")
    assert len(fig.axes) == 2 and [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["base", "A", "X"]
    assert any(t.get_text().strip() == "n/a" for t in fig.axes[1].texts)
    plt.close(fig)


def test_column_differences_orders_the_columns_of_one_row_by_hand() -> None:
    """Each column's paired per-seed gain over the baseline column of the same row, beside the
    paper's difference of the same two columns; the baseline column itself is not a line."""
    tidy = pd.DataFrame([{"row": r, "seed": s, "sq/mAP": e, "sq+rr/mAP": rr, "sq@kissme/mAP": k}
                         for r, vals in {"A": [(0.50, 0.60, 0.45), (0.52, 0.61, 0.49), (0.54, 0.66, 0.50)],
                                         "B": [(0.1, 0.2, 0.3)] * 3}.items()
                         for s, (e, rr, k) in enumerate(vals)])
    paper = {"A": {"Eucl": 55.0, "RR": 66.0, "KISSME": 47.5}}
    cols = {"Euclidean": ("sq/mAP", "Eucl"), "RR": ("sq+rr/mAP", "RR"), "KISSME": ("sq@kissme/mAP", "KISSME")}
    d = column_differences(tidy, paper, "A", cols, "Euclidean").set_index("row")
    assert list(d.index) == ["A: RR", "A: KISSME"]
    rr = np.array([10.0, 9.0, 12.0])   # RR - Euclidean per seed, in points
    assert d.loc["A: RR", "ours"] == pytest.approx(rr.mean())
    assert d.loc["A: RR", "ci"] == pytest.approx(4.302652729911275 * rr.std(ddof=1) / np.sqrt(3))
    assert d.loc["A: RR", "paper"] == pytest.approx(11.0) and d.loc["A: KISSME", "paper"] == pytest.approx(-7.5)
    assert d.loc["A: KISSME", "ours"] == pytest.approx(np.mean([-5.0, -3.0, -4.0]))
    assert np.isnan(column_differences(tidy, paper, "B", cols, "Euclidean")["paper"]).all()   # B: not in the paper
    with pytest.raises(KeyError, match="baseline column 'XQDA'"):
        column_differences(tidy, paper, "A", cols, "XQDA")
    with pytest.raises(KeyError, match="row 'C' is not in the results"):
        column_differences(tidy, paper, "C", cols, "Euclidean")

