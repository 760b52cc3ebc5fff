"""Loss-term registry: ``TERMS[name](kwargs) -> fn(outputs, batch) -> scalar tensor``.

An experiment lists its terms as plain data, ``{"name": "id", "weight": 1.0, "kwargs": {...}}``;
:func:`build_term` turns one into a :class:`~reidlib.engine.loop.LossTerm`. Stage weights
(``Stage.loss_weights``) override the default weight per stage (0 switches a term off).

=================  ==========================================================================
term               what (``outputs`` keys of CONTRIBUTING.md, ``batch`` of the Trainer)
=================  ==========================================================================
``id``             cross-entropy on ``logits`` (``[B,C]`` or a list per part/stream);
                   ``parts="mean"`` averages the per-part losses (MPM-LTL eq. 3; over a
                   ``[a..., p..., n...]`` triplet batch this is eq. 4), ``parts="sum"`` adds
                   them (MGCAM eq. 8's three ID losses, SemParts eq. 3-4)
``triplet``        MPM-LTL eq. 1 on one feature per image (``feature="features"``, or
                   ``"global"``: the average-pooled ``feature_map``, Table 1 row 5's
                   "global-level" triplet on the undivided map), margin 0.5
``local_triplet``  MPM-LTL eq. 2 on ``parts`` (hinge per part, averaged), margin 0.5
``ranking``        MaskReID eq. 5 on ``features`` (``alpha=0.15``, ``lam=2``)
``ranking_full``   MaskReID eq. 4
``npair``          MaskReID eq. 3 (Sohn's N-pair as printed)
``siamese``        MGCAM eq. 7 on ``features`` over the batch's pairs (margin 10)
``region_triplet`` MGCAM eq. 6 on ``streams`` full / body / background (margin 10)
``attention_mse``  MGCAM eq. 5: ``attention [B,1,h,w]`` vs ``batch["mask"]`` (area-resized)
``part_seg``       SemParts part classifier: cross-entropy of ``part_logits [B,4,h,w]`` vs
                   ``batch["parts"]`` nearest-downsampled to ``h x w``
=================  ==========================================================================

Which triplets / pairs: ``batch["layout"]`` (set by the engine's batch sampler, see
:mod:`reidlib.engine.sampling`) says how the batch was drawn. ``"triplet"``: the batch is
``[a..., p..., n...]`` of mined triplets (MPM-LTL's triplet architecture), used as they are;
``"siamese"``: ``[probes..., partners...]``, pair ``i`` is ``(i, B/2 + i)``; otherwise the
triplet terms mine inside the batch with ``miner`` = ``"batch_hard"`` (default; Hermans et
al.), ``"all"`` (every valid triplet) or ``"batch_random"`` (one random positive/negative per
anchor, seeded by the step; ``reidlib.miners.BATCH_MINERS``), and ``siamese`` uses every pair
of the batch. (The bank miners ``trihard`` / ``random`` of ``miner.name`` fill ``"triplet"``
layout batches.)
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import torch
import torch.nn.functional as F
from torch import Tensor

from reidlib.miners import BATCH_MINERS

from .loop import LossTerm

TermFn = Callable[[dict, dict], Tensor]
FEATURES = ("features", "global", "bn_features")


def _need(outputs: Mapping[str, Any], key: str, term: str) -> Any:
    if key not in outputs or outputs[key] is None:
        raise KeyError(f"loss term {term!r} needs model output {key!r}; this model gives "
                       f"{sorted(outputs)}: pick a model that has it or drop the term")
    return outputs[key]


def _check_kwargs(term: str, kwargs: Mapping[str, Any], valid: tuple[str, ...]) -> dict[str, Any]:
    bad = sorted(set(kwargs) - set(valid))
    if bad:
        raise TypeError(f"unknown kwargs {bad} for loss term {term!r}; valid: {', '.join(valid) or 'none'}")
    return dict(kwargs)


def _layout_blocks(batch: Mapping[str, Any], layout: str, k: int) -> list[Tensor] | None:
    """``k`` aligned blocks ``[b, B/k + b, ...]`` of a ``layout`` batch of ``k x b`` images, else None."""
    if batch.get("layout") != layout:
        return None
    n = len(batch["pid"])
    if n % k:
        raise ValueError(f"a {layout}-layout batch must hold {k} x b images, got {n}")
    b = torch.arange(n // k, device=batch["pid"].device)
    return [b + j * (n // k) for j in range(k)]


def layout_triplets(batch: Mapping[str, Any]) -> tuple[Tensor, Tensor, Tensor] | None:
    """Positional ``(a, p, n)`` of a ``[a..., p..., n...]`` batch (layout ``"triplet"``), else None."""
    blocks = _layout_blocks(batch, "triplet", 3)
    return None if blocks is None else (blocks[0], blocks[1], blocks[2])


def layout_pairs(batch: Mapping[str, Any]) -> tuple[Tensor, Tensor] | None:
    """Positional pairs ``(i, B/2 + i)`` of a siamese-layout batch, else None (all pairs)."""
    blocks = _layout_blocks(batch, "siamese", 2)
    return None if blocks is None else (blocks[0], blocks[1])


def _select_triplets(feats: Tensor, batch: Mapping[str, Any], miner: str):
    from reidlib.miners import batch_hard_triplets, random_triplets

    fixed = layout_triplets(batch)
    if fixed is not None:
        return fixed
    labels = batch["pid"]
    if miner == "batch_hard":
        return batch_hard_triplets(feats.detach().float(), labels)
    if miner == "batch_random":
        g = torch.Generator().manual_seed(int(torch.randint(0, 2**31 - 1, (1,))))  # step-seeded
        return random_triplets(labels.cpu(), g)
    return None  # "all"


def _pick_feature(outputs: Mapping[str, Any], feature: str, term: str) -> Tensor:
    if feature == "global":
        if "feature_map" in outputs:
            return outputs["feature_map"].mean(dim=(2, 3))
        if "global" in outputs:
            return outputs["global"]
        return _need(outputs, "features", term)
    return _need(outputs, feature, term)


def _id(kw: Mapping[str, Any]) -> TermFn:
    from reidlib.losses import id_loss

    kw = _check_kwargs("id", kw, ("label_smoothing", "parts"))
    mode = kw.pop("parts", "mean")
    if mode not in ("mean", "sum"):
        raise ValueError(f"id term: parts must be 'mean' or 'sum', got {mode!r}")

    def fn(o: dict, b: dict) -> Tensor:
        logits = _need(o, "logits", "id")
        if isinstance(logits, (list, tuple)):
            logits = [z.float() for z in logits]
        else:
            logits = logits.float()
        k = len(logits) if isinstance(logits, list) else 1
        loss = id_loss(logits, b["pid"], **kw)
        return loss * k if mode == "sum" else loss
    return fn


def _triplet(kw: Mapping[str, Any]) -> TermFn:
    from reidlib.losses import triplet_loss

    kw = _check_kwargs("triplet", kw, ("margin", "squared", "miner", "feature"))
    miner, feature = kw.pop("miner", "batch_hard"), kw.pop("feature", "features")
    if miner not in BATCH_MINERS:
        raise ValueError(f"triplet term: unknown miner {miner!r}; valid: {', '.join(BATCH_MINERS)}")
    if feature not in FEATURES:
        raise ValueError(f"triplet term: unknown feature {feature!r}; valid: {', '.join(FEATURES)}")

    def fn(o: dict, b: dict) -> Tensor:
        f = _pick_feature(o, feature, "triplet").float()
        return triplet_loss(f, b["pid"], _select_triplets(f, b, miner), **kw)
    return fn


def _local_triplet(kw: Mapping[str, Any]) -> TermFn:
    from reidlib.losses import local_triplet_loss

    kw = _check_kwargs("local_triplet", kw, ("margin", "squared", "miner"))
    miner = kw.pop("miner", "batch_hard")
    if miner not in BATCH_MINERS:
        raise ValueError(f"local_triplet term: unknown miner {miner!r}; valid: {', '.join(BATCH_MINERS)}")

    def fn(o: dict, b: dict) -> Tensor:
        parts = [p.float() for p in _need(o, "parts", "local_triplet")]
        return local_triplet_loss(parts, b["pid"], _select_triplets(torch.cat(parts, 1), b, miner), **kw)
    return fn


def _ranking(kw: Mapping[str, Any]) -> TermFn:
    from reidlib.losses import ranking_loss

    kw = _check_kwargs("ranking", kw, ("alpha", "lam", "normalize"))
    return lambda o, b: ranking_loss(_need(o, "features", "ranking").float(), b["pid"], **kw)


def _ranking_full(kw: Mapping[str, Any]) -> TermFn:
    from reidlib.losses import full_ranking_loss

    kw = _check_kwargs("ranking_full", kw, ("normalize",))
    return lambda o, b: full_ranking_loss(_need(o, "features", "ranking_full").float(), b["pid"], **kw)


def _npair(kw: Mapping[str, Any]) -> TermFn:
    from reidlib.losses import npair_loss

    kw = _check_kwargs("npair", kw, ("normalize",))
    return lambda o, b: npair_loss(_need(o, "features", "npair").float(), b["pid"], **kw)


def _siamese(kw: Mapping[str, Any]) -> TermFn:
    from reidlib.losses import siamese_loss

    kw = _check_kwargs("siamese", kw, ("margin",))
    return lambda o, b: siamese_loss(_need(o, "features", "siamese").float(), b["pid"], layout_pairs(b), **kw)


def _region_triplet(kw: Mapping[str, Any]) -> TermFn:
    from reidlib.losses import region_triplet_loss

    kw = _check_kwargs("region_triplet", kw, ("margin",))

    def fn(o: dict, b: dict) -> Tensor:
        s = _need(o, "streams", "region_triplet")
        return region_triplet_loss(s["full"].float(), s["body"].float(), s["background"].float(), **kw)
    return fn


def _attention_mse(kw: Mapping[str, Any]) -> TermFn:
    from reidlib.losses import attention_mse_loss

    kw = _check_kwargs("attention_mse", kw, ("resize", "reduction"))

    def fn(o: dict, b: dict) -> Tensor:
        if b.get("mask") is None:
            raise KeyError("loss term 'attention_mse' needs batch['mask']: the data set has no masks "
                           "(set data.masks to 'true', 'degraded' or 'extracted')")
        return attention_mse_loss(_need(o, "attention", "attention_mse").float(), b["mask"], **kw)
    return fn


def _part_seg(kw: Mapping[str, Any]) -> TermFn:
    _check_kwargs("part_seg", kw, ())

    def fn(o: dict, b: dict) -> Tensor:
        logits = _need(o, "part_logits", "part_seg").float()
        if b.get("parts") is None:
            raise KeyError("loss term 'part_seg' needs batch['parts'] (body-part maps): use SynthReID or "
                           "extract parts with `python -m reidlib masks`")
        target = F.interpolate(b["parts"].float(), size=logits.shape[2:], mode="nearest")[:, 0].long()
        if int(target.max()) >= logits.shape[1]:
            raise ValueError(f"part labels must lie in [0, {logits.shape[1]}), got max {int(target.max())}")
        return F.cross_entropy(logits, target)
    return fn


#: term name -> builder(kwargs) -> fn(outputs, batch)
TERMS: dict[str, Callable[[Mapping[str, Any]], TermFn]] = {
    "id": _id, "triplet": _triplet, "local_triplet": _local_triplet, "ranking": _ranking,
    "ranking_full": _ranking_full, "npair": _npair, "siamese": _siamese,
    "region_triplet": _region_triplet, "attention_mse": _attention_mse, "part_seg": _part_seg,
}


def build_term(spec: Mapping[str, Any] | str, weight: float | None = None, **kwargs: Any) -> LossTerm:
    """A :class:`LossTerm` from a config entry ``{"name", "weight"=1, "kwargs"={}}`` or, from
    Python, from plain arguments: ``build_term("local_triplet", 1.0, margin=0.5)``. Unknown names
    list the valid ones."""
    if isinstance(spec, str):
        spec = {"name": spec, "weight": 1.0 if weight is None else weight, "kwargs": kwargs}
    elif weight is not None or kwargs:
        raise TypeError("build_term takes a config entry or a name with weight / keywords, not both")
    name = spec.get("name")
    if name not in TERMS:
        raise KeyError(f"unknown loss term {name!r}; valid: {', '.join(TERMS)}")
    w = float(spec.get("weight", 1.0))
    if not w >= 0:
        raise ValueError(f"loss term {name!r}: weight must be >= 0, got {w}")
    return LossTerm(name, TERMS[name](dict(spec.get("kwargs", {}) or {})), w)
