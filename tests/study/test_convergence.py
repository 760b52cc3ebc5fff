"""reidlib.study.convergence: the T vs 2T rule on hand values, doubling, the learning curve."""
import json

import pandas as pd
import pytest

from reidlib.study.convergence import (FAMILY_ROWS, convergence_sentence, convergence_table, doubled,
                                       learning_curve, row_epochs, with_curves)


def _tidy(values: dict) -> pd.DataFrame:
    return pd.DataFrame([{"row": r, "seed": i, "sq/mAP": v} for r, vs in values.items() for i, v in enumerate(vs)])


def test_rule_two_points_or_three_percent() -> None:
    short = _tidy({"a": [0.50, 0.52], "b": [0.80, 0.80], "c": [0.10, 0.12]})
    long = _tidy({"a": [0.515, 0.535], "b": [0.82, 0.83], "c": [0.30, 0.32]})
    t = convergence_table(short, long)
    # a: +1.5 pts < 2 -> converged; b: +2.5 pts but 2.5/80 = 3.1% -> not; c: +20 pts -> not
    assert t["gain (pts)"].tolist() == [1.5, 2.5, 20.0]
    assert t["verdict"].tolist() == ["converged", "not converged", "not converged"]
    long_b = _tidy({"a": [0.515, 0.535], "b": [0.823, 0.823], "c": [0.11, 0.13]})
    assert convergence_table(short, long_b)["verdict"].tolist() == ["converged", "converged", "converged"]
    assert convergence_sentence(t).startswith("1 of 3 model families converged")
    assert "not converged, so their rows' verdicts are about training length: b, c." in convergence_sentence(t)
    with pytest.raises(KeyError, match="no doubled run"):
        convergence_table(short, long[long["row"] != "c"])


def test_doubled_keeps_everything_but_the_epochs() -> None:
    d = doubled({"x": ("mpm_ltl", {"model.kwargs.parts": 3})}, 5)
    assert d == {"x": ("mpm_ltl", {"model.kwargs.parts": 3, "profile.epochs": 10})}
    assert set(FAMILY_ROWS) >= {"mpm (full MPM-LTL)", "mgcam (RGB-M)", "maskreid (MF, ranking)"}
    rows = {"x": ("mpm_ltl", {}), "y": ("maskreid", {"a": 1})}
    assert doubled(rows, {"x": 128, "y": 64}) == {"x": ("mpm_ltl", {"profile.epochs": 256}),
                                                  "y": ("maskreid", {"a": 1, "profile.epochs": 128})}
    curves = with_curves(rows, {"x": 64, "y": 0})
    assert curves["x"][1] == {"profile.eval_every": 64} and curves["y"][1]["profile.eval_every"] == 1


def test_row_epochs_follow_the_profile_recipe_epochs() -> None:
    """quick: each family's own T (profile.recipe_epochs), an explicit profile.epochs for all."""
    from reidlib.engine.profiles import get_profile

    quick = get_profile("quick")
    rows = {"ide": FAMILY_ROWS["ide (IDE, RGB-M)"], "mpm": FAMILY_ROWS["mpm (full MPM-LTL)"]}
    t = row_epochs(rows, "quick")
    assert t == {"ide": quick.recipe_epochs.get("ide", quick.epochs),
                 "mpm": quick.recipe_epochs.get("mpm_ltl", quick.epochs)}
    assert t["ide"] != t["mpm"]  # two families of different lengths: the rows do not share one T
    assert row_epochs(rows, "quick", {"profile.epochs": 4}) == {"ide": 4, "mpm": 4}


def test_learning_curve_reads_epochs_csv(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    run = tmp_path / "ide" / "abc"
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"profile": {"max_steps_per_epoch": 16}}))
    (run / "epochs.csv").write_text("epoch,loss,sq/mAP\n1,3.0,\n2,2.0,40.0\n3,1.5,\n4,1.0,55.0\n")
    c = learning_curve("ide/abc")
    assert c["epoch"].tolist() == [2, 4] and c["step"].tolist() == [32, 64]
    assert c["sq/mAP"].tolist() == pytest.approx([0.40, 0.55])


def _run(root, run_dir: str, machine: dict) -> None:
    folder = root / run_dir
    folder.mkdir(parents=True)
    (folder / "env.json").write_text(json.dumps({"machine": machine, "device": "cpu"}))


