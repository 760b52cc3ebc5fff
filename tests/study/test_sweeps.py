import math

import pandas as pd
import pytest

from reidlib.study.mask_quality import (extracted_verdicts, mask_quality_rows, mask_quality_sentence,
                                       mask_quality_verdicts)
from reidlib.study.sweeps import (THRESHOLD_GROUPS, best_verdict, for_profile, group_means,
                                  query_average, sweep_summary, threshold_group)


def _sweep(values: dict, seeds=(0, 1, 2), x="t") -> pd.DataFrame:
    """values: x -> list of per-seed metric values."""
    return pd.DataFrame([{"row": f"threshold {v}", x: v, "seed": s, "m": vals[i]}
                         for v, vals in values.items() for i, s in enumerate(seeds)])


def test_for_profile() -> None:
    assert for_profile(None, "smoke", [1], [1, 2]) == [1]
    assert for_profile(None, "quick", [1], [1, 2]) == [1, 2]
    assert for_profile((3,), "smoke", [1], [1, 2]) == [3]
    with pytest.raises(ValueError, match="empty"):
        for_profile([], "quick", [1], [2])


def test_threshold_groups() -> None:
    expected = {0.0: "0.0-0.3", 0.3: "0.0-0.3", 0.4: "0.4-0.7", 0.7: "0.4-0.7", 0.8: "0.8-1.0", 1.0: "0.8-1.0"}
    for i in range(11):
        t = i / 10
        g = threshold_group(t)
        lo, hi = THRESHOLD_GROUPS[g]
        assert lo <= t <= hi
        if t in expected:
            assert g == expected[t]
    with pytest.raises(ValueError, match="no group"):
        threshold_group(1.2)


def test_query_average_by_hand() -> None:
    tidy = pd.DataFrame({"row": ["a"], "seed": [0], "sq/mAP": [0.1], "mq/mAP": [0.2], "sq+rr/mAP": [0.3],
                         "mq+rr/mAP": [0.6]})
    assert query_average(tidy, ["mAP"])["avg/mAP"].iloc[0] == pytest.approx(0.3)
    with pytest.raises(KeyError, match="rank1"):
        query_average(tidy, ["rank1"])


def test_group_means_against_loop() -> None:
    vals = {i / 10: [0.01 * i + 0.001 * s for s in range(2)] for i in range(11)}
    tidy = _sweep(vals, seeds=(0, 1))
    g = group_means(tidy, "t", ["m"])
    assert g["row"].unique().tolist() == ["0.0-0.3", "0.4-0.7", "0.8-1.0"]
    for _, r in g.iterrows():
        lo, hi = THRESHOLD_GROUPS[r["row"]]
        members = [vals[t][r["seed"]] for t in vals if lo <= t <= hi]
        assert r["m"] == pytest.approx(sum(members) / len(members))
        assert r["values"] == len(members)


def test_sweep_summary_paired_to_best() -> None:
    # best 0.4; 0.0 clearly below (diffs 0.1, 0.11, 0.09); 1.0 noisy vs best (diffs 0.05, -0.04, 0.02)
    tidy = _sweep({0.0: [0.4, 0.4, 0.42], 0.4: [0.5, 0.51, 0.51], 1.0: [0.45, 0.55, 0.49]})
    s = sweep_summary(tidy, "t", "m").set_index("t")
    assert s.loc[0.4, "verdict"] == "best"
    assert s.loc[0.0, "verdict"] == "below best"
    assert s.loc[1.0, "verdict"] == "within noise of best"
    assert s.loc[0.0, "vs best (pts)"] == pytest.approx(-10.0)
    assert s.loc[0.4, "mean"] == pytest.approx(100 * (0.5 + 0.51 + 0.51) / 3, abs=0.01)
    # MDD by hand: 1.0 vs best, paired diffs 0.05, -0.04, 0.02 -> sd 0.04583, se = sd / sqrt(3),
    # t(0.975, 2 df) = 4.3027; the best line has none
    se = 0.0458258 / 3 ** 0.5
    assert s.loc[1.0, "MDD (pts)"] == pytest.approx(100 * 4.3027 * se, abs=0.01)
    assert s.loc[1.0, "se (pts)"] == pytest.approx(100 * se, abs=0.01)
    assert pd.isna(s.loc[0.4, "MDD (pts)"])


