"""Schedules: lr by hand, scaling, parameter groups and freezing."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from reidlib.engine.schedule import Recipe, Stage, build_optimizer, set_lrs, split_param_groups


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone, self.embed, self.classifier = nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 3)


def test_lr_step_decay_and_warmup_by_hand():
    s = Stage("s", 60, {"base": 0.01, "new": 0.1}, milestones=[40, 50], warmup_epochs=2)
    assert [s.lr_at("new", e) for e in (0, 1, 2, 39, 40, 50)] == pytest.approx(
        [0.1 / 3, 0.2 / 3, 0.1, 0.1, 0.01, 0.001])


def test_cosine_decay_by_hand():
    """decay="cosine": lr * (1 + cos(pi * e / epochs)) / 2, per epoch, composed with the warm-up."""
    s = Stage("s", 4, {"new": 0.1}, decay="cosine")
    assert [s.lr_at("new", e) for e in range(4)] == pytest.approx([0.1, 0.1 * 0.853553, 0.05, 0.1 * 0.146447],
                                                                   rel=1e-5)
    w = Stage("w", 4, {"new": 0.1}, decay="cosine", warmup_epochs=1)
    assert w.lr_at("new", 0) == pytest.approx(0.05) and w.lr_at("new", 2) == pytest.approx(0.05)
    assert Recipe("r", [Stage("a", 40, {"base": 1}, decay="cosine")]).scaled(10).stages[0].decay == "cosine"
    with pytest.raises(ValueError, match="unknown decay 'linear'"):
        Stage("s", 4, {"new": 0.1}, decay="linear")
    with pytest.raises(ValueError, match="takes no milestones"):
        Stage("s", 4, {"new": 0.1}, decay="cosine", milestones=[2])


def test_locate_and_scaled():
    r = Recipe("r", [Stage("a", 60, {"base": 1}, milestones=[40]), Stage("b", 20, {"base": 1}),
                     Stage("c", 20, {"base": 1})])
    assert r.locate(0)[0] == 0 and r.locate(60)[0:3:2] == (1, 0) and r.locate(99)[2] == 19
    with pytest.raises(ValueError, match="past the end"):
        r.locate(100)
    s = r.scaled(10)
    assert [x.epochs for x in s.stages] == [6, 2, 2] and s.stages[0].milestones == [4]
    assert Recipe.from_dict(s.to_dict()) == s


def test_iteration_stage_in_whole_epochs_by_hand():
    """Issue 14 item 3: a stage in iterations (MGCAM sec. 4.1) trains round(iterations / steps)
    epochs, at least 1, milestones likewise (half up: 15,000 / 101 = 148.5 -> 149)."""
    s = Stage("p1", iterations=75_000, lrs={"base": 0.01}, milestones=[15_000, 30_000, 45_000, 60_000])
    e = s.in_epochs(101)
    assert (e.epochs, e.iterations, e.milestones) == (743, 0, [149, 297, 446, 594])
    assert s.in_epochs(100).milestones == [150, 300, 450, 600]
    assert s.in_epochs(200_000).epochs == 1 and s.in_epochs(200_000).milestones == []
    assert Stage("e", 3, {"base": 1}).in_epochs(7) == Stage("e", 3, {"base": 1})
    r = Recipe("r", [s, Stage("p2", iterations=15_000, lrs={"base": 1e-3})])
    with pytest.raises(ValueError, match="count iterations"):
        r.epochs
    assert r.in_epochs([101, 404]).epochs == 743 + 37
    with pytest.raises(ValueError, match="2 stages"):
        r.in_epochs([101])
    with pytest.raises(ValueError, match="yields no batches"):
        s.in_epochs(0)


def test_stage_length_and_milestones_are_checked():
    with pytest.raises(ValueError, match="one of them"):
        Stage("x", 5, {"base": 1}, iterations=10)
    with pytest.raises(ValueError, match="one of them"):
        Stage("x", lrs={"base": 1})
    with pytest.raises(ValueError, match="inside the stage"):
        Stage("x", 5, {"base": 1}, milestones=[5])
    with pytest.raises(ValueError, match="sampler must be"):
        Stage("x", 5, {"base": 1}, sampler={"kwargs": {}})


def test_scaled_iteration_recipe_keeps_proportions_and_profile_batch():
    r = Recipe("g", [Stage("a", iterations=75_000, lrs={"base": 1}, milestones=[15_000, 30_000, 45_000, 60_000],
                           sampler={"name": "random", "kwargs": {"batch_size": 128}}),
                     Stage("b", iterations=15_000, lrs={"base": 1}, milestones=[7_500])])
    s = r.scaled(90)
    assert [(x.epochs, x.iterations, x.milestones) for x in s.stages] == [(75, 0, [15, 30, 45, 60]), (15, 0, [8])]
    assert s.stages[0].sampler == {"name": "random", "kwargs": {}}   # the profile's batch size
    assert [x.epochs for x in r.scaled(5).stages] == [4, 1]
    mixed = Recipe("m", [Stage("a", 2, {"base": 1}), Stage("b", iterations=9, lrs={"base": 1})])
    with pytest.raises(ValueError, match="mixes"):
        mixed.scaled(4)


def test_groups_freeze_and_optimizer():
    net = Net()
    groups = split_param_groups(net, {"classifier": ["classifier"], "new": ["embed"]})
    assert [n for n, _ in groups["base"]] == ["backbone.weight", "backbone.bias"]
    opt = build_optimizer(Stage("c", 1, {"classifier": 0.001}), groups)
    assert not net.backbone.weight.requires_grad and net.classifier.weight.requires_grad
    assert len(opt.param_groups) == 1 and opt.param_groups[0]["lr"] == 0.001
    stage = Stage("all", 10, {"base": 0.01, "new": 0.1, "classifier": 0.1}, milestones=[5])
    opt = build_optimizer(stage, groups)
    assert net.backbone.weight.requires_grad
    assert set_lrs(opt, stage, 6) == pytest.approx({"lr/classifier": 0.01, "lr/new": 0.01, "lr/base": 0.001})
    with pytest.raises(KeyError, match="valid: classifier, new, base"):
        build_optimizer(Stage("x", 1, {"head": 0.1}), groups)
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'; valid: sgd, adam, adamw"):
        Stage("x", 1, {"base": 0.1}, optimizer="rmsprop")
    assert isinstance(build_optimizer(Stage("a", 1, {"base": 3e-4}, optimizer="adam"), groups),
                      torch.optim.Adam)


def test_from_scratch_lifts_base_lr_to_the_new_layers() -> None:
    from reidlib.engine.recipes import get_recipe

    r = get_recipe("mpm_ltl").from_scratch()
    assert [s.lrs.get("base") for s in r.stages] == [0.1, None, 0.01]   # stage 2 trains the classifier only
    assert [s.lrs["new"] for s in r.stages if "new" in s.lrs] == [0.1, 0.01]


def test_from_scratch_raises_adam_fine_tuning_rates_tenfold() -> None:
    from reidlib.engine.recipes import get_recipe

    paper = get_recipe("semparts")
    assert paper.stages[0].lrs == {"base": 3e-4, "new": 3e-4, "classifier": 3e-4}   # SemParts sec. IV-A
    r = paper.from_scratch()
    assert r.stages[0].lrs == pytest.approx({"base": 3e-3, "new": 3e-3, "classifier": 3e-3})
    assert r.stages[0].milestones == paper.stages[0].milestones and r.stages[0].optimizer == "adam"
    # SGD stages keep their rates (only base is lifted to new)
    assert get_recipe("ide").from_scratch().stages[0].lrs == {"base": 0.1, "new": 0.1, "classifier": 0.1}


def test_rates_times_multiplies_every_group_of_every_stage() -> None:
    from reidlib.engine.recipes import get_recipe

    r = get_recipe("mpm_ltl")
    half = r.rates_times(0.5)
    assert [s.lrs for s in half.stages] == [{g: lr / 2 for g, lr in s.lrs.items()} for s in r.stages]
    assert [(s.epochs, s.milestones, s.optimizer) for s in half.stages] == \
        [(s.epochs, s.milestones, s.optimizer) for s in r.stages]
    assert r.rates_times(1.0) is r
    with pytest.raises(ValueError, match="> 0"):
        r.rates_times(0.0)


def test_profile_from_scratch_applies_unless_pretrained(tmp_path, monkeypatch) -> None:
    import torch

    from reidlib.engine.experiment import resolve_config

    monkeypatch.setenv("REIDLIB_WEIGHTS", str(tmp_path))
    torch.save({}, tmp_path / "resnet50-0676ba61.pth")
    quick = resolve_config("mpm_ltl", "quick")
    assert quick["recipe"]["stages"][0]["lrs"]["base"] == 0.1
    pre = resolve_config("mpm_ltl", "quick", {"model.kwargs.pretrained": str(tmp_path / "resnet50-0676ba61.pth")})
    assert pre["recipe"]["stages"][0]["lrs"]["base"] == 0.01
    assert resolve_config("mpm_ltl", "paper")["recipe"]["stages"][0]["lrs"]["base"] == 0.01
