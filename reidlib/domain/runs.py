"""Cross-domain training on the common run path: one resolved config, one run folder.

Every E10 run (SemParts Tables 1-4: direct transfer, ECN, ECN + parts, supervised) is a
plain-data config, hashed into ``runs/cross_domain/<run-id>/`` like every other run
(``reidlib.engine.runs``): config.json, env.json, epochs.csv, checkpoints, metrics.json;
a finished run is reused, an interrupted one resumes from ``last.pt``. Overrides are the
engine's dotted keys (``reidlib.engine.experiment.apply_override``)::

    {"experiment": "cross_domain", "seed": 0, "method": "ecn",
     "profile": {...Profile fields...},
     "source": {"name": "market", "root": None, "key": "<data identity>"},
     "target": {"name": "duke", "root": None, "key": "<data identity>"},
     "adaptation": {"lam": None, "beta": 0.05, "knn": 6, "alpha": 0.01, "knn_start": None,
                    "seg_weight": 1.0, "camstyle": "stats", "recipe": "cross_domain", "erase_p": 0.5},
     "model": {"kwargs": {}}}

e.g. ``{"profile.epochs": 4, "adaptation.lam": 0.3}``; ``adaptation.lr_scale`` multiplies every
learning rate of the recipe (after the from-scratch lift), for measuring a schedule; at 1.0 it
is left out of the config (:data:`ADDED_LATER`), so the runs trained before it keep their ids.
``profile.*`` keys apply first. The
``key`` of a domain is its data identity: SynthReID's cache key, or a digest of a real data
set's files (:func:`reidlib.data.fingerprint.records_fingerprint`), so changed data never
reuses an old run. The hyper-parameters are ECN's (Zhong et al. 2019, sec. 4.2) and SemParts'
(sec. 4.1); see :mod:`reidlib.domain.adaptation`.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Mapping

from reidlib.data.base import ReIDDataset

from .adaptation import METHODS, REAL_DOMAINS, SYNTH_DOMAINS, load_domain, train_cross_domain

EXPERIMENT = "cross_domain"
#: every key of ``cfg["adaptation"]`` (the method's hyper-parameters, see adaptation.py)
ADAPTATION_DEFAULT: dict[str, Any] = {"lam": None, "beta": 0.05, "knn": 6, "alpha": 0.01, "knn_start": None,
                                      "seg_weight": 1.0, "camstyle": "stats", "recipe": "cross_domain",
                                      "erase_p": 0.5, "lr_scale": 1.0}
#: adaptation keys added after runs were committed: at their :data:`ADAPTATION_DEFAULT` value they
#: are left out of the resolved config, so every run trained before the key existed keeps its id
ADDED_LATER: tuple[str, ...] = ("lr_scale",)


def _domain_key(domain: str | ReIDDataset, preset: str, root: str | Path | None) -> str:
    from reidlib.data.fingerprint import records_fingerprint

    if isinstance(domain, ReIDDataset):
        return records_fingerprint(domain)
    if domain in SYNTH_DOMAINS:
        from reidlib.data.synth.writer import cache_key

        return cache_key(preset, domain, 0)
    return records_fingerprint(load_domain(domain, preset, None if root is None else str(root)))


def _domain_name(domain: str | ReIDDataset) -> str:
    name = domain.name if isinstance(domain, ReIDDataset) else str(domain)
    if not isinstance(domain, ReIDDataset) and name not in SYNTH_DOMAINS + tuple(REAL_DOMAINS):
        raise KeyError(f"unknown domain {name!r}; valid: {', '.join(SYNTH_DOMAINS + tuple(REAL_DOMAINS))} "
                       "or a ReIDDataset")
    return name


def resolve_cross_domain(source: str | ReIDDataset, target: str | ReIDDataset, method: str = "ecn",
                         profile: str = "smoke", overrides: Mapping[str, Any] | None = None, seed: int = 0,
                         source_root: str | Path | None = None,
                         target_root: str | Path | None = None) -> dict[str, Any]:
    """The resolved, JSON-plain config of one cross-domain run (module docstring)."""
    from reidlib.engine.experiment import apply_override
    from reidlib.engine.machine import forced_precision
    from reidlib.engine.profiles import get_profile

    if method not in METHODS:
        raise KeyError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    prof = get_profile(profile)
    cfg: dict[str, Any] = {"experiment": EXPERIMENT, "seed": int(seed), "method": method,
                           "profile": prof.to_dict(),
                           "source": {"name": _domain_name(source), "root": None if source_root is None else str(source_root)},
                           "target": {"name": _domain_name(target), "root": None if target_root is None else str(target_root)},
                           "adaptation": copy.deepcopy(ADAPTATION_DEFAULT), "model": {"kwargs": {}}}
    forced = forced_precision()
    if forced:
        cfg["profile"]["precision"] = forced
    overrides = dict(overrides or {})
    first = [k for k in overrides if k == "profile" or k.startswith("profile.")]
    for k in first + [k for k in overrides if k not in first]:
        apply_override(cfg, k, overrides[k])
    from reidlib.engine.profiles import resolve_run_profile

    resolve_run_profile(cfg["profile"], cfg["adaptation"]["recipe"], overrides)  # format, the recipe's epochs
    lam = cfg["adaptation"]["lam"]
    if lam is not None and not 0.0 <= float(lam) <= 1.0:
        raise ValueError(f"adaptation.lam (source/target weight) must be in [0, 1] or null, got {lam}")
    scale = cfg["adaptation"]["lr_scale"]
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not float(scale) > 0.0:
        raise ValueError(f"adaptation.lr_scale (multiplies every learning rate of the recipe) must be a "
                         f"number > 0, got {scale!r}")
    for k in ADDED_LATER:
        if cfg["adaptation"][k] == ADAPTATION_DEFAULT[k]:
            del cfg["adaptation"][k]
    preset = cfg["profile"]["data_preset"]
    cfg["source"]["key"] = _domain_key(source, preset, cfg["source"]["root"])
    cfg["target"]["key"] = _domain_key(target, preset, cfg["target"]["root"])
    return json.loads(json.dumps(cfg))


def run_cross_domain(source: str | ReIDDataset = "market", target: str | ReIDDataset = "duke",
                     method: str = "ecn", profile: str = "smoke", seed: int = 0,
                     source_root: str | Path | None = None, target_root: str | Path | None = None,
                     overrides: Mapping[str, Any] | None = None, runs_root: str | Path | None = None,
                     quiet: bool = True) -> dict[str, float]:
    """Train (or reuse / resume) one cross-domain run -> rank1/5/10 and mAP (percent) on the
    target's query/gallery. ``overrides``: dotted keys (module docstring)."""
    from reidlib import paths
    from reidlib.engine.runs import open_run

    cfg = resolve_cross_domain(source, target, method, profile, overrides, seed, source_root, target_root)
    run = open_run(runs_root if runs_root is not None else paths.runs_dir(), EXPERIMENT, cfg)
    if run.state == "finished":
        return {k: float(v) for k, v in run.metrics()["sq"].items()}
    s = load_domain(source, cfg["profile"]["data_preset"], cfg["source"]["root"])
    t = load_domain(target, cfg["profile"]["data_preset"], cfg["target"]["root"])
    return train_cross_domain(s, t, method, **trainer_options(cfg), quiet=quiet, run=run)[1]


def trainer_options(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The keywords of :func:`reidlib.domain.adaptation.build_cross_domain_trainer` that a resolved
    config (:func:`resolve_cross_domain`) sets: the profile's size, length, batch, format and
    evaluation spacing, the seed, the model's keywords and every ``adaptation`` key."""
    prof = cfg["profile"]
    return dict(image_size=tuple(prof["image_size"]), model_size=prof["model_size"], epochs=prof["epochs"],
                batch_p=prof["batch_p"], batch_k=prof["batch_k"], max_steps_per_epoch=prof["max_steps_per_epoch"],
                cache_images=prof["cache_images"], profile_format=prof, model_kwargs=cfg["model"]["kwargs"],
                from_scratch=bool(prof.get("from_scratch")), eval_every=int(prof.get("eval_every", 0)),
                seed=int(cfg["seed"]), **cfg["adaptation"])