def test_best_verdict_cases() -> None:
    tidy = _sweep({0.0: [0.4, 0.4, 0.42], 0.4: [0.5, 0.51, 0.51], 1.0: [0.45, 0.55, 0.49]})
    v, sentence = best_verdict(tidy, "t", "m", 0.4)
    assert v == "within noise" and "1.0 (-1.0, MDD 11.4 pts) within noise" in sentence  # not below 0.4 beyond the spread
    assert best_verdict(tidy, "t", "m", [1.0, 0.4])[0] == "holds"  # the paper's ties are not rivals
    clear = _sweep({0.0: [0.4, 0.4, 0.42], 0.4: [0.5, 0.51, 0.51]})
    assert best_verdict(clear, "t", "m", 0.4)[0] == "holds"
    v, sentence = best_verdict(tidy, "t", "m", 0.0, name="threshold")
    assert v == "does not hold" and "10.0 pts lower" in sentence and sentence.startswith("threshold")
    v, sentence = best_verdict(tidy, "t", "m", 1.0)
    assert v == "within noise" and "1.0 is 1.0 pts lower" in sentence and "MDD 11.4 pts" in sentence
    assert best_verdict(tidy, "t", "m", 0.7)[0] == "not tested"
    tie = _sweep({0.0: [0.5, 0.5, 0.5], 0.4: [0.5, 0.5, 0.5]})
    assert best_verdict(tie, "t", "m", 0.4)[0] == "within noise"
    assert best_verdict(tie, "t", "m", [0.0, 0.4])[0] == "holds"
    one_seed = _sweep({0.0: [0.3], 0.4: [0.5]}, seeds=(0,))
    v, sentence = best_verdict(one_seed, "t", "m", 0.0)
    assert v == "within noise" and "1 seed" in sentence
    v, sentence = best_verdict(one_seed, "t", "m", 0.4)
    assert v == "within noise" and "same best" in sentence and "1 seed" in sentence


def test_mask_quality_rows_match_engine_rows() -> None:
    from reidlib.study.rows import ROWS

    rows, meta = mask_quality_rows(["mpm", "mgcam"], [0.9, 0.5], ["reidlib_fcn"])
    assert len(rows) == 2 * (1 + 2 + 1 + 1) == len(meta)
    assert rows["MPM-LTL: true masks"] == ROWS["masks"]["true masks"]
    assert rows["MPM-LTL: degraded IoU 0.9"] == ROWS["masks"]["degraded IoU 0.9"]
    assert rows["MPM-LTL: extracted (reidlib_fcn)"] == ROWS["masks"]["extracted (reidlib_fcn)"]
    fcn = {"data.masks": "extracted", "data.segmenter": "reidlib_fcn"}  # the study's default masks
    assert rows["MPM-LTL: no mask (RGB)"] == ("mpm_ltl", {**ROWS["masks"]["no mask (RGB)"][1], **fcn})
    # the RGB baselines are the very runs of their paper tables' rows (E2 row (1), E1 MSCAN RGB),
    # as an E2 / E1 notebook resolves them with its default masks: nothing trains twice
    from reidlib.engine.experiment import resolve_config
    from reidlib.engine.runs import run_id

    for mine, (eid, label) in (("MPM-LTL: no mask (RGB)", ("E2", "(1) baseline RGB")),
                               ("MGCAM: no mask (MSCAN RGB)", ("E1", "MSCAN RGB"))):
        exp, ov = ROWS[eid][label][:2]
        assert rows[mine][0] == exp
        assert run_id(resolve_config(exp, "quick", rows[mine][1], 0)) == run_id(resolve_config(exp, "quick", {**fcn, **ov}, 0))
    assert rows["MGCAM: true masks"] == ROWS["E1"]["MGCAM RGB-M"]
    assert rows["MGCAM: degraded IoU 0.5"] == ("mgcam", {"data.masks": "degraded", "data.mask_iou": 0.5})
    m = meta.set_index("row")
    assert m.loc["MGCAM: true masks", "mask IoU"] == 1.0
    assert math.isnan(m.loc["MGCAM: no mask (MSCAN RGB)", "mask IoU"])
    # MGCAM's baseline is another model's row (MSCAN RGB), named so; its role (source) is every baseline's
    assert (m.loc["MGCAM: no mask (MSCAN RGB)", "source"], m.loc["MPM-LTL: no mask (RGB)", "source"]) == \
        ("no mask (RGB)", "no mask (RGB)")
    assert "MGCAM: no mask (RGB)" not in rows
    real, _ = mask_quality_rows(["mpm"], [0.7], dataset="market1501", data_root="d", overrides={"x": 1})
    assert all(ov["data.dataset"] == "market1501" and ov["data.root"] == "d" and ov["x"] == 1
               for _, ov in real.values())
    with pytest.raises(KeyError, match="valid: mpm, mgcam"):
        mask_quality_rows(["nope"], [0.7])
    with pytest.raises(ValueError, match="IoU"):
        mask_quality_rows(["mpm"], [1.5])