def test_a_seed_whose_t_and_2t_runs_differ_in_cpu_kind_leaves_its_row_undecided(tmp_path, monkeypatch) -> None:
    """The doubling must change the length only: AVX2 T against AVX-512 2T is not judged (issue 16)."""
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    avx2, avx512 = {"cpu_capability": "AVX2"}, {"cpu_capability": "AVX512", "avx512": True}
    for name, machine in {"a/t0": avx2, "a/t1": avx512, "a/l0": avx512, "a/l1": avx512,
                          "b/t0": avx2, "b/l0": avx2}.items():
        _run(tmp_path, name, machine)
    short = pd.DataFrame([{"row": "a", "seed": 0, "run_dir": "a/t0", "sq/mAP": 0.50},
                          {"row": "a", "seed": 1, "run_dir": "a/t1", "sq/mAP": 0.50},
                          {"row": "b", "seed": 0, "run_dir": "b/t0", "sq/mAP": 0.50}])
    long = pd.DataFrame([{"row": "a", "seed": 0, "run_dir": "a/l0", "sq/mAP": 0.51},
                         {"row": "a", "seed": 1, "run_dir": "a/l1", "sq/mAP": 0.51},
                         {"row": "b", "seed": 0, "run_dir": "b/l0", "sq/mAP": 0.60}])
    t = convergence_table(short, long)
    assert t["verdict"].tolist() == ["undecided: T and 2T on different CPU kinds (seed 0)", "not converged"]
    assert t["CPU kind"].tolist() == ["AVX-512, AVX2", "AVX2"]
    assert t["gain (pts)"].tolist() == [1.0, 10.0]   # the gain is still shown, only not judged
    text = convergence_sentence(t)
    assert text.startswith("0 of 2 model families converged")
    assert "about training length: b;" in text and "different CPU kinds (a confound as large as the threshold): a." in text
    _run(tmp_path, "a/t0b", avx512)   # the same seed retrained on the 2T run's kind: judged again
    short.loc[0, "run_dir"] = "a/t0b"
    assert convergence_table(short, long)["verdict"].tolist() == ["converged", "not converged"]


def test_each_seed_gain_is_shown_beside_the_mean() -> None:
    short = _tidy({"a": [0.78, 0.71]})
    long = _tidy({"a": [0.75, 0.77]})
    t = convergence_table(short, long)
    assert t["gain (pts)"].tolist() == [1.5] and t["gain per seed"].tolist() == ["0: -3.00, 1: +6.00"]
    # 95% interval of the mean gain by hand: sd 6.364, se 4.5, t_1 = 12.706 -> 1.5 -/+ 57.18
    assert t["gain 95% CI"].tolist() == ["-55.68 to +58.68"]
    assert convergence_table(_tidy({"a": [0.78]}), _tidy({"a": [0.75]}))["gain 95% CI"].tolist() == ["-"]


def _record(tmp_path, under, seeds, rows, definition, overrides=None, params=None, dataset="synth"):
    """A 00 result (main or partial) with a tidy table of (row, seed, length, sq/mAP) rows."""
    from reidlib.study.report import write_result

    tidy = pd.DataFrame([{"row": r, "seed": s, "length": n, "run_dir": f"x/{r}{s}{n}", "sq/mAP": v}
                         for r, s, n, v in rows])
    run_as = {"definition": definition, "seeds": seeds, "overrides": overrides or {}, "dataset": dataset,
              "params": params or {}}
    write_result("00_convergence", "quick", "00", tidy, tidy=tidy, run_as=run_as, under=under)


def test_pooled_check_adds_the_seeds_of_current_partial_records_only(tmp_path, monkeypatch) -> None:
    from reidlib.engine.profiles import get_profile
    from reidlib.study.convergence import pooled_check, pooled_records

    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    now = get_profile("quick").to_dict()
    _record(tmp_path, "", [0, 3], [("a", 0, "T", 0.78), ("a", 0, "2T", 0.75), ("b", 0, "T", 0.5), ("b", 0, "2T", 0.5),
                                   ("a", 3, "T", 0.99)], now)
    assert pooled_check("quick") is None   # nothing beyond the main record
    _record(tmp_path, "partial/p0", [0], [("a", 0, "T", 0.0), ("a", 0, "2T", 0.0)], now)      # seed 0 again
    assert pooled_check("quick") is None   # a record that repeats the main record's seeds adds nothing
    _record(tmp_path, "partial/p1", [1], [("a", 1, "T", 0.71), ("a", 1, "2T", 0.77)], now, params={"families": ["a"]})
    _record(tmp_path, "partial/p2", [2], [("a", 2, "T", 0.10)], now)                          # no 2T yet: left out
    _record(tmp_path, "partial/p3", [1], [("b", 1, "T", 0.1), ("b", 1, "2T", 0.9)], {**now, "epochs": 7})  # stale
    _record(tmp_path, "partial/p4", [1], [("b", 1, "T", 0.1), ("b", 1, "2T", 0.9)], now, overrides={"x": 1})
    _record(tmp_path, "partial/p5", [1], [("b", 1, "T", 0.1), ("b", 1, "2T", 0.9)], now, params={"masks": "true"})
    # seed 3: the main record has its T only; this record has both: the pair is taken from here, whole
    _record(tmp_path, "partial/p6", [3], [("a", 3, "T", 0.60), ("a", 3, "2T", 0.63)], now)
    (tmp_path / "quick" / "results" / "00_convergence" / "partial" / "p7").mkdir()
    (tmp_path / "quick" / "results" / "00_convergence" / "partial" / "p7" / "result.json").write_text(
        json.dumps({"run_as": {"definition": now, "seeds": [4]}}))
    (tmp_path / "quick" / "results" / "00_convergence" / "partial" / "p7" / "results.csv").write_text("row,seed\na,4\n")
    pooled = pooled_records("quick")
    assert pooled.used == ["00_convergence", "00_convergence/partial/p1", "00_convergence/partial/p6"]
    why = dict(pooled.left_out)
    assert list(why) == [f"00_convergence/partial/p{i}" for i in (0, 2, 3, 4, 5, 7)]   # every record not used, named
    assert why["00_convergence/partial/p0"].startswith("repeats")       # its (a, 0) pair is the main record's
    assert why["00_convergence/partial/p2"] == "no (row, seed) with both its T and 2T run"
    assert why["00_convergence/partial/p3"].startswith("stale")
    assert "lacks length, run_dir, sq/mAP" in why["00_convergence/partial/p7"]
    assert pooled.added == {"a": [1, 3]}
    assert sorted(set(zip(pooled.tidy["row"], pooled.tidy["seed"]))) == [("a", 0), ("a", 1), ("a", 3), ("b", 0)]
    table, _ = pooled_check("quick")
    t = table.set_index("row")
    assert t.loc["a", "seeds"] == 3 and t.loc["a", "gain (pts)"] == 2.0   # (75 + 77 + 63) / 3 - (78 + 71 + 60) / 3
    assert t.loc["a", "gain per seed"] == "0: -3.00, 1: +6.00, 3: +3.00"
    assert t.loc["a", "gain 95% CI"] == "-9.38 to +13.38"   # 2 -/+ 4.303 * 4.583 / sqrt(3)
    assert t.loc["b", "seeds"] == 1 and t.loc["b", "gain (pts)"] == 0.0


