"""The papers' training schedules (recipes) and the experiment registry, as plain data.

Recipes (``RECIPES``; epochs are the papers', scale them with ``Recipe.scaled``):

``mpm_ltl``  MPM-LTL sec. IV-B: (1) 60 epochs id loss, SGD lr 0.01 base / 0.1 new
             layers + classifier, x0.1 after epoch 40; (2) 20 epochs classifier only at
             0.001; (3) 20 epochs all, 0.001 base + classifier / 0.01 new, triplet on.
``mgcam``    MGCAM sec. 4.1, in iterations as printed: 75k iterations at 0.01 without the
             Siamese loss, decreased after each 15k, "for each iteration, we randomly select
             128 samples across the whole dataset" (phase-1 sampler ``random``, batch 128);
             then fine-tune with the Siamese loss at 0.001, "gradually decreased until the
             loss stop dropping" (the experiment's Siamese pair sampler). Choices: decay
             factor 0.5 (Caffe "step"; the paper gives no factor), phase 2 of 15k iterations
             halved at its midpoint (the paper gives no length). The scaled (CPU) versions
             keep the 75 : 15 split and train at the profile's batch size.
``mscan``    MSCAN, MGCAM's base (MGCAM sec. 4.1 trains both the same way): ``mgcam``'s stages
             under their own name, so a profile's ``recipe_epochs`` can give MSCAN its own
             length (its convergence check passes sooner than MGCAM's).
``maskreid`` MaskReID sec. 4.2: a softmax model pre-trained (on the small-scale sets), then
             trained "with the proposed ranking loss" (Market / Duke); no epochs, no lrs given.
             Choice: SGD for 60 epochs (x0.1 at 40), base 0.01 / new layers and classifier 0.1
             (MPM-LTL sec. IV-B's fine-tuning convention; from scratch every group trains at
             0.1, :meth:`Recipe.from_scratch`), then 0.001 for 30 (x0.1 at 20): two thirds
             softmax, one third ranking, as the paper's softmax model is a whole training of
             its own. Measured (00, quick, seed 0, ``runs/quick/checks/maskreid_split``): with
             every group at 0.01 SQ mAP followed the epochs spent in the softmax stage (30 + 60
             split: 1,024 epochs 55.86, 2,048 59.25; 60 + 30: 59.70, 64.63, no plateau) and the
             ranking stage moved it < 1 point. At 0.1 (seed 0, ``runs/quick/checks/maskreid_rate``)
             it learns far more (512 / 1,024 / 2,048 epochs: 62.45 / 68.18 / 78.19; the ranking
             stage adds 3-4) and passes the doubling check at 2,048 (4,096 epochs: 75.06, -3.13).
``maskreid_softmax``  MaskReID sec. 4.2, "Results on Small-Scale Datasets" (Table 1):
             "softmax loss is used for training our network", one training with DGD's
             settings [33]: the softmax stage of ``maskreid`` alone (no ranking stage; the same
             rates, x0.1 at two thirds of its length).
``semparts`` SemParts sec. IV-A: Adam 3e-4, weight decay 5e-4, 80 epochs (no decay given;
             choice: x0.1 at 40, the ECN code's step).
``cross_domain``  the cross-domain trainer's (E10: ECN, ECN + parts, direct transfer,
             supervised; reidlib.domain): ``semparts``' stages under their own name, so a
             profile's ``recipe_epochs`` gives the E10 runs their own length, from their own
             check (00's ECN row), not SemParts'.
``ide``      a plain baseline (IDE, Zheng et al.): SGD 0.01 base / 0.1 new, x0.1 at 2/3 of training.

``paper_image_size``: the input size of the experiment's paper, used by the ``paper`` profile
instead of its generic 256 x 128 (MPM-LTL 384 x 128, sec. IV-B; MGCAM / MSCAN 160 x 64,
sec. 4.1); ``--set profile.image_size=[H,W]`` still wins. None: the profile's size.

Loss weights per stage name the terms (``id``, ``triplet``, ``siamese``, ``ranking`` ...);
terms an experiment lacks are dropped when it is built.

Experiments (``EXPERIMENTS``): ``name -> {model, losses, sampler, recipe, data, groups,
eval}`` - plain dicts so the study layer can extend them (``register_experiment``).
"""
from __future__ import annotations

