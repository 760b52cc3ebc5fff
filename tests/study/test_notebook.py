"""reidlib.study.notebook: parameters read by name on every run, unknown names refused, banner."""
from dataclasses import dataclass

import pytest

from reidlib.study.notebook import Notebook, banner, collect
from reidlib.study.experiments import sweep_rows


@dataclass
class P:
    profile: str = "smoke"
    seeds: int = 1
    dataset: str = "synth"
    data_root: str | None = None
    overrides: dict | None = None


def test_collect_reads_fields_by_name_and_ignores_old_globals() -> None:
    ns = {"np": __import__("numpy"), "x_old": 3}
    before = set(ns)
    ns.update(profile="quick", seeds=3, _private=1)
    assert collect(P, ns, before) == P("quick", 3)


def test_unknown_parameter_lists_valid_ones() -> None:
    ns: dict = {}
    before = set(ns)
    ns.update(profile="quick", seeeds=3)
    with pytest.raises(ValueError, match=r"seeeds.*valid parameters: \['data_root', 'dataset', 'overrides', 'profile', 'seeds'\]"):
        collect(P, ns, before)


def test_second_run_in_the_same_namespace_takes_the_edited_values() -> None:
    """The bug of the old ``_before`` snapshot: on a second Run All the parameter names already
    existed before the first cell, so their edited values were ignored."""
    ns: dict = {}
    nb = Notebook(ns, "E0")
    ns.update(profile="smoke", seeds=1)
    assert nb.params(P, show_banner=False).profile == "smoke"
    ns["table"] = "a result of the first run"      # later cells leave globals behind
    nb = Notebook(ns, "E0")                         # Run All again: the first cell ...
    ns.update(profile="quick", seeds=2)             # ... then the edited parameters cell
    p = nb.params(P, show_banner=False)
    assert (p.profile, p.seeds) == ("quick", 2)
    ns["seeeds"] = 3                                # a misspelt name typed on the second run
    with pytest.raises(ValueError, match="seeeds"):
        nb.params(P, show_banner=False)


def test_banner_says_smoke_is_not_results_and_links_the_summaries() -> None:
    text = banner("E3_mask_threshold", P("smoke"))
    assert "not results" in text and "../runs/quick/summary.md" in text and "profile `smoke`" in text
    other = banner("E3_mask_threshold", P("quick", seeds=None))
    assert "not results" not in other and "runs/quick/results/E3_mask_threshold/" in other


def test_rows_need_params_first_and_apply_the_data_set() -> None:
    nb = Notebook({}, "E5")
    with pytest.raises(RuntimeError, match="nb.params"):
        nb.rows("E5")
    nb.namespace.update(profile="smoke", dataset="market1501", data_root="/data/m", overrides={"profile.epochs": 1})
    nb.params(P, show_banner=False)
    rows = nb.rows("E5")
    exp, ov = next(iter(rows.values()))[:2]
    assert exp == "mpm_ltl" and ov["data.dataset"] == "market1501" and ov["data.root"] == "/data/m"
    assert ov["profile.epochs"] == 1
    with pytest.raises(KeyError, match="valid"):
        nb.rows("E5", labels=["nope"])


def test_sweep_keeps_the_value_as_a_column_and_refuses_label_clashes() -> None:
    rows = sweep_rows("threshold", [0.45, 1.0], lambda t: ("mpm_ltl", {"model.kwargs.threshold": t}))
    assert list(rows) == ["threshold 0.45", "threshold 1.0"]
    assert rows["threshold 0.45"] == ("mpm_ltl", {"model.kwargs.threshold": 0.45}, {"threshold": 0.45})
    with pytest.raises(ValueError, match="share the label"):
        sweep_rows("t", [0.41, 0.44], lambda t: ("mpm_ltl", {}), label=lambda t: f"t {t:.1f}")


def test_paper_rows_default_to_extracted_masks_and_rows_keep_their_own() -> None:
    from reidlib.study.notebook_params import ExperimentParams, MaskQualityParams

    nb = Notebook({"profile": "smoke"}, "E2")
    nb._before = set()
    nb.params(ExperimentParams, show_banner=False)
    exp, ov = nb.rows("E2")["(4) + mask pooling"][:2]
    assert ov["data.masks"] == "extracted" and ov["data.segmenter"] == "reidlib_fcn"
    sweep = nb.sweep("t", [0.5], lambda t: ("mpm_ltl", {"model.kwargs.threshold": t}))
    assert sweep["t 0.5"][1]["data.masks"] == "extracted"
    own = nb.with_data({"gt": ("mpm_ltl", {"data.masks": "true"})})
    assert own["gt"][1]["data.masks"] == "true"          # a row's own choice wins
    nb.namespace["masks"] = "true"
    nb.params(ExperimentParams, show_banner=False)
    assert nb.rows("E2")["(4) + mask pooling"][1]["data.masks"] == "true"
    assert "data.segmenter" not in nb.rows("E2")["(4) + mask pooling"][1]
    nb.namespace.update(masks=None, dataset="market1501")
    nb.params(ExperimentParams, show_banner=False)
    assert nb.mask_defaults() == {"data.masks": "true"}      # real data: the segmenter-written mirror
    nb2 = Notebook({"profile": "smoke"}, "E12")
    nb2._before = set()
    nb2.params(MaskQualityParams, show_banner=False)
    assert nb2.mask_defaults() == {}