def test_a_row_whose_mean_passes_while_a_seed_alone_fails_says_so() -> None:
    short = _tidy({"a": [0.78, 0.71], "b": [0.50, 0.50]})
    long = _tidy({"a": [0.75, 0.77], "b": [0.51, 0.51]})
    t = convergence_table(short, long)
    assert t["verdict"].tolist() == ["converged by the mean (seed 1 alone +6.00)", "converged"]
    text = convergence_sentence(t)
    assert text.startswith("2 of 2 model families converged") and "(a by the mean only" in text
    one_seed = convergence_table(_tidy({"a": [0.71]}), _tidy({"a": [0.77]}))
    assert one_seed["verdict"].tolist() == ["not converged"]   # one seed: the mean is that seed


def test_a_confounded_seed_is_left_out_where_two_unconfounded_seeds_remain(tmp_path, monkeypatch) -> None:
    """Seed 0's T on AVX2 and 2T on AVX-512 (ECN in ``quick``): the row is judged on seeds 1 and 2
    (each T and 2T on AVX-512), and the verdict names seed 0 as left out."""
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    avx2, avx512 = {"cpu_capability": "AVX2"}, {"cpu_capability": "AVX512", "avx512": True}
    for name, machine in {"e/t0": avx2, "e/l0": avx512, "e/t1": avx512, "e/l1": avx512,
                          "e/t2": avx512, "e/l2": avx512}.items():
        _run(tmp_path, name, machine)
    # seed 0 alone would gain +10 (not converged); seeds 1 and 2 gain +1.0 and +2.5 (mean +1.75 < 2)
    short = pd.DataFrame([{"row": "ecn", "seed": s, "run_dir": f"e/t{s}", "sq/mAP": v}
                          for s, v in ((0, 0.30), (1, 0.32), (2, 0.33))])
    long = pd.DataFrame([{"row": "ecn", "seed": s, "run_dir": f"e/l{s}", "sq/mAP": v}
                         for s, v in ((0, 0.40), (1, 0.33), (2, 0.355))])
    t = convergence_table(short, long)
    assert t.loc[0, "verdict"] == ("converged by the mean (seed 2 alone +2.50) "
                                   "(seed 0 left out: T and 2T on different CPU kinds)")
    assert t.loc[0, "seeds"] == 2 and t.loc[0, "gain (pts)"] == 1.75
    assert t.loc[0, "sq/mAP T"] == 32.5 and t.loc[0, "gain per seed"] == "1: +1.00, 2: +2.50"
    assert t.loc[0, "CPU kind"] == "AVX-512, AVX2"
    text = convergence_sentence(t)
    assert text.startswith("1 of 1 model families converged")
    assert "judged without the seeds whose T and 2T runs differ in CPU kind: ecn (seed 0)" in text
    long.loc[2, "sq/mAP"] = 0.40   # seed 2 gains +7: mean +4.0 over seeds 1-2, not converged
    t = convergence_table(short, long)
    assert t.loc[0, "verdict"] == "not converged (seed 0 left out: T and 2T on different CPU kinds)"
    assert "about training length: ecn" in convergence_sentence(t)