import copy
from typing import Any

from reidlib.models.mask_pooling import DEFAULT_THRESHOLD

from .schedule import Recipe, Stage

GROUPS_DEFAULT = {"classifier": ["classifier", "fc"], "new": ["embed", "head", "reduce", "attention"]}
#: parameter groups per model family (prefixes of ``named_parameters``; the rest is "base")
GROUPS = {
    "ide": {"classifier": ["classifier"], "new": ["bottleneck"]},
    "mpm": {"classifier": ["head.classifiers"], "new": ["head.reductions"]},
    "mscan": {"classifier": ["classifier"], "new": ["head"]},
    "mgcam": {"classifier": ["classifiers"], "new": ["att_conv", "heads"]},
    "maskreid": {"classifier": ["classifier"], "new": ["fuse"]},
    "semparts": {"classifier": ["classifiers"], "new": ["part_classifier"]},
}
METRIC_TERMS_OFF = {"triplet": 0.0, "local_triplet": 0.0, "ranking": 0.0, "ranking_full": 0.0, "npair": 0.0}

RECIPES: dict[str, Recipe] = {
    "mpm_ltl": Recipe("mpm_ltl", [
        Stage("id", 60, {"base": 0.01, "new": 0.1, "classifier": 0.1}, milestones=[40],
              loss_weights={"triplet": 0.0, "local_triplet": 0.0}),
        Stage("classifier", 20, {"classifier": 0.001}, loss_weights={"triplet": 0.0, "local_triplet": 0.0}),
        Stage("all+triplet", 20, {"base": 0.001, "classifier": 0.001, "new": 0.01}),
    ]),
    "mgcam": Recipe("mgcam", [
        Stage("mgcam", iterations=75_000, lrs={"base": 0.01, "new": 0.01, "classifier": 0.01},
              milestones=[15_000, 30_000, 45_000, 60_000], gamma=0.5, loss_weights={"siamese": 0.0},
              sampler={"name": "random", "kwargs": {"batch_size": 128}}),
        Stage("siamese", iterations=15_000, lrs={"base": 0.001, "new": 0.001, "classifier": 0.001},
              milestones=[7_500], gamma=0.5),
    ]),
    "maskreid": Recipe("maskreid", [
        Stage("softmax", 60, {"base": 0.01, "new": 0.1, "classifier": 0.1}, milestones=[40],
              loss_weights=dict(METRIC_TERMS_OFF)),
        Stage("ranking", 30, {"base": 0.001, "new": 0.001, "classifier": 0.001}, milestones=[20],
              loss_weights={"id": 0.0}),
    ]),
    "semparts": Recipe("semparts", [
        Stage("adam", 80, {"base": 3e-4, "new": 3e-4, "classifier": 3e-4}, optimizer="adam",
              weight_decay=5e-4, milestones=[40]),
    ]),
    "ide": Recipe("ide", [
        Stage("id", 30, {"base": 0.01, "new": 0.1, "classifier": 0.1}, milestones=[20]),
    ]),
    "maskreid_softmax": Recipe("maskreid_softmax", [
        Stage("softmax", 30, {"base": 0.01, "new": 0.1, "classifier": 0.1}, milestones=[20]),
    ]),
}
RECIPES["mscan"] = Recipe("mscan", copy.deepcopy(RECIPES["mgcam"].stages))
RECIPES["cross_domain"] = Recipe("cross_domain", copy.deepcopy(RECIPES["semparts"].stages))

