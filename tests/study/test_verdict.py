import pandas as pd
import pytest

from reidlib.study.verdict import headline, ordering_verdicts, paired_verdict, summarise


def test_paired_verdict_cases() -> None:
    assert paired_verdict([0.6, 0.62, 0.61], [0.5, 0.51, 0.52])[0] == "holds"
    assert paired_verdict([0.5, 0.51, 0.52], [0.6, 0.62, 0.61])[0] == "reversed"
    assert paired_verdict([0.6, 0.4, 0.5], [0.5, 0.5, 0.5])[0] == "within noise"
    v, mean, _ = paired_verdict([0.7], [0.6])
    assert v == "within noise (1 seed, no test)" and mean == pytest.approx(0.1)
    # a difference shown as 0.0 points reads "equal", never "higher"
    assert paired_verdict([0.7 + 1e-9], [0.7])[0] == "equal (1 seed, no test)"
    assert paired_verdict([0.6, 0.7], [0.6, 0.7])[0] == "equal"
    with pytest.raises(ValueError):
        paired_verdict([1.0, 2.0], [1.0])


def test_paired_verdict_standard_error_by_hand() -> None:
    # diffs 0.1, 0.3 -> mean 0.2, sd 0.1414, se 0.1 -> t = 2.0
    v, mean, se = paired_verdict([0.6, 0.8], [0.5, 0.5], z=1.9)
    assert (v, round(mean, 6), round(se, 6)) == ("holds", 0.2, 0.1)
    assert paired_verdict([0.6, 0.8], [0.5, 0.5], z=2.1)[0] == "within noise"


def test_default_threshold_is_the_paired_t_test() -> None:
    from scipy.stats import ttest_rel

    from reidlib.study.verdict import critical_value

    assert critical_value(2) == pytest.approx(12.706, abs=1e-3)
    assert critical_value(3) == pytest.approx(4.303, abs=1e-3)
    assert critical_value(5, z=2.0) == 2.0
    with pytest.raises(ValueError):
        critical_value(1)
    # t = 2 with 2 seeds (p = 0.30) is noise; the same t with many seeds holds
    assert paired_verdict([0.6, 0.8], [0.5, 0.5])[0] == "within noise"
    rng = __import__("numpy").random.default_rng(0)
    for n in (2, 3, 4, 6):
        for _ in range(200):
            b, w = rng.normal(0.5, 0.1, n), rng.normal(0.45, 0.1, n)
            v = paired_verdict(b, w)[0]
            p = ttest_rel(b, w).pvalue
            expect = "within noise" if p >= 0.05 else ("holds" if b.mean() > w.mean() else "reversed")
            if abs(p - 0.05) > 1e-9:
                assert v == expect, (n, p, v)


def test_ordering_table_and_headline() -> None:
    tidy = pd.DataFrame({"row": ["a", "a", "a", "b", "b", "b"], "seed": [0, 1, 2, 0, 1, 2],
                         "mAP": [0.9, 0.91, 0.92, 0.5, 0.52, 0.51], "rank1": [1, 1, 1, 0.5, 0.6, 0.5]})
    t = ordering_verdicts(tidy, [("a", "b"), ("b", "a")])
    assert t["verdict"].tolist() == ["holds", "reversed"]
    # paired differences 0.40, 0.39, 0.41: sd 0.01, MDD = 4.303 * 0.01 / sqrt(3) = 2.48 points
    assert headline(t) == ("1 of 2 of the paper's orderings hold beyond the seed spread (paired t-test, p < 0.05) "
                           "(smallest detectable difference 2.5 pts, median); reversed here: b > a.")
    s = summarise(tidy)
    assert s.loc[0, "mAP"] == "91.0 ± 1.0"


def test_minimum_detectable_difference_is_the_t_test_boundary() -> None:
    """MDD = t_{0.975, n-1} * se: a mean difference just above it holds, just below it does not."""
    import math

    import numpy as np
    from scipy.stats import t as student_t

    from reidlib.study.verdict import minimum_detectable_difference, paired_verdict

    d = np.array([0.01, -0.02, 0.04])
    se = d.std(ddof=1) / math.sqrt(3)
    mdd = minimum_detectable_difference(se, 3)
    assert math.isclose(mdd, student_t.ppf(0.975, 2) * se) and math.isclose(mdd, 4.302652729911275 * se)
    centred = d - d.mean()
    assert paired_verdict(centred + mdd * 1.001, np.zeros(3))[0] == "holds"
    assert paired_verdict(centred + mdd * 0.999, np.zeros(3))[0] == "within noise"
    assert math.isnan(minimum_detectable_difference(float("nan"), 1))


def test_ordering_verdicts_report_the_mdd() -> None:
    import pandas as pd

    from reidlib.study.verdict import headline, ordering_verdicts

    tidy = pd.DataFrame({"row": ["a"] * 3 + ["b"] * 3, "seed": [0, 1, 2] * 2,
                         "mAP": [0.50, 0.52, 0.54, 0.40, 0.43, 0.41]})
    v = ordering_verdicts(tidy, [("a", "b")])
    d = [0.10, 0.09, 0.13]
    import math
    import statistics
    assert math.isclose(v.loc[0, "MDD (pts)"], round(100 * 4.302652729911275 * statistics.stdev(d) / math.sqrt(3), 2))
    assert "smallest detectable difference" in headline(v)


def test_headline_at_one_seed_says_nothing_was_tested() -> None:
    """One seed has no spread: the headline must not read "0 of n hold" (no seed could raise it)
    but say no test was made, and count the orderings pointing the paper's way at that seed."""
    tidy = pd.DataFrame({"row": ["a", "b", "c"], "seed": [0, 0, 0], "mAP": [0.6, 0.5, 0.7]})
    t = ordering_verdicts(tidy, [("a", "b"), ("a", "c"), ("c", "b")])   # diffs +10, -10, +20 points
    assert t["verdict"].tolist() == ["within noise (1 seed, no test)"] * 3
    assert headline(t) == ("not tested: 1 seed (a paired t-test needs at least 2); at this seed 2 of 3 "
                           "of the paper's orderings point the paper's way.")
    two = pd.concat([tidy, tidy.assign(seed=1, mAP=tidy["mAP"] + [0.01, 0.0, 0.0])])
    # 2 seeds: differences 10 and 11 points, se 0.5, t = 21 > 12.71: tested, and it holds
    assert headline(ordering_verdicts(two, [("a", "b")])).startswith("1 of 1 of the paper's orderings hold")
