"""Cross-domain training: direct transfer, ECN, ECN + semantic parts, supervised ceiling.

Methods (SemParts sec. 3-4, ECN sec. 3), all on the SemParts model
(``reidlib.models.semparts``) so the ablation changes only the losses:

``direct``      source only: ``L_id(global)`` on source labels, tested on the target.
``ecn``         ``(1 - lambda) L_id(global)_s + lambda L_mem(global)_t`` (ECN eq. 8): each
                step one source batch (P x K identities) and one target batch of the
                same size; target images in a random camera's style (camera-invariance),
                exemplar-invariance, neighbourhood-invariance from ``knn_start``.
``ecn_parts``   SemParts eq. 3-5: ``(L_g + L_h + L_u + L_l)_s + (memory losses on global,
                head, upper, lower)_t + w_seg L_seg`` (part classifier on the part maps;
                eq. 5 is the plain sum, ``lam`` applies ECN's split instead); no loss on
                the background (``reidlib.losses.semparts.domain_weights``).
``supervised``  the ceiling: ``L_id(global)`` on the *target* train labels.

Retrieval: the normalised global feature (``ecn``, ``direct``, ``supervised``; ECN's
pool5) or ``[global, head, upper, lower]`` (``ecn_parts``), cosine distance.

Defaults are ECN's published hyper-parameters (``beta=0.05``, ``knn=6``, ``alpha=0.01``
per epoch, ``lambda=0.3`` for ``ecn``) and SemParts' optimiser (recipe ``cross_domain``:
``semparts``' stages under their own name, Adam 3e-4, wd 5e-4). ECN's epoch-based schedule
(neighbourhood from epoch 5 of 60, memory momentum ``0.01 * epoch``) is scaled to the run's
length: ``knn_start = round(5/60 * epochs)``, momentum ``0.01 * epoch * 60 / epochs``. Not reproduced: ECN's 4096-d embedding +
dropout and its frozen conv1..layer2 (the SemParts model has neither).

Part maps: the target's are used for the part classifier when present; a target
without part maps falls back to training the part classifier on source parts only
(with a warning); ``ecn_parts`` with a source without part maps raises.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Mapping

import torch

from reidlib.data.base import ReIDDataset, relabel
from reidlib.engine.hooks import Hook
from reidlib.engine.loop import LossTerm, Trainer
from reidlib.engine.precision import FormatPlan, apply_format, plan_format
from reidlib.engine.recipes import training_recipe
from reidlib.engine.runs import Run
from reidlib.losses.semparts import (STREAMS, domain_weights, part_segmentation_loss, source_id_loss, stream_features,
                                     target_memory_loss)

from .camstyle import FolderCamStyle, StatsCamStyle
from .exemplar_memory import ExemplarMemory
from .streams import CrossDomainBatchSampler, CrossDomainDataset, LimitedSampler, TwoStreamModel, strip_labels

METHODS = ("direct", "ecn", "ecn_parts", "supervised")
SYNTH_DOMAINS = ("market", "duke")
REAL_DOMAINS = {"market1501": "market1501", "dukemtmcreid": "dukemtmcreid"}
ECN_EPOCHS, ECN_KNN_START = 60, 5


class MemoryEpochHook(Hook):
    """Tell the exemplar memories the epoch (momentum and neighbourhood schedules)."""

    def __init__(self, memories: Mapping[str, ExemplarMemory]) -> None:
        self.memories = memories

    def on_epoch_start(self, t: Any, epoch: int) -> None:
        for m in self.memories.values():
            m.set_epoch(epoch)


def load_domain(name: str | ReIDDataset, preset: str = "smoke", root: str | None = None,
                cache_dir: str | None = None) -> ReIDDataset:
    """A ReIDDataset as-is; ``market``/``duke``: SynthReID; ``market1501``/``dukemtmcreid``: real."""
    if isinstance(name, ReIDDataset):
        return name
    if name in SYNTH_DOMAINS:
        from reidlib.data.synth import ensure_synth
        from reidlib.data.synthreid import read_synthreid

        return read_synthreid(ensure_synth(preset, name, seed=0, cache_dir=cache_dir))
    if name in REAL_DOMAINS:
        from reidlib.data.readers import build_dataset

        return build_dataset(REAL_DOMAINS[name], root)
    raise KeyError(f"unknown domain {name!r}; valid: {', '.join(SYNTH_DOMAINS + tuple(REAL_DOMAINS))} "
                   "or a ReIDDataset")


def _id_term(parts: bool) -> LossTerm:
    return LossTerm("id", lambda o, b: source_id_loss(o["logits"], b["pid"], parts))


def _cross_domain_terms(parts: bool, memories: Mapping[str, ExemplarMemory], weights: tuple[float, float],
                        seg_weight: float) -> list[LossTerm]:
    def src(o: dict, b: dict) -> torch.Tensor:
        n = b["n_source"]
        return source_id_loss([z[:n] for z in o["logits"]], b["pid"][:n], parts)

    def tgt(o: dict, b: dict) -> torch.Tensor:
        n = b["n_source"]
        feats = {k: v[n:] for k, v in stream_features(o, parts).items()}
        return target_memory_loss(feats, b["index"][n:], memories)

    def seg(o: dict, b: dict) -> torch.Tensor:
        sel = b["has_parts"]
        return part_segmentation_loss(o["part_logits"][sel], b["parts"][sel])

    terms = [LossTerm("source_id", src, weights[0]), LossTerm("target_memory", tgt, weights[1])]
    return terms + [LossTerm("part_seg", seg, seg_weight)] if parts else terms


def build_cross_domain_trainer(source: ReIDDataset, target: ReIDDataset, method: str = "ecn", *,
                               image_size: tuple[int, int] = (128, 64), model_size: str = "small",
                               epochs: int | None = 8, batch_p: int = 8, batch_k: int = 4, seed: int = 0,
                               lam: float | None = None, beta: float = 0.05, knn: int = 6, alpha: float = 0.01,
                               knn_start: int | None = None, seg_weight: float = 1.0, camstyle: str | None = "stats",
                               recipe: str = "cross_domain", max_steps_per_epoch: int | None = None,
                               cache_images: bool = True, erase_p: float = 0.5, evaluate: bool = True,
                               quiet: bool = True, model_kwargs: Mapping[str, Any] | None = None,
                               profile_format: Mapping[str, Any] | None = None, from_scratch: bool = False,
                               eval_every: int = 0, run: Run | None = None,
                               lr_scale: float = 1.0) -> tuple[Trainer, torch.nn.Module]:
    """The engine :class:`~reidlib.engine.loop.Trainer` of ``method`` (module docstring), ready to
    ``fit()``, and the retrieval model inside it (:func:`train_cross_domain` fits it; the step
    benchmark, ``bench/train.py``, times its steps). The model is seeded and built first, so a
    run trained through either is the same.

    ``camstyle``: ``"stats"`` (per-camera colour statistics, a stand-in), a folder of
    CamStyle images, or None (no camera-invariance). ``lam``: None = the method's paper weighting
    (``ecn`` 0.7 / 0.3, ``ecn_parts`` SemParts eq. 5's sum), else ECN's ``(1 - lam, lam)``.
    ``evaluate``: give the trainer the target's query/gallery evaluator (rank1/5/10, mAP).
    ``profile_format``: a profile (dict) whose ``device`` / ``precision`` / ``channels_last`` set
    the numeric format (``reidlib.engine.precision.plan_format``); None trains fp32 NCHW on the CPU.
    ``from_scratch``: the backbone starts without pretrained weights (the CPU profiles'
    ``profile.from_scratch``), so the recipe's fine-tuning rates are lifted as for every engine
    run (:meth:`reidlib.engine.schedule.Recipe.from_scratch`: SemParts' Adam 3e-4 -> 3e-3).
    ``eval_every``: also evaluate on the target every that many epochs (0: at the end only), for
    learning curves (the profile's ``eval_every``). ``lr_scale``: every rate of the recipe times
    this (:meth:`reidlib.engine.schedule.Recipe.rates_times`; 1.0: the recipe's). ``run``: the
    run folder (:func:`reidlib.domain.runs.run_cross_domain` opens it): checkpoints, resume,
    epochs.csv and metrics.json, as every engine run.
    """
    from reidlib.data.image_dataset import ImageDataset
    from reidlib.data.samplers import RandomIdentitySampler
    from reidlib.data.transforms import build_transforms
    from reidlib.engine.features import evaluate_model
    from reidlib.models import build_model

    if method not in METHODS:
        raise KeyError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    if lam is not None and not 0.0 <= lam <= 1.0:
        raise ValueError(f"lambda (source/target weight) must be in [0, 1], got {lam}")
    torch.manual_seed(seed)
    parts = method == "ecn_parts"
    size = tuple(int(v) for v in image_size)
    labelled = target if method == "supervised" else source
    lm = relabel(labelled.train)
    src = ImageDataset(labelled.train, size=size, label_map=lm, cache=cache_images)
    model = build_model("semparts", len(lm), model_size, retrieval="global+parts" if parts else "global",
                        **dict(model_kwargs or {}))
    plan = (plan_format(profile_format, "semparts") if profile_format is not None
            else FormatPlan("cpu", "fp32", None, False, False, False))
    apply_format(model, plan)
    pretrained = bool((model_kwargs or {}).get("pretrained"))
    rec = training_recipe(recipe, epochs, from_scratch, pretrained).rates_times(lr_scale)
    n_ep = rec.epochs
    sampler = RandomIdentitySampler(src.pids.tolist(), batch_p, batch_k, seed=seed)
    groups = {"classifier": ["model.classifiers", "classifiers"], "new": ["model.part_classifier", "part_classifier"]}
    hooks: list[Hook] = []
    if method in ("direct", "supervised"):
        net, data, terms = model, src, [_id_term(False)]
        batches: Any = LimitedSampler(sampler, max_steps_per_epoch)
    else:
        if parts and not bool(src.has_parts):
            raise FileNotFoundError("method 'ecn_parts' needs part maps on the source domain (records' "
                                    "parts_path): create them with the masks pipeline (reidlib.masks) first")
        tgt = ImageDataset(strip_labels(target.train), size=size, cache=cache_images)
        if parts and not tgt.has_parts:
            warnings.warn("target images have no part maps: the semantic part classifier is trained on "
                          "source part maps only (documented fallback)", RuntimeWarning, stacklevel=2)
        cams = sorted({int(c) for c in tgt.camids.tolist()})
        style = None
        if camstyle == "stats":
            style = StatsCamStyle().fit(tgt.get_batch(range(len(tgt)))["image"], tgt.camids)
        elif camstyle is not None:
            style = FolderCamStyle(camstyle, tgt.records, size)
        if style is not None and len(cams) < 2:
            warnings.warn("target domain has one camera: camera-invariance is skipped", RuntimeWarning, stacklevel=2)
            style = None
        dim = model.channels
        memories = {k: ExemplarMemory(len(tgt), dim, beta, knn, alpha,
                                      knn_start if knn_start is not None else round(ECN_KNN_START / ECN_EPOCHS * n_ep),
                                      ECN_EPOCHS / n_ep)
                    for k in (STREAMS if parts else STREAMS[:1])}
        data = CrossDomainDataset(src, tgt, style, num_target_cams=max(cams) + 1)
        batches = CrossDomainBatchSampler(sampler, len(src), len(tgt), batch_p * batch_k, seed, max_steps_per_epoch)
        net = TwoStreamModel(model, batch_p * batch_k, memories)
        terms = _cross_domain_terms(parts, net.memories, domain_weights(method, lam), seg_weight)
        hooks.append(MemoryEpochHook(net.memories))
    tf = build_transforms(size, train=True, erase_p=erase_p)
    evaluator = None
    if evaluate:
        ev = dict(size=size, cache=cache_images)
        query, gallery = ImageDataset(target.query, **ev), ImageDataset(target.gallery, **ev)
        ev_tf = build_transforms(size, train=False)

        def evaluator(_net: torch.nn.Module) -> dict:  # the retrieval model inside the two streams
            return evaluate_model(model, query, gallery, ev_tf, use_mask=False, metric="cosine", device=plan.device)

    trainer = Trainer(net, terms, data, batches, rec, groups=groups, transform=tf, seed=seed, hooks=hooks,
                      device=plan.device, grad_scaler=plan.grad_scaler,
                      quiet=quiet, use_mask=False, evaluator=evaluator, eval_every=int(eval_every), run=run)
    return trainer, model


def train_cross_domain(source: ReIDDataset, target: ReIDDataset, method: str = "ecn",
                       **options: Any) -> tuple[torch.nn.Module, dict[str, float]]:
    """Train ``method`` (module docstring) and return ``(model, metrics on target query/gallery)``:
    rank1/5/10, mAP (percent; empty with ``evaluate=False``). ``options``: the keywords of
    :func:`build_cross_domain_trainer` (image size, epochs, batch, seed, ECN's and SemParts'
    hyper-parameters, the numeric format, the run folder)."""
    trainer, model = build_cross_domain_trainer(source, target, method, **options)
    metrics = trainer.fit()
    if not options.get("evaluate", True):
        return model, {}
    return model, {k: float(metrics["sq"][k]) for k in ("rank1", "rank5", "rank10", "mAP")}