#: every key of ``data`` (so rows can override any of them; see reidlib.engine.data_spec)
DATA_DEFAULT: dict[str, Any] = {
    "dataset": "synth", "domain": "market", "synth_seed": 0, "root": None, "kwargs": {},
    "masks": "true", "mask_iou": 1.0, "mask_kinds": None, "segmenter": "reidlib_fcn",
    "mask_recipe": "mpm_ltl", "needs_mask": True, "use_mask": True,
}
EVAL_DEFAULT: dict[str, Any] = {
    "protocols": ["sq", "mq"], "metric": "euclidean", "extra_metrics": [], "flip": False,
    "rerank": {"k1": 20, "k2": 6, "lambda_value": 0.3},
}
AUGMENT_DEFAULT = {"padding": 10, "flip_p": 0.5, "erase_p": 0.0}
NO_MINER = {"name": "none", "kwargs": {}}


def _exp(*, description: str, model: str, losses: list, sampler: str, recipe: str, groups: str,
         kwargs: dict | None = None, miner: dict | None = None, data: dict | None = None,
         eval: dict | None = None, augment: dict | None = None,
         paper_image_size: tuple[int, int] | None = None) -> dict[str, Any]:
    """One experiment as plain data, every field by keyword (``groups`` names an entry of
    ``GROUPS``; data / eval / augment are merged over their defaults)."""
    kwargs = dict(kwargs or {})
    return {"description": description, "paper_image_size": list(paper_image_size) if paper_image_size else None,
            "model": {"name": model, "kwargs": kwargs}, "losses": losses,
            "sampler": {"name": sampler, "kwargs": {}}, "miner": miner or dict(NO_MINER), "recipe": recipe,
            "data": {**DATA_DEFAULT, **(data or {})}, "groups": GROUPS[groups],
            "eval": {**EVAL_DEFAULT, **(eval or {})}, "augment": {**AUGMENT_DEFAULT, **(augment or {})}}


