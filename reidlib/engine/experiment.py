"""Resolve (experiment, profile, overrides) into a config, and build + run it.

The resolved config (what ``config.json`` stores and the run id hashes) is plain data::

    {"experiment": name, "seed": s, "profile": {...Profile fields...},
     "model": {...}, "losses": [...], "sampler": {...}, "recipe": {...scaled Recipe...},
     "data": {...}, "groups": {...}, "eval": {...}, "augment": {...}}

``overrides`` are dotted keys (``profile.epochs=3``, ``eval.flip=true``,
``model.kwargs.dropout=0.5``); a key that does not exist raises ``KeyError`` listing
the valid keys at that level (``model.kwargs.*`` and ``recipe.*`` accept new keys).
Building uses the sibling layers: ``reidlib.data.synth.ensure_synth`` and
``read_market1501`` (data), ``reidlib.models.build_model``, ``reidlib.losses``,
``reidlib.data.samplers.RandomIdentitySampler``, ``reidlib.metrics``.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Mapping

import torch

from . import distributed as D
from .loop import LossTerm, Trainer
from .profiles import get_profile
from .recipes import get_experiment, get_recipe
from .runs import open_run
from .schedule import Recipe

OPEN_KEYS = ("kwargs",)


def _parse(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def apply_override(config: dict[str, Any], key: str, value: Any) -> None:
    """Set dotted ``key`` in ``config``; unknown keys list the valid ones."""
    parts = key.split(".")
    node: Any = config
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list) and p.isdigit() and int(p) < len(node):
            p = int(p)
        elif not isinstance(node, dict) or (p not in node and parts[max(i - 1, 0)] not in OPEN_KEYS):
            valid = list(node) if isinstance(node, dict) else list(range(len(node)))
            raise KeyError(f"unknown config key {'.'.join(parts[:i + 1])!r}; valid at this level: "
                           f"{', '.join(map(str, valid))}")
        if last:
            node[p] = _parse(value) if isinstance(value, str) else value
        else:
            node = node[p]


def resolve_config(experiment: str, profile: str = "quick", overrides: Mapping[str, Any] | None = None,
                   seed: int | None = None) -> dict[str, Any]:
    """The full resolved config of one run (see module docstring)."""
    exp, prof = get_experiment(experiment), get_profile(profile)
    cfg: dict[str, Any] = {"experiment": experiment, "seed": prof.seeds[0] if seed is None else seed,
                           "profile": prof.to_dict(), **{k: v for k, v in exp.items() if k != "description"}}
    recipe = get_recipe(cfg["recipe"])
    if prof.epochs is not None:
        recipe = recipe.scaled(prof.epochs)
    cfg["recipe"] = recipe.to_dict()
    for k, v in (overrides or {}).items():
        apply_override(cfg, k, v)
    if overrides and any(k.startswith("profile.epochs") for k in overrides):
        cfg["recipe"] = get_recipe(exp["recipe"]).scaled(cfg["profile"]["epochs"]).to_dict()
    return json.loads(json.dumps(cfg))


def _loss_term(spec: Mapping[str, Any]) -> LossTerm:
    from reidlib import losses as L

    name, kw = spec["name"], dict(spec.get("kwargs", {}))
    builders = {"id": lambda o, b: L.id_loss(o["logits"], b["pid"], **kw)}
    if name not in builders:
        raise KeyError(f"unknown loss term {name!r}; valid: {', '.join(builders)}")
    return LossTerm(name, builders[name], float(spec.get("weight", 1.0)))


def build_trainer(cfg: Mapping[str, Any], runs_root: str | Path = "runs", quiet: bool = False) -> Trainer:
    """Build data, model, losses, sampler, evaluator and the Trainer for ``cfg``."""
    from reidlib.data.base import relabel
    from reidlib.data.image_dataset import ImageDataset
    from reidlib.data.market import read_market1501
    from reidlib.data.samplers import RandomIdentitySampler
    from reidlib.data.synth import ensure_synth
    from reidlib.data.transforms import build_transforms
    from reidlib.models import build_model

    from .features import evaluate_model

    prof, data, ev = cfg["profile"], cfg["data"], cfg["eval"]
    seed, size = int(cfg["seed"]), tuple(prof["image_size"])
    torch.manual_seed(seed)
    if data["dataset"] != "synth":
        raise KeyError(f"unknown dataset {data['dataset']!r}; valid: synth (real sets: study layer)")
    ds = read_market1501(ensure_synth(prof["data_preset"], data["domain"], seed=0))
    lm = relabel(ds.train)
    mk = dict(size=size, masks=data.get("masks", "optional"), cache=prof["cache_images"])
    train = ImageDataset(ds.train, label_map=lm, **mk)
    query, gallery = ImageDataset(ds.query, **mk), ImageDataset(ds.gallery, **mk)
    model = build_model(cfg["model"]["name"], len(lm), prof["model_size"], **cfg["model"].get("kwargs", {}))
    sampler = RandomIdentitySampler(train.pids.tolist(), prof["batch_p"], prof["batch_k"], seed=seed,
                                    num_replicas=D.world_size(), rank=D.rank())
    recipe = Recipe.from_dict(cfg["recipe"])
    terms = [_loss_term(s) for s in cfg["losses"]]
    names = {t.name for t in terms}
    for st in recipe.stages:  # drop weights of terms this experiment does not have
        st.loss_weights = {k: v for k, v in st.loss_weights.items() if k in names}
    aug = cfg.get("augment", {})
    tf = build_transforms(size, train=True, **aug)
    ev_tf = build_transforms(size, train=False)
    use_mask = bool(data.get("use_mask", True))

    def evaluator(m: torch.nn.Module) -> dict:
        return evaluate_model(m, query, gallery, ev_tf, protocols=tuple(ev.get("protocols", ["sq"])),
                              flip=bool(ev.get("flip", False)), use_mask=use_mask, metric=ev.get("metric", "euclidean"))

    evaluator.query, evaluator.gallery = query, gallery  # type: ignore[attr-defined]  (for `evaluate`)
    run = open_run(runs_root, cfg["experiment"], cfg, create=D.is_main())
    return Trainer(model, terms, train, sampler, recipe, groups=cfg.get("groups"), transform=tf,
                   evaluator=evaluator, eval_every=prof["eval_every"], run=run, seed=seed,
                   quiet=quiet, checkpoint_every=prof["checkpoint_every"], use_mask=use_mask,
                   max_steps_per_epoch=prof.get("max_steps_per_epoch"))


def run_experiment(experiment: str, profile: str = "quick", overrides: Mapping[str, Any] | None = None,
                   seed: int | None = None, runs_root: str | Path = "runs", quiet: bool = False) -> dict[str, Any]:
    """Resolve, build and fit (reusing a finished run, resuming an unfinished one)."""
    cfg = resolve_config(experiment, profile, copy.deepcopy(dict(overrides or {})), seed)
    return build_trainer(cfg, runs_root, quiet).fit()
