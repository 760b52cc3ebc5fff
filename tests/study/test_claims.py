import math

import pandas as pd
import pytest

from reidlib.study.claims import (best_value_verdict, claims_against, column_verdicts, grid_labels, paper_grid,
                                  paper_grid_frame, substitute_protocols, verdicts_over_metrics,
                                  widen)


def _tidy() -> pd.DataFrame:
    # rows a, b, c over seeds 0-2
    return pd.DataFrame({
        "row": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
        "seed": [0, 1, 2] * 3,
        "sq/mAP": [0.50, 0.52, 0.51, 0.40, 0.41, 0.43, 0.45, 0.60, 0.30],
        "sq+rr/mAP": [0.70, 0.71, 0.73, 0.60, 0.61, 0.62, 0.10, 0.10, 0.10],
        "sq/rank1": [0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4],
    })


def test_substitute_protocols_reads_rr_for_one_row_only() -> None:
    with pytest.raises(KeyError, match="sq\\+rr/rank1"):  # no source column for sq/rank1
        substitute_protocols(_tidy(), "b", {"sq": "sq+rr"})
    t = _tidy().drop(columns=["sq/rank1"])
    out = substitute_protocols(t, "b", {"sq": "sq+rr"})
    assert out.loc[out["row"] == "b", "sq/mAP"].tolist() == [0.60, 0.61, 0.62]
    assert out.loc[out["row"] == "a", "sq/mAP"].tolist() == [0.50, 0.52, 0.51]
    assert t.loc[t["row"] == "b", "sq/mAP"].tolist() == [0.40, 0.41, 0.43]  # input untouched
    with pytest.raises(KeyError, match="valid rows"):
        substitute_protocols(t, "zzz", {"sq": "sq+rr"})
    with pytest.raises(KeyError, match="mq"):
        substitute_protocols(t, "a", {"mq": "mq+rr"})


def test_verdicts_over_metrics_stacks_one_line_per_metric() -> None:
    v = verdicts_over_metrics(_tidy(), [("a", "b")], ["sq/mAP", "sq+rr/mAP"])
    assert v["metric"].tolist() == ["sq/mAP", "sq+rr/mAP"]
    assert v["verdict"].tolist() == ["holds", "holds"]
    with pytest.raises(KeyError):
        verdicts_over_metrics(_tidy(), [("a", "b")], ["sq@kissme/mAP"])


def test_column_verdicts_against_hand_computed_paired_stats() -> None:
    v = column_verdicts(_tidy(), ["a", "c"], [("sq+rr/mAP", "sq/mAP")])
    # row a: diffs 0.20, 0.19, 0.22 -> mean 0.2033
    diffs = [0.20, 0.19, 0.22]
    mean = sum(diffs) / 3
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / 2)
    assert v.loc[0, "diff (pts)"] == pytest.approx(round(100 * mean, 2))
    assert v.loc[0, "se (pts)"] == pytest.approx(round(100 * sd / math.sqrt(3), 2))
    # minimum detectable difference: Student's t at 2 df (4.303) times the standard error
    assert v.loc[0, "MDD (pts)"] == pytest.approx(round(100 * 4.302653 * sd / math.sqrt(3), 2))
    # row c: diffs -0.35, -0.50, -0.20 -> t = -4.04: not past t(2 df) = 4.30, past a z = 2 screen
    assert v["verdict"].tolist() == ["holds", "within noise"]
    assert column_verdicts(_tidy(), ["a", "c"], [("sq+rr/mAP", "sq/mAP")], z=2.0)["verdict"].tolist() == [
        "holds", "reversed"]
    assert v["paper claims"].tolist() == ["a: sq+rr/mAP > sq/mAP", "c: sq+rr/mAP > sq/mAP"]


def test_best_value_verdict_cases() -> None:
    t = _tidy()
    assert best_value_verdict(t, "a", "sq/mAP").loc[0, "verdict"] == "best here too"
    v = best_value_verdict(t, "b", "sq/mAP").loc[0]
    assert v["best here"] == "a" and v["verdict"] == "beaten by a beyond the seed spread"
    assert v["diff (pts)"] == pytest.approx(round(100 * (0.51 - 0.413333), 2))
    # c is noisy: a's lead over c is within the spread
    assert best_value_verdict(t, "c", "sq/mAP").loc[0, "verdict"] == "within noise of the best here (a)"
    one = t[t["seed"] == 0]
    assert best_value_verdict(one, "b", "sq/mAP").loc[0, "verdict"] == "within noise (1 seed, no test; best here: a)"


def test_grid_labels() -> None:
    g = grid_labels([0.1, 0.15], [0, 2.0, 10])
    assert list(g) == ["alpha 0.1, lambda 0", "alpha 0.1, lambda 2", "alpha 0.1, lambda 10",
                       "alpha 0.15, lambda 0", "alpha 0.15, lambda 2", "alpha 0.15, lambda 10"]
    assert g["alpha 0.15, lambda 2"] == (0.15, 2.0)
    with pytest.raises(ValueError):
        grid_labels([], [1])


def test_paper_grid() -> None:
    keys = grid_labels([0.1], [0, 1])
    paper = paper_grid({(0.1, 0): (89.79, 72.78), (0.1, 5): (1.0, 2.0)}, keys)
    assert paper == {"alpha 0.1, lambda 0": {"R1": 89.79, "mAP": 72.78}}
    f = paper_grid_frame({(0.1, 0): (89.79, 72.78)})
    assert f.loc[0, "alpha"] == 0.1 and f.loc[0, "paper/mAP"] == pytest.approx(0.7278)


def test_widen_prefixes_metrics_per_data_set() -> None:
    t = pd.DataFrame({"row": ["m", "m", "b"], "seed": [0, 0, 0], "data": ["synth", "cuhk01", "synth"],
                      "run_dir": ["x/1", "x/2", "x/3"], "sq/rank1": [0.5, 0.3, 0.4]})
    w = widen(t, "data")
    m = w[w["row"] == "m"].iloc[0]
    assert (m["synth:sq/rank1"], m["cuhk01:sq/rank1"]) == (0.5, 0.3)
    assert math.isnan(w[w["row"] == "b"].iloc[0]["cuhk01:sq/rank1"])
    assert "synth:run_dir" not in w.columns


def test_claims_against_reference_value() -> None:
    keys = grid_labels([0.1, 0.15], [0, 2])
    assert claims_against(keys, 1, 0.0) == [("alpha 0.1, lambda 2", "alpha 0.1, lambda 0"),
                                             ("alpha 0.15, lambda 2", "alpha 0.15, lambda 0")]
    with pytest.raises(KeyError, match="include 0"):
        claims_against(grid_labels([0.1], [1, 2]), 1, 0.0)
