"""Recipes, profiles and experiment config resolution (plain data, overridable)."""
from __future__ import annotations

import pytest

from reidlib.engine.experiment import apply_override, resolve_config
from reidlib.engine.profiles import PROFILES, get_profile
from reidlib.engine.recipes import EXPERIMENTS, RECIPES, get_experiment, get_recipe, register_experiment


def test_papers_schedules_as_written():
    m = RECIPES["mpm_ltl"]
    assert [s.epochs for s in m.stages] == [60, 20, 20] and m.stages[0].milestones == [40]
    assert m.stages[0].lrs == {"base": 0.01, "new": 0.1, "classifier": 0.1}
    assert m.stages[1].lrs == {"classifier": 0.001}
    assert m.stages[2].lrs == {"base": 0.001, "classifier": 0.001, "new": 0.01}
    s = RECIPES["semparts"].stages[0]
    assert (s.optimizer, s.lrs["base"], s.weight_decay, s.epochs) == ("adam", 3e-4, 5e-4, 80)
    g = RECIPES["mgcam"].stages
    assert g[0].loss_weights == {"siamese": 0.0}
    # MGCAM sec. 4.1: 7.5e4 iterations at 0.01, decreased after each 1.5e4, 128 random samples
    # per iteration; then the Siamese fine-tune at 0.001 on the experiment's pair batches
    assert (g[0].unit, g[0].iterations, g[0].milestones) == ("iterations", 75_000, [15_000, 30_000, 45_000, 60_000])
    assert g[0].sampler == {"name": "random", "kwargs": {"batch_size": 128}} and g[0].lrs["base"] == 0.01
    assert (g[1].unit, g[1].lrs["base"], g[1].sampler) == ("iterations", 0.001, None)
    assert RECIPES["maskreid"].stages[1].loss_weights == {"id": 0.0}
    # MaskReID: two thirds softmax (the paper's pre-trained softmax model), one third ranking
    mr = RECIPES["maskreid"].scaled(1024).stages
    assert [(s.name, s.epochs, s.milestones) for s in mr] == [("softmax", 683, [455]), ("ranking", 341, [228])]
    assert [s.lrs for s in mr] == [{"base": 0.01, "new": 0.1, "classifier": 0.1},
                                   {"base": 0.001, "new": 0.001, "classifier": 0.001}]
    # from scratch (the CPU profiles) every softmax-stage group trains at the new layers' 0.1
    assert RECIPES["maskreid"].from_scratch().stages[0].lrs == {"base": 0.1, "new": 0.1, "classifier": 0.1}
    assert RECIPES["maskreid_softmax"].from_scratch().stages[0].lrs == {"base": 0.1, "new": 0.1, "classifier": 0.1}
    # MSCAN trains as MGCAM does (MGCAM sec. 4.1): the same stages under their own recipe name,
    # so a profile can give it its own length; the scaled schedules are the same too
    assert RECIPES["mscan"].to_dict() == {**RECIPES["mgcam"].to_dict(), "name": "mscan"}
    assert RECIPES["mscan"].scaled(256).to_dict() == {**RECIPES["mgcam"].scaled(256).to_dict(), "name": "mscan"}
    assert EXPERIMENTS["mscan"]["recipe"] == "mscan" and EXPERIMENTS["mgcam"]["recipe"] == "mgcam"
    # the cross-domain trainer (E10) trains with SemParts' optimiser, under its own recipe name
    assert RECIPES["cross_domain"].to_dict() == {**RECIPES["semparts"].to_dict(), "name": "cross_domain"}


def test_recipe_overrides_and_unknowns():
    r = get_recipe("mpm_ltl", momentum=0.5, stages={1: {"epochs": 3}})
    assert [s.momentum for s in r.stages] == [0.5] * 3 and r.stages[1].epochs == 3
    assert RECIPES["mpm_ltl"].stages[1].epochs == 20  # registry untouched
    with pytest.raises(KeyError, match="valid: mpm_ltl, mgcam, maskreid, semparts, ide"):
        get_recipe("nope")
    with pytest.raises(KeyError, match="unknown stage fields"):
        get_recipe("ide", moment=1)


def test_profiles_and_experiment_registry():
    assert list(PROFILES) == ["smoke", "quick", "full", "paper"]
    quick, full = get_profile("quick"), get_profile("full")
    assert len(quick.seeds) >= 3 and len(full.seeds) >= 5 and get_profile("paper").model_size == "paper"
    # full = the default study's runs over more seeds (and every sweep point): same training
    assert full.override(seeds=quick.seeds).to_dict() == {**quick.to_dict(), "name": "full"}
    assert quick.data_preset == "study" and quick.eval_every == 0
    with pytest.raises(KeyError, match="valid: smoke, quick, full, paper"):
        get_profile("fast")
    with pytest.raises(KeyError, match="valid: batch_k"):
        get_profile("smoke").override(epoch=3)
    e = get_experiment("ide_rgb")
    e["model"]["name"] = "changed"
    assert EXPERIMENTS["ide_rgb"]["model"]["name"] == "ide_rgb"
    with pytest.raises(ValueError, match="lacks"):
        register_experiment("x", {"model": {}})


def test_resolve_config_with_overrides():
    c = resolve_config("ide_rgb", "smoke", {"profile.epochs": "4", "eval.flip": "true",
                                            "model.kwargs.dropout": "0.5"})
    assert sum(s["epochs"] for s in c["recipe"]["stages"]) == 4
    assert c["eval"]["flip"] is True and c["model"]["kwargs"]["dropout"] == 0.5
    assert c["profile"]["image_size"] == [64, 32]
    with pytest.raises(KeyError, match=r"unknown config key 'profile.epoch'; valid at this level: .*epochs"):
        resolve_config("ide_rgb", "smoke", {"profile.epoch": "3"})
    d = {"a": {"b": 1}}
    apply_override(d, "a.b", "[1, 2]")
    assert d == {"a": {"b": [1, 2]}}
