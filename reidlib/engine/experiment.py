"""Resolve (experiment, profile, overrides) into a config, and build + run it.

The resolved config (what ``config.json`` stores and the run id hashes) is plain data::

    {"experiment": name, "seed": s, "profile": {...Profile fields...},
     "model": {...}, "losses": [...], "sampler": {...}, "recipe": {...scaled Recipe...},
     "data": {...}, "groups": {...}, "eval": {...}, "augment": {...}}

``overrides`` are dotted keys (``profile.epochs=3``, ``eval.flip=true``,
``model.kwargs.dropout=0.5``, or a whole value such as ``losses=[{"name": "id"}]``); a key
that does not exist raises ``KeyError`` listing the valid keys at that level (``*.kwargs.*``
and ``*.loss_weights.*`` accept new keys). Loss terms and recipe stages are addressed by
their *names*, never by list position: ``losses.ranking.alpha=0.1`` (a term's keyword;
also ``losses.ranking.weight``), ``recipe.classifier.loss_weights.id=1`` (a stage's field;
:func:`named_key`). ``profile.*`` overrides are applied first, then the recipe is scaled to
``profile.epochs``, then the other overrides (so ``recipe.ranking.loss_weights.id=1``
survives an epochs override).

Building (:func:`build_trainer`): data from :mod:`reidlib.engine.data_spec`, the model from
``reidlib.models.build_model``, loss terms from :mod:`reidlib.engine.terms`, the batch
sampler from :mod:`reidlib.engine.sampling`, bank mining (MPM-LTL algorithm 1) from
:mod:`reidlib.engine.bank_mining`, the evaluator from :mod:`reidlib.engine.features`. ``profile.precision="bf16"``: bf16 autocast + channels_last on the CPU
(bench/train.py measures it: about 1.5-2x faster on AVX-512 / AMX CPUs; off where exactness matters).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Mapping

import torch

from . import distributed as D
from .loop import LossTerm, Trainer
from .machine import forced_precision
from .precision import apply_format, plan_format
from .pretrained import require_pretrained
from .profiles import check_profile, get_profile, resolve_run_profile
from .recipes import get_experiment, training_recipe
from .runs import open_run
from .schedule import Recipe
from .terms import build_term

OPEN_KEYS = ("kwargs", "loss_weights")


def _parse(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


#: fields of a loss entry; any other ``losses.<term>.<key>`` is one of the term's keywords
TERM_FIELDS = ("name", "weight", "kwargs")


def _by_name(items: list, name: str, what: str, key: str) -> int:
    names = [str(x.get("name")) for x in items if isinstance(x, dict)]
    if name.isdigit():
        raise KeyError(f"config key {key!r}: address {what} by name, not position; names here: {', '.join(names)}")
    if name not in names:
        raise KeyError(f"unknown {what} {name!r} in config key {key!r}; names here: {', '.join(names)}")
    return names.index(name)


def named_key(config: Mapping[str, Any], key: str) -> list[Any]:
    """The path of dotted ``key`` with loss terms and recipe stages resolved by name:
    ``losses.ranking.alpha`` -> ``["losses", 1, "kwargs", "alpha"]``,
    ``recipe.classifier.loss_weights.id`` -> ``["recipe", "stages", 1, "loss_weights", "id"]``."""
    parts: list[Any] = key.split(".")
    if parts[0] == "losses" and len(parts) > 1 and isinstance(config.get("losses"), list):
        parts[1] = _by_name(config["losses"], parts[1], "loss term", key)
        if len(parts) > 2 and parts[2] not in TERM_FIELDS:
            parts.insert(2, "kwargs")
    recipe = config.get("recipe")
    if parts[0] == "recipe" and len(parts) > 1 and isinstance(recipe, dict):
        if parts[1] == "stages" and len(parts) > 2:
            parts[2] = _by_name(recipe["stages"], parts[2], "recipe stage", key)
        elif parts[1] not in recipe:
            parts[1:2] = ["stages", _by_name(recipe["stages"], parts[1], "recipe stage", key)]
    return parts


def apply_override(config: dict[str, Any], key: str, value: Any) -> None:
    """Set dotted ``key`` in ``config`` (terms and stages by name, :func:`named_key`);
    unknown keys list the valid ones."""
    parts = named_key(config, key)
    node: Any = config
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list) and isinstance(p, int) and p < len(node):
            pass
        elif not isinstance(node, dict) or (p not in node and parts[max(i - 1, 0)] not in OPEN_KEYS):
            valid = list(node) if isinstance(node, dict) else list(range(len(node)))
            raise KeyError(f"unknown config key {'.'.join(map(str, parts[:i + 1]))!r}; valid at this level: "
                           f"{', '.join(map(str, valid))}")
        if last:
            node[p] = _parse(value) if isinstance(value, str) else copy.deepcopy(value)
        else:
            if node[p] is None and parts[i] in OPEN_KEYS:
                node[p] = {}
            node = node[p]


def resolve_config(experiment: str, profile: str = "quick", overrides: Mapping[str, Any] | None = None,
                   seed: int | None = None) -> dict[str, Any]:
    """The full resolved config of one run (see module docstring)."""
    exp, prof = get_experiment(experiment), get_profile(profile)
    overrides = dict(overrides or {})
    cfg: dict[str, Any] = {"experiment": experiment, "seed": prof.seeds[0] if seed is None else seed,
                           "profile": prof.to_dict(),
                           **{k: v for k, v in exp.items() if k not in ("description", "paper_image_size")}}
    if prof.name == "paper" and exp.get("paper_image_size"):   # the paper's own input size
        cfg["profile"]["image_size"] = list(exp["paper_image_size"])
    forced = forced_precision()  # $REIDLIB_PRECISION: below an explicit --set profile.precision
    if forced:
        cfg["profile"]["precision"] = forced
    prof_keys = [k for k in overrides if k == "profile" or k.startswith("profile.")]
    for k in prof_keys:
        apply_override(cfg, k, overrides[k])
    check_profile(cfg["profile"])  # names the key before anything uses a bad value
    resolve_run_profile(cfg["profile"], cfg["recipe"], overrides)  # this machine's format, the family's epochs
    pretrained = overrides.get("model.kwargs.pretrained", cfg["model"].get("kwargs", {}).get("pretrained"))
    recipe = training_recipe(cfg["recipe"], cfg["profile"]["epochs"], bool(cfg["profile"].get("from_scratch")),
                             bool(pretrained))
    cfg["recipe"] = recipe.to_dict()
    for k, v in overrides.items():
        if k not in prof_keys:
            apply_override(cfg, k, v)
    require_pretrained(cfg)  # the paper profile's ImageNet file, or an explicit profile.from_scratch
    if cfg["data"].get("dataset") == "synth":  # the data's identity is part of the run's identity
        from reidlib.data.synth.writer import cache_key

        cfg["data"]["synth_key"] = cache_key(cfg["profile"]["data_preset"], cfg["data"].get("domain", "market"),
                                             int(cfg["data"].get("synth_seed", 0)))
    if cfg["data"].get("masks") == "extracted":  # the segmenter's weights are part of the run's identity
        from reidlib.masks.segmenters import segmenter_fingerprint

        cfg["data"]["segmenter_key"] = segmenter_fingerprint(str(cfg["data"].get("segmenter", "reidlib_fcn")))
    if cfg["data"].get("dataset") != "synth":  # real data: what it trained on is part of its identity
        from .data_spec import data_fingerprint

        cfg["data"]["data_key"] = data_fingerprint(cfg["data"], cfg["profile"]["data_preset"])
    return json.loads(json.dumps(cfg))


def _loss_term(spec: Mapping[str, Any]) -> LossTerm:
    return build_term(spec)


def _check_stages(recipe: Recipe, terms: list[LossTerm]) -> None:
    names = {t.name for t in terms}
    for st in recipe.stages:  # drop weights of terms this experiment does not have
        st.loss_weights = {k: v for k, v in st.loss_weights.items() if k in names}
        if all(float(st.loss_weights.get(t.name, t.weight)) == 0 for t in terms):
            raise ValueError(f"stage {st.name!r} of recipe {recipe.name!r} has no loss term with weight > 0 "
                             f"(terms {sorted(names)}, stage weights {st.loss_weights}): set "
                             "recipe.<stage>.loss_weights.<term>=1 or add a term")


def validate_config(cfg: Mapping[str, Any]) -> None:
    """Check a resolved config against the registries without building data or models:
    model name and kwargs, loss terms and their kwargs, sampler/miner pair, mask source,
    protocols and metrics, and that every stage trains some term; the profile's field types
    and ranges (:func:`reidlib.engine.profiles.check_profile`). Raises the builders' errors.
    ``train`` (also ``--dry-run``) and :func:`build_trainer` call it before any data or model
    is built."""
    import inspect

    from reidlib.models.registry import MODELS

    from .data_spec import MASK_SOURCES_KINDS, check_data_spec
    from .sampling import BANK_MINERS, SAMPLERS, check_miner_name

    check_profile(cfg["profile"])
    name = cfg["model"]["name"]
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; valid models: {sorted(MODELS)}")
    params = inspect.signature(MODELS[name]).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        bad = sorted(set(cfg["model"].get("kwargs", {})) - set(params))
        if bad:
            raise TypeError(f"unknown keyword argument(s) {bad} for model {name!r}")
    terms = [_loss_term(s) for s in cfg["losses"]]
    _check_stages(Recipe.from_dict(cfg["recipe"]), terms)
    sname, mname = cfg["sampler"]["name"], cfg["miner"]["name"]
    if sname not in SAMPLERS:
        raise KeyError(f"unknown sampler {sname!r}; valid samplers: {', '.join(SAMPLERS)}")
    check_miner_name(mname)
    if (sname == "triplet") != (mname in BANK_MINERS):
        raise ValueError(f"sampler {sname!r} with miner {mname!r}: bank miners need sampler 'triplet' and back")
    for st in cfg["recipe"]["stages"]:
        own = (st.get("sampler") or {}).get("name")
        if own is not None and own not in SAMPLERS or own == "triplet":
            raise KeyError(f"recipe stage {st['name']!r}: unknown stage sampler {own!r}; valid: "
                           f"{', '.join(s for s in SAMPLERS if s != 'triplet')} ('triplet' only as sampler.name)")
    if cfg["data"]["masks"] not in MASK_SOURCES_KINDS:
        raise ValueError(f"unknown data.masks {cfg['data']['masks']!r}; valid: {', '.join(MASK_SOURCES_KINDS)}")
    check_data_spec(cfg["data"])
    if not isinstance(cfg["eval"].get("protocols"), list) or not isinstance(cfg["eval"].get("flip", False), bool):
        raise TypeError(f"eval.protocols expects a list and eval.flip a bool (true/false), got "
                        f"{cfg['eval'].get('protocols')!r} / {cfg['eval'].get('flip')!r}")
    from .features import EVAL_METRICS, PROTOCOLS

    bad_p = [p for p in cfg["eval"]["protocols"] if p not in PROTOCOLS]
    metrics = [cfg["eval"]["metric"], *cfg["eval"].get("extra_metrics", [])]
    bad_m = [m for m in metrics if m not in EVAL_METRICS]
    if bad_p or bad_m:
        raise ValueError(f"unknown protocols {bad_p} / metrics {bad_m}; valid protocols {', '.join(PROTOCOLS)}; "
                         f"metrics {', '.join(EVAL_METRICS)}")


def build_trainer(cfg: Mapping[str, Any], runs_root: str | Path = "runs", quiet: bool = False,
                  run: bool = True) -> Trainer:
    """Build data, model, losses, sampler, evaluator and the Trainer for ``cfg``
    (``run=False``: no run folder, e.g. for benchmarks)."""
    from reidlib.data.transforms import build_transforms
    from reidlib.models import build_model

    from .bank_mining import LayoutDataset, StagedTripletSampler, TripletMiningHook
    from .data_spec import build_data
    from .features import FITTED_METRICS, evaluate_model
    from .sampling import build_stage_samplers

    prof, data, ev = cfg["profile"], cfg["data"], cfg["eval"]
    seed, size = int(cfg["seed"]), tuple(prof["image_size"])
    validate_config(cfg)
    torch.manual_seed(seed)
    bundle = build_data(data, prof)
    model = build_model(cfg["model"]["name"], bundle.num_classes, prof["model_size"], **cfg["model"].get("kwargs", {}))
    plan = plan_format(prof, cfg["model"]["name"])      # device, autocast, channels_last, grad scaler
    apply_format(model, plan)
    recipe = Recipe.from_dict(cfg["recipe"])
    terms = [_loss_term(s) for s in cfg["losses"]]
    _check_stages(recipe, terms)
    sampler = build_stage_samplers(cfg.get("sampler", {"name": "pk"}), cfg.get("miner"), cfg["recipe"]["stages"],
                                   bundle.train.pids.tolist(), prof, seed)
    tf = build_transforms(size, train=True, **cfg.get("augment", {}))
    ev_tf = build_transforms(size, train=False)
    use_mask = bool(data.get("use_mask", True)) and data.get("masks", "true") != "none"
    hooks = []
    staged = [s for s in getattr(sampler, "samplers", [sampler]) if isinstance(s, StagedTripletSampler)]
    if staged:
        hooks.append(TripletMiningHook(staged[0], bundle.train, cfg["miner"], ev_tf, use_mask, seed))
    fitted = [m for m in [ev.get("metric", "euclidean"), *ev.get("extra_metrics", [])] if m in FITTED_METRICS]

    def evaluator(m: torch.nn.Module, protocols: tuple[str, ...] | None = None) -> dict:
        protocols = tuple(protocols or ev.get("protocols", ["sq"]))
        return evaluate_model(m, bundle.query, bundle.gallery, ev_tf, protocols=protocols,
                              flip=bool(ev.get("flip", False)), use_mask=use_mask,
                              metric=ev.get("metric", "euclidean"), extra_metrics=tuple(ev.get("extra_metrics", [])),
                              multiquery=bundle.multiquery, train=bundle.train if fitted else None,
                              rerank_params=ev.get("rerank"), device=plan.device)

    evaluator.query, evaluator.gallery = bundle.query, bundle.gallery  # type: ignore[attr-defined]
    r = open_run(runs_root, cfg["experiment"], cfg, create=D.is_main()) if run else None
    return Trainer(model, terms, LayoutDataset(bundle.train, sampler), sampler, recipe, groups=cfg.get("groups"),
                   transform=tf, evaluator=evaluator, eval_every=prof["eval_every"], run=r, seed=seed,
                   quiet=quiet, checkpoint_every=prof["checkpoint_every"], use_mask=use_mask,
                   max_steps_per_epoch=prof.get("max_steps_per_epoch"), hooks=hooks, device=plan.device,
                   grad_scaler=plan.grad_scaler, num_workers=int(prof.get("num_workers", 0)))


def run_experiment(experiment: str, profile: str = "quick", overrides: Mapping[str, Any] | None = None,
                   seed: int | None = None, runs_root: str | Path = "runs", quiet: bool = False) -> dict[str, Any]:
    """Resolve, build and fit (reusing a finished run, resuming an unfinished one)."""
    cfg = resolve_config(experiment, profile, copy.deepcopy(dict(overrides or {})), seed)
    return build_trainer(cfg, runs_root, quiet).fit()
