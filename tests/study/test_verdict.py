import pandas as pd
import pytest

from reidlib.study.verdict import headline, ordering_verdicts, paired_verdict, summarise


def test_paired_verdict_cases() -> None:
    assert paired_verdict([0.6, 0.62, 0.61], [0.5, 0.51, 0.52])[0] == "holds"
    assert paired_verdict([0.5, 0.51, 0.52], [0.6, 0.62, 0.61])[0] == "reversed"
    assert paired_verdict([0.6, 0.4, 0.5], [0.5, 0.5, 0.5])[0] == "within noise"
    v, mean, _ = paired_verdict([0.7], [0.6])
    assert v.startswith("within noise (1 seed: higher") and mean == pytest.approx(0.1)
    with pytest.raises(ValueError):
        paired_verdict([1.0, 2.0], [1.0])


def test_paired_verdict_standard_error_by_hand() -> None:
    # diffs 0.1, 0.3 -> mean 0.2, sd 0.1414, se 0.1 -> t = 2.0
    v, mean, se = paired_verdict([0.6, 0.8], [0.5, 0.5], z=1.9)
    assert (v, round(mean, 6), round(se, 6)) == ("holds", 0.2, 0.1)
    assert paired_verdict([0.6, 0.8], [0.5, 0.5], z=2.1)[0] == "within noise"


def test_ordering_table_and_headline() -> None:
    tidy = pd.DataFrame({"row": ["a", "a", "b", "b"], "seed": [0, 1, 0, 1], "mAP": [0.9, 0.91, 0.5, 0.52],
                         "rank1": [1, 1, 0.5, 0.6]})
    t = ordering_verdicts(tidy, [("a", "b"), ("b", "a")])
    assert t["verdict"].tolist() == ["holds", "reversed"]
    assert headline(t) == "1 of 2 of the paper's orderings hold beyond the seed spread; reversed here: b > a."
    s = summarise(tidy)
    assert s.loc[0, "mAP"] == "90.5 ± 0.7"
