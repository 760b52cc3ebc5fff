"""The papers' training schedules (recipes) and the experiment registry, as plain data.

Recipes (``RECIPES``; epochs are the papers', scale them with ``Recipe.scaled``):

``mpm_ltl``  MPM-LTL sec. IV-B: (1) 60 epochs id loss, SGD lr 0.01 base / 0.1 new
             layers + classifier, x0.1 after epoch 40; (2) 20 epochs classifier only at
             0.001; (3) 20 epochs all, 0.001 base + classifier / 0.01 new, triplet on.
``mgcam``    MGCAM sec. 4.1: 75k iterations at 0.01 without the Siamese loss, decreased
             every 15k; then fine-tune with Siamese at 0.001, "gradually decreased".
             Choices: 1 epoch = 1k iterations here (75 + 15 epochs), decay factor 0.5
             (Caffe "step", factor not given), phase 2 halves at its midpoint.
``maskreid`` MaskReID sec. IV: softmax pre-training then the ranking loss; lrs not given.
             Choice: SGD 0.01 for 30 epochs (x0.1 at 20), then 0.001 for 60 (x0.1 at 40).
``semparts`` SemParts sec. IV-A: Adam 3e-4, weight decay 5e-4, 80 epochs (no decay given;
             choice: x0.1 at 40, the ECN code's step).
``ide``      a plain baseline: SGD 0.05 base / 0.5 new, x0.1 at 2/3 of training.

Loss weights per stage name the terms (``id``, ``triplet``, ``siamese``, ``ranking`` ...);
terms an experiment lacks are dropped when it is built.

Experiments (``EXPERIMENTS``): ``name -> {model, losses, sampler, recipe, data, groups,
eval}`` - plain dicts so the study layer can extend them (``register_experiment``).
"""
from __future__ import annotations

import copy
from typing import Any

from .schedule import Recipe, Stage

GROUPS_DEFAULT = {"classifier": ["classifier", "fc"], "new": ["embed", "head", "reduce", "attention"]}

RECIPES: dict[str, Recipe] = {
    "mpm_ltl": Recipe("mpm_ltl", [
        Stage("id", 60, {"base": 0.01, "new": 0.1, "classifier": 0.1}, milestones=[40],
              loss_weights={"triplet": 0.0}),
        Stage("classifier", 20, {"classifier": 0.001}, loss_weights={"triplet": 0.0}),
        Stage("all+triplet", 20, {"base": 0.001, "classifier": 0.001, "new": 0.01}),
    ]),
    "mgcam": Recipe("mgcam", [
        Stage("mgcam", 75, {"base": 0.01, "new": 0.01, "classifier": 0.01},
              milestones=[15, 30, 45, 60], gamma=0.5, loss_weights={"siamese": 0.0}),
        Stage("siamese", 15, {"base": 0.001, "new": 0.001, "classifier": 0.001},
              milestones=[8], gamma=0.5),
    ]),
    "maskreid": Recipe("maskreid", [
        Stage("softmax", 30, {"base": 0.01, "new": 0.01, "classifier": 0.01}, milestones=[20],
              loss_weights={"ranking": 0.0}),
        Stage("ranking", 60, {"base": 0.001, "new": 0.001, "classifier": 0.001}, milestones=[40],
              loss_weights={"id": 0.0}),
    ]),
    "semparts": Recipe("semparts", [
        Stage("adam", 80, {"base": 3e-4, "new": 3e-4, "classifier": 3e-4}, optimizer="adam",
              weight_decay=5e-4, milestones=[40]),
    ]),
    "ide": Recipe("ide", [
        Stage("id", 30, {"base": 0.05, "new": 0.5, "classifier": 0.5}, milestones=[20]),
    ]),
}

#: experiment name -> plain-data definition
EXPERIMENTS: dict[str, dict[str, Any]] = {
    "ide_rgb": {
        "description": "ID-loss baseline on RGB (MPM-LTL ablation row 1 / MGCAM 'RGB')",
        "model": {"name": "ide_rgb", "kwargs": {}},
        "losses": [{"name": "id", "weight": 1.0}],
        "sampler": {"name": "pk"},
        "recipe": "ide",
        "data": {"dataset": "synth", "domain": "market", "masks": "optional", "use_mask": False},
        "groups": GROUPS_DEFAULT,
        "eval": {"protocols": ["sq", "mq"], "metric": "euclidean", "flip": False},
        "augment": {"padding": 10, "flip_p": 0.5, "erase_p": 0.0},
    },
    "ide_rgbm": {
        "description": "ID-loss baseline with the mask as a 4th input channel (MPM-LTL row 2)",
        "model": {"name": "ide_rgbm", "kwargs": {}},
        "losses": [{"name": "id", "weight": 1.0}],
        "sampler": {"name": "pk"},
        "recipe": "ide",
        "data": {"dataset": "synth", "domain": "market", "masks": "required", "use_mask": True},
        "groups": GROUPS_DEFAULT,
        "eval": {"protocols": ["sq", "mq"], "metric": "euclidean", "flip": False},
        "augment": {"padding": 10, "flip_p": 0.5, "erase_p": 0.0},
    },
}


def get_recipe(name: str, **overrides: Any) -> Recipe:
    """A copy of the named recipe; ``overrides`` replace Stage fields in every stage
    (e.g. ``optimizer="adam"``) or, as ``stages={i: {field: value}}``, in one stage."""
    if name not in RECIPES:
        raise KeyError(f"unknown recipe {name!r}; valid: {', '.join(RECIPES)}")
    d = RECIPES[name].to_dict()
    per_stage = overrides.pop("stages", {}) or {}
    for i, s in enumerate(d["stages"]):
        bad = sorted(set(overrides) - set(s))
        if bad:
            raise KeyError(f"unknown stage fields {bad}; valid: {', '.join(s)}")
        s.update(copy.deepcopy(overrides))
        s.update(per_stage.get(i, per_stage.get(str(i), {})))
    return Recipe.from_dict(d)


def get_experiment(name: str) -> dict[str, Any]:
    """A deep copy of the named experiment; unknown names list the valid ones."""
    if name not in EXPERIMENTS:
        raise KeyError(f"unknown experiment {name!r}; valid: {', '.join(sorted(EXPERIMENTS))}")
    return copy.deepcopy(EXPERIMENTS[name])


def register_experiment(name: str, definition: dict[str, Any], overwrite: bool = False) -> None:
    """Add an experiment (the study layer extends the registry this way)."""
    required = ("model", "losses", "recipe", "data")
    missing = [k for k in required if k not in definition]
    if missing:
        raise ValueError(f"experiment {name!r} lacks {missing}; required keys: {', '.join(required)}")
    if definition["recipe"] not in RECIPES:
        raise KeyError(f"experiment {name!r}: unknown recipe {definition['recipe']!r}; valid: {', '.join(RECIPES)}")
    if name in EXPERIMENTS and not overwrite:
        raise KeyError(f"experiment {name!r} already registered (pass overwrite=True to replace it)")
    EXPERIMENTS[name] = copy.deepcopy(definition)