def test_mask_quality_verdicts_by_hand() -> None:
    lines = []
    # method A: 1.0 -> 0.5, 0.9 -> 0.45, 0.5 -> 0.3, RGB 0.4: crosses at 0.5; B never crosses
    for method, curve, rgb in [("A", {1.0: 0.5, 0.9: 0.45, 0.5: 0.3}, 0.4), ("B", {1.0: 0.6, 0.5: 0.55}, 0.4)]:
        for s in (0, 1):
            for q, v in curve.items():
                lines.append({"method": method, "source": "x", "mask IoU": q, "seed": s, "m": v + 0.01 * s})
            lines.append({"method": method, "source": "no mask (RGB)", "mask IoU": float("nan"), "seed": s,
                          "m": rgb + 0.02 * s})
    v = mask_quality_verdicts(pd.DataFrame(lines), "m").set_index("method")
    assert v.loc["A", "loss (pts)"] == pytest.approx(20.0)
    assert v.loc["A", "crosses RGB at"] == 0.5
    assert v.loc["A", "vs RGB there (pts)"] == pytest.approx(-10.5)
    assert pd.isna(v.loc["B", "crosses RGB at"])
    assert v.loc["B", "verdict vs RGB"] == "above RGB"
    text = mask_quality_sentence(v.reset_index())
    assert "A loses 20.0 pts m" in text and "at IoU 0.5" in text and "stays above" in text
    low = v.reset_index().assign(**{"crosses RGB at": 1.0})
    assert "not above the RGB baseline even at IoU 1" in mask_quality_sentence(low)


def test_extracted_masks_are_placed_on_the_degraded_curve_by_hand() -> None:
    """Curve 1.0 -> 0.8, 0.5 -> 0.6; RGB 0.5. Segmenter a at 0.7 is worth IoU 0.75 (halfway);
    b at 0.55 is below the curve's lowest point; c at 0.9 above its top."""
    lines = []
    for s in (0, 1, 2):
        for q, v in {1.0: 0.8, 0.5: 0.6}.items():
            lines.append({"method": "M", "source": "x", "mask IoU": q, "seed": s, "m": v})
        lines.append({"method": "M", "source": "no mask (RGB)", "mask IoU": float("nan"), "seed": s, "m": 0.5})
        for seg, v, jitter in (("a", 0.7, 0.01), ("b", 0.55, 0.04), ("c", 0.9, 0.0)):
            lines.append({"method": "M", "source": f"extracted ({seg})", "mask IoU": float("nan"), "seed": s,
                          "m": v + jitter * (s - 1)})
    ext = extracted_verdicts(pd.DataFrame(lines), "m").set_index("source")
    assert ext["worth IoU"].to_dict() == {"extracted (a)": "0.75", "extracted (b)": "< 0.5", "extracted (c)": "> 1"}
    assert ext.loc["extracted (a)", "mean (pts)"] == pytest.approx(70.0)
    assert ext.loc["extracted (a)", "vs RGB (pts)"] == pytest.approx(20.0)
    assert ext.loc["extracted (a)", "verdict vs RGB"] == "above RGB"
    # b: +5 pts, but seeds spread 0.51 / 0.55 / 0.59 against a flat 0.5: t = 0.05 / (0.04 / sqrt 3) = 2.2 < 4.3
    assert ext.loc["extracted (b)", "verdict vs RGB"] == "within noise"
    v = mask_quality_verdicts(pd.DataFrame(lines), "m")
    text = mask_quality_sentence(v, ext.reset_index())
    # MDD = t(0.975, 2) * se: a: 4.3027 * 0.01 / sqrt 3 = 2.48 pts; b: 4.3027 * 0.04 / sqrt 3 = 9.94 pts
    assert ext.loc["extracted (a)", "MDD (pts)"] == pytest.approx(2.48, abs=0.01)
    assert ext.loc["extracted (b)", "MDD (pts)"] == pytest.approx(9.94, abs=0.01)
    assert "M on masks extracted (a): 70.0 pts, +20.0 vs RGB (above RGB, MDD 2.5 pts); worth degraded masks at IoU 0.75." in text
    assert "worth less than degraded masks at IoU 0.5" in text and "worth more than masks at IoU 1" in text
    assert extracted_verdicts(pd.DataFrame([r for r in lines if not r["source"].startswith("extracted")]), "m").empty


def test_mask_quality_curve_draws_baselines() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from reidlib.study.mask_quality import mask_quality_curve

    lines = [{"method": m, "source": src, "mask IoU": q, "seed": 0, "m": v}
             for m in ("A", "MGCAM") for src, q, v in [("true masks", 1.0, 0.5), ("degraded IoU 0.7", 0.7, 0.4),
                                                       ("no mask (RGB)", float("nan"), 0.45)]]
    fig = mask_quality_curve(pd.DataFrame(lines), "m")
    ax = fig.axes[0]
    hlines = [ln for ln in ax.get_lines() if "RGB baseline" in ln.get_label()]
    assert [ln.get_ydata()[0] for ln in hlines] == pytest.approx([45.0, 45.0])
    # MGCAM's baseline is MSCAN's network (MGCAM Table 2), and its legend says so
    assert [ln.get_label() for ln in hlines] == ["A: RGB baseline", "MGCAM: RGB baseline (MSCAN)"]
    curves = {ln.get_label(): list(ln.get_ydata()) for ln in ax.get_lines() if ln.get_label() in ("A", "MGCAM")}
    assert curves["A"] == pytest.approx([40.0, 50.0])