#: experiment name -> plain-data definition (one base entry per model family; the study's
#: rows are overrides of these, see reidlib.study.rows.ROWS)
EXPERIMENTS: dict[str, dict[str, Any]] = {
    "ide": _exp(
        description="IDE baseline (ID loss, global feature); model.name picks the input kind: ide_rgb, "
                    "ide_rgbm, ide_mask_bilinear, ide_mask_pool, ide_masked_rgb, ide_mask_only",
        model="ide_rgb", losses=[{"name": "id", "weight": 1.0}], sampler="pk", recipe="ide", groups="ide",
        data={"needs_mask": False}),
    "mpm_ltl": _exp(
        description=f"full MPM-LTL (Table 1 row 7): mask pooling (threshold {DEFAULT_THRESHOLD}, the "
                    "paper's best on Market), 6 parts, ID loss (eq. 3-4) + local-level triplet (eq. 2, margin "
                    "0.5) on mask-guided TriHard triplets (algorithm 1), three-stage recipe (sec. IV-B); "
                    "uneven='adaptive' equals exact stripes when k divides the map and lets the "
                    "smoke size (4x2 map) run",
        model="mpm", kwargs={"parts": 6, "threshold": DEFAULT_THRESHOLD, "uneven": "adaptive"},
        losses=[{"name": "id", "weight": 1.0, "kwargs": {"parts": "mean"}},
                {"name": "local_triplet", "weight": 1.0, "kwargs": {"margin": 0.5}}],
        sampler="triplet", recipe="mpm_ltl", groups="mpm",
        miner={"name": "trihard", "kwargs": {"num_far": 10, "num_mask": 5}},
        eval={"protocols": ["sq", "mq", "sq+rr", "mq+rr"]},
        paper_image_size=(384, 128)),   # MPM-LTL sec. IV-B: 24 x 8 map, 6 stripes of 4 rows
    "mscan": _exp(
        description="MSCAN-body trained from scratch with the ID loss (MGCAM's base; input_kind rgb / "
                    "mask / masked_rgb / rgbm, MGCAM Table 2); evaluated with Euclidean, KISSME, XQDA, RR",
        model="mscan", kwargs={"input_kind": "rgbm"}, losses=[{"name": "id", "weight": 1.0}],
        # the MGCAM rows' sampler (Siamese pair batches): E1 / E9 compare MSCAN with MGCAM, and
        # compared rows share the sampler and solver (MGCAM sec. 4.1 trains both the same way:
        # recipe ``mscan`` is ``mgcam``'s stages under their own name)
        sampler="siamese", recipe="mscan", groups="mscan",
        eval={"protocols": ["sq", "sq+rr"], "extra_metrics": ["kissme", "xqda"]},
        paper_image_size=(160, 64)),      # MGCAM sec. 4.1
    "mgcam": _exp(
        description="MGCAM (eq. 8): ID on the three streams (summed) + attention MSE (eq. 5, beta 0.1) + "
                    "region triplet (eq. 6, alpha 0.01); Siamese (eq. 7, lambda 0.01) in phase 2",
        model="mgcam", kwargs={"input_kind": "rgbm"},
        losses=[{"name": "id", "weight": 1.0, "kwargs": {"parts": "sum"}},
                {"name": "attention_mse", "weight": 0.1},
                {"name": "region_triplet", "weight": 0.01, "kwargs": {"margin": 10.0}},
                {"name": "siamese", "weight": 0.01, "kwargs": {"margin": 10.0}}],
        sampler="siamese", recipe="mgcam", groups="mgcam",
        eval={"protocols": ["sq", "sq+rr"], "extra_metrics": ["kissme", "xqda"]},
        paper_image_size=(160, 64)),
    "maskreid": _exp(
        description="MaskReID-MF: original + masked image, skipped fusing layer; softmax pre-training "
                    "then the ranking loss (eq. 5, alpha 0.15, lambda 2) on 1 x P + N batches",
        model="maskreid_mf",
        losses=[{"name": "id", "weight": 1.0},
                {"name": "ranking", "weight": 1.0, "kwargs": {"alpha": 0.15, "lam": 2.0}}],
        sampler="maskreid", recipe="maskreid", groups="maskreid",
        eval={"protocols": ["sq", "mq", "sq+rr", "mq+rr"]}),
    "maskreid_softmax": _exp(
        description="MaskReID Table 1 protocol (sec. 4.2, small data sets): softmax (ID) loss only, "
                    "one stage, PK batches (the ranking loss's 1 x P + N batches serve no purpose "
                    "without it; DGD [33] trains on shuffled images); model.name picks the variant: "
                    "maskreid_base (DGD), maskreid_m, maskreid_mf, maskreid_masked_only",
        model="maskreid_mf", losses=[{"name": "id", "weight": 1.0}], sampler="pk",
        recipe="maskreid_softmax", groups="maskreid", eval={"protocols": ["sq", "mq"]}),
    "semparts": _exp(
        description="SemParts, source-only supervised version: ID loss on global + head/upper/lower "
                    "(eq. 3-4, summed) + part-classifier segmentation loss; Adam 3e-4; crop, flip, "
                    "random erasing",
        model="semparts",
        losses=[{"name": "id", "weight": 1.0, "kwargs": {"parts": "sum"}}, {"name": "part_seg", "weight": 1.0}],
        sampler="pk", recipe="semparts", groups="semparts",
        data={"needs_mask": False, "use_mask": False}, augment={"erase_p": 0.5}),
}
EXPERIMENTS["ide_rgb"] = {**copy.deepcopy(EXPERIMENTS["ide"]), "description": "alias: ide with model ide_rgb"}
EXPERIMENTS["ide_rgbm"] = {**copy.deepcopy(EXPERIMENTS["ide"]), "description": "alias: ide with model ide_rgbm",
                           "model": {"name": "ide_rgbm", "kwargs": {}}}
EXPERIMENTS["ide_rgbm"]["data"]["needs_mask"] = True


def training_recipe(name: str, epochs: int | None, from_scratch: bool, pretrained: bool = False) -> Recipe:
    """The recipe a run trains: ``name`` scaled to ``epochs`` (None: the paper's), with the
    from-scratch rates (:meth:`Recipe.from_scratch`) when ``from_scratch`` and no pretrained
    weights are given. The engine's experiments and the cross-domain trainer both use it."""
    recipe = get_recipe(name)
    if epochs is not None:
        recipe = recipe.scaled(int(epochs))
    return recipe.from_scratch() if from_scratch and not pretrained else recipe


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