def test_real_data_results_and_figures_never_replace_synthreids(tmp_path, monkeypatch) -> None:
    """E2 on SynthReID, on Market and on Duke under one profile: three result folders and three
    figure names, each record naming its data set; nothing overwritten."""
    import json

    import pandas as pd

    from reidlib.study.notebook_params import ExperimentParams
    from reidlib.study.report import read_results

    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    seen = {}
    for dataset in ("synth", "market1501", "dukemtmcreid"):
        nb = Notebook({"profile": "quick", "dataset": dataset}, "E2_mpm_ablation")
        nb._before = set()
        nb.params(ExperimentParams, show_banner=False)
        seen[dataset] = (nb.result_id, nb.figure_name("E2_vs_paper"))
        nb.finish("E2 — ablation", pd.DataFrame({"row": [dataset]}), verdict=dataset)
    assert seen == {"synth": ("E2_mpm_ablation", "E2_vs_paper_quick"),
                    "market1501": ("E2_mpm_ablation.market1501", "E2_vs_paper_quick_market1501"),
                    "dukemtmcreid": ("E2_mpm_ablation.dukemtmcreid", "E2_vs_paper_quick_dukemtmcreid")}
    got = {r["experiment"]: (r["title"], r["verdict"], r["run_as"]["dataset"]) for r in read_results("quick")}
    assert got == {"E2_mpm_ablation": ("E2 — ablation", "synth", "synth"),
                   "E2_mpm_ablation.market1501": ("E2 — ablation [market1501]", "market1501", "market1501"),
                   "E2_mpm_ablation.dukemtmcreid": ("E2 — ablation [dukemtmcreid]", "dukemtmcreid", "dukemtmcreid")}
    stored = json.loads((tmp_path / "quick" / "results" / "E2_mpm_ablation" / "result.json").read_text())
    assert stored["verdict"] == "synth"  # the real-data runs did not replace it



def test_a_partial_run_never_replaces_a_result_run_otherwise(tmp_path, monkeypatch, capsys) -> None:
    """A seed subset beside the profile's own result: stored under partial/<key>/ with its own
    figure name, the full result left as it was; the same subset again replaces only itself, and
    after the profile's definition changed it goes beside its earlier record."""
    import dataclasses
    import json

    import pandas as pd

    from reidlib.engine import profiles
    from reidlib.study.notebook_params import ExperimentParams
    from reidlib.study.report import read_results

    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path))
    base = tmp_path / "quick" / "results" / "E6_losses"

    def finish(verdict: str, **params) -> tuple[Notebook, str]:
        nb = Notebook({"profile": "quick", **params}, "E6_losses")
        nb._before = set()
        nb.params(ExperimentParams, show_banner=False)
        figure = nb.figure_name("E6_losses")
        nb.finish("E6", pd.DataFrame({"row": [verdict]}), verdict=verdict)
        return nb, figure

    def stored(folder) -> str:
        return json.loads((folder / "result.json").read_text())["verdict"]

    subset, figure = finish("seed 0", seeds=[0])    # nothing stored yet: where results go
    assert subset.partial_key.startswith("partial-") and subset.stored_under == "" and figure == "E6_losses_quick"
    assert stored(base) == "seed 0"
    full, figure = finish("full")                   # the profile's own run replaces a partial one
    assert full.partial_key is None and figure == "E6_losses_quick" and stored(base) == "full"
    capsys.readouterr()
    other, figure = finish("seed 1", seeds=[1])
    assert other.stored_under == f"partial/{other.partial_key}" and figure == f"E6_losses_quick_{other.partial_key}"
    assert stored(base) == "full" and stored(base / other.stored_under) == "seed 1"
    assert "stored beside the result run otherwise" in capsys.readouterr().out
    assert finish("seed 1 again", seeds=[1])[0].partial_key == other.partial_key
    assert stored(base / other.stored_under) == "seed 1 again" and stored(base) == "full"
    over, _ = finish("longer", overrides={"profile.epochs": 4})
    assert over.partial_key != other.partial_key and stored(base / over.stored_under) == "longer"
    before = other.stored_under                                  # a property: read it now
    quick = profiles.PROFILES["quick"]
    longer = dataclasses.replace(quick, recipe_epochs={**quick.recipe_epochs, "maskreid": 4096})
    monkeypatch.setitem(profiles.PROFILES, "quick", longer)   # the profile's recipe changed
    moved, _ = finish("seed 1, maskreid at 4,096", seeds=[1])
    assert moved.stored_under != before
    assert stored(base / moved.stored_under) == "seed 1, maskreid at 4,096"
    assert stored(base / before) == "seed 1 again"              # the record made before kept
    assert [r["verdict"] for r in read_results("quick")] == ["full"]   # the summary reads the top only
