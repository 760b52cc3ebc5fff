import numpy as np
import pandas as pd
import pytest

from reidlib.data.base import ReIDDataset
from reidlib.metrics import evaluate_rank
from reidlib.study.difficulty import (chance_rank1, chance_table, difficulty_rows, histogram_results, mask_claims,
                                      range_verdicts, row_domains)


def _rec(pid: int, cam: int) -> dict:
    return {"path": f"{pid}_{cam}.jpg", "pid": pid, "camid": cam, "mask_path": None, "parts_path": None,
            "split": "x"}


def _ds() -> ReIDDataset:
    gallery = [_rec(p, c) for p, c in [(1, 0), (1, 1), (2, 1), (-1, 0), (0, 0), (1, 0)]]
    query = [_rec(1, 0), _rec(2, 0), _rec(3, 0)]
    return ReIDDataset("toy", "/toy", [], query, gallery)


def test_chance_rank1_hand_value_and_random_rankings() -> None:
    ds = _ds()
    # query 1/c0: valid gallery 1, 2, 4 -> one match: 1/3; query 2/c0: valid 0, 1, 2, 4, 5 -> 1/5; query 3: no match
    assert chance_rank1(ds) == pytest.approx((1 / 3 + 1 / 5) / 2)
    q = lambda k: np.array([r[k] for r in ds.query])  # noqa: E731
    g = lambda k: np.array([r[k] for r in ds.gallery])  # noqa: E731
    rng = np.random.default_rng(0)
    r1 = [evaluate_rank(rng.random((3, 6)), q("pid"), g("pid"), q("camid"), g("camid"), max_rank=1)["cmc"][0]
          for _ in range(1000)]
    assert np.mean(r1) == pytest.approx(chance_rank1(ds), abs=0.03)
    t = chance_table({"toy": ds})
    assert t.loc[0, "gallery ids"] == 2 and t.loc[0, "1/ids (%)"] == 50.0
    with pytest.raises(ValueError, match="empty"):
        chance_rank1(ReIDDataset("e", "/e", [], [], []))


def test_difficulty_rows_and_domains() -> None:
    rows = difficulty_rows(["duke"], ["rgb", "rgbm"])
    assert rows == {"CNN RGB [duke]": ("ide", {"model.name": "ide_rgb", "data.domain": "duke", "data.needs_mask": False}),
                    "CNN RGB-M [duke]": ("ide", {"model.name": "ide_rgbm", "data.domain": "duke",
                                                 "data.needs_mask": True})}
    assert row_domains(rows) == {"CNN RGB [duke]": "duke", "CNN RGB-M [duke]": "duke"}
    with pytest.raises(KeyError, match="valid: market, duke"):
        difficulty_rows(["cuhk"])
    with pytest.raises(KeyError, match="valid: rgb, masked_rgb, rgbm"):
        difficulty_rows(["market"], ["mask_only"])


def test_histogram_results_uses_both_modes() -> None:
    seen = []

    def fake(ds, use_mask=False):
        seen.append((ds.name, use_mask))
        return {"rank1": 0.4 + 0.1 * use_mask, "mAP": 0.2}
    t = histogram_results({"market": _ds()}, evaluate=fake)
    assert seen == [("toy", False), ("toy", True)]
    assert t["row"].tolist() == ["histogram full image [market]", "histogram masked [market]"]
    assert t["sq/rank1"].tolist() == [0.4, 0.5]


def test_range_verdicts_and_claims() -> None:
    tidy = pd.DataFrame({"row": ["a", "a", "b", "c"], "seed": [0, 1, 0, 0], "sq/rank1": [0.3, 0.5, 0.15, 0.99]})
    v = range_verdicts(tidy, {"a": "m", "b": "m", "c": "m"}, {"m": 0.1})
    assert v["well above chance"].tolist() == [True, False, True]   # 0.4 >= 0.2, 0.15 < 0.2
    assert v["below 100%"].tolist() == [True, True, False]
    assert v.loc[0, "x chance"] == 4.0
    with pytest.raises(KeyError, match="no domain"):
        range_verdicts(tidy, {"a": "m"}, {"m": 0.1})
    with pytest.raises(ValueError, match="factor"):
        range_verdicts(tidy, {}, {}, factor=0.5)
    assert mask_claims(["market", "duke"], ["market"], ["rgb", "masked_rgb"]) == [
        ("CNN masked RGB [market]", "CNN RGB [market]"), ("histogram masked [market]", "histogram full image [market]"),
        ("histogram masked [duke]", "histogram full image [duke]")]
    assert mask_claims(["market"], kinds=["rgb", "masked_rgb"]) == [
        ("CNN masked RGB [market]", "CNN RGB [market]"), ("histogram masked [market]", "histogram full image [market]")]


def test_difficulty_verdict_counts() -> None:
    from reidlib.study.difficulty import difficulty_verdict

    ranges = pd.DataFrame({"well above chance": [True, False], "below 100%": [True, True]})
    mv = pd.DataFrame({"paper claims": ["CNN RGB-M [m] > CNN RGB [m]", "CNN masked RGB [m] > CNN RGB [m]",
                                        "histogram masked [m] > histogram full image [m]"],
                       "verdict": ["holds", "reversed", "holds"]})
    s = difficulty_verdict(ranges, mv)
    assert "above chance for 1 of 2" in s and "below 100% for 2 of 2" in s
    assert "in 1 of 2 comparisons" in s and "hurts in: CNN masked RGB [m] > CNN RGB [m]" in s


def test_difficulty_verdict_at_one_seed_says_nothing_was_tested() -> None:
    from reidlib.study.difficulty import difficulty_verdict

    ranges = pd.DataFrame({"well above chance": [True], "below 100%": [True]})
    mv = pd.DataFrame({"paper claims": ["CNN RGB-M [m] > CNN RGB [m]", "CNN masked RGB [m] > CNN RGB [m]",
                                        "histogram masked [m] > histogram full image [m]"],
                       "seeds": [1, 1, 1], "diff (pts)": [3.0, -1.0, 2.0],
                       "verdict": ["within noise (1 seed, no test)"] * 3})
    s = difficulty_verdict(ranges, mv)
    assert s.endswith("not tested at 1 seed (a paired t-test needs at least 2): the mask helps the CNN "
                      "at this seed in 1 of 2 comparisons.")
    assert "beyond the seed spread" not in s
