import pandas as pd
import pytest

from reidlib.study.cross_domain import (cross_domain_claims, domain_roots, paper_columns, parse_direction, run_cross_domain_grid,
                                        target_label, widen_directions)
from reidlib.study.experiments import paper_table


def _stub(calls: list):
    def runner(src, tgt, method, profile, seed, source_root=None, target_root=None, **kw):
        calls.append((src, tgt, method, profile, seed, source_root, target_root, kw))
        base = {"direct": 10.0, "ecn": 20.0, "ecn_parts": 30.0, "supervised": 50.0}[method]
        v = base + seed + (5.0 if tgt == "duke" else 0.0)
        return {"rank1": v, "rank5": v + 1, "rank10": v + 2, "mAP": v / 2}
    return runner


def test_parse_direction_and_labels() -> None:
    assert parse_direction("market->duke") == ("market", "duke")
    assert parse_direction(" duke -> market ") == ("duke", "market")
    assert target_label("market1501->dukemtmcreid") == "->Duke"
    with pytest.raises(ValueError, match="source->target"):
        parse_direction("market")
    with pytest.raises(KeyError, match="valid: market, duke"):
        parse_direction("market->cuhk03")
    with pytest.raises(ValueError, match="same source"):
        parse_direction("duke->duke")


def test_grid_runs_every_cell_and_converts_to_fractions() -> None:
    calls: list = []
    tidy = run_cross_domain_grid(["market->duke", "duke->market"], ["direct", "ecn"], "smoke", seeds=[0, 1],
                                 roots={"duke": "/x"}, runner=_stub(calls), overrides={"profile.epochs": 3})
    assert len(calls) == 2 * 2 * 2 == len(tidy)
    assert calls[0] == ("market", "duke", "direct", "smoke", 0, None, "/x", {"overrides": {"profile.epochs": 3}})
    r = tidy[(tidy["method"] == "ecn") & (tidy["direction"] == "market->duke") & (tidy["seed"] == 1)].iloc[0]
    assert r["row"] == "ECN" and r["target"] == "->Duke"
    assert r["sq/rank1"] == pytest.approx((20 + 1 + 5) / 100) and r["sq/mAP"] == pytest.approx(13 / 100)
    with pytest.raises(KeyError, match="valid: direct, ecn"):
        run_cross_domain_grid(["market->duke"], ["ecn_plus"], runner=_stub([]))
    with pytest.raises(ValueError, match="no direction"):
        run_cross_domain_grid([], ["ecn"], runner=_stub([]))


def test_widen_and_paper_table_side_by_side() -> None:
    tidy = run_cross_domain_grid(["market->duke", "duke->market"], ["ecn", "ecn_parts"], seeds=[0, 1],
                                 runner=_stub([]))
    wide = widen_directions(tidy)
    assert len(wide) == 4 and "->Duke:sq/mAP" in wide and "->Market:sq/rank10" in wide
    cols = paper_columns(tidy)
    assert cols["->Market R1"] == "->Market:sq/rank1" and len(cols) == 8
    paper = {"ECN": {"->Duke R1": 63.3}}
    table = paper_table(wide, paper, cols, order=["ECN", "ECN + parts"])
    # ECN ->Duke R1: seeds 0, 1 give 25, 26 -> mean 25.5, sd 0.707
    assert table.loc[0, "->Duke R1"] == "25.5 ± 0.7 (63.30)"
    assert table.loc[1, "->Market mAP"] == "15.2 ± 0.4 (-)"


def test_claims_follow_the_methods_run() -> None:
    assert cross_domain_claims(["direct", "ecn", "ecn_parts", "supervised"]) == [
        ("ECN", "direct transfer"), ("ECN + parts", "ECN"), ("supervised (target)", "direct transfer"),
        ("supervised (target)", "ECN"), ("supervised (target)", "ECN + parts")]
    assert cross_domain_claims(["ecn_parts", "direct"]) == []
    with pytest.raises(KeyError):
        cross_domain_claims(["bogus"])


def test_domain_roots_only_for_real_domains() -> None:
    from reidlib.data.readers import DEFAULT_FOLDERS

    assert domain_roots(["market->duke"], "/data") == {}
    assert domain_roots(["market1501->dukemtmcreid"], None) == {}
    roots = domain_roots(["market1501->dukemtmcreid"], "/data")
    assert roots == {"dukemtmcreid": f"/data/{DEFAULT_FOLDERS['dukemtmcreid']}",
                     "market1501": f"/data/{DEFAULT_FOLDERS['market1501']}"}
