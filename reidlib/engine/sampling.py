"""Batch samplers from config; the triplet sampler's bank mining: :mod:`reidlib.engine.bank_mining`.

``cfg["sampler"]`` = ``{"name": ..., "kwargs": {...}}``:

``pk``        :class:`~reidlib.data.samplers.RandomIdentitySampler`, P = ``profile.batch_p``
              identities x K = ``profile.batch_k`` images
``maskreid``  :class:`~reidlib.data.samplers.MaskReIDBatchSampler`: one identity x P plus N
              singletons. Default: the paper's ratio 10/54 at the profile's batch size
              ``B = P*K`` (P = round(10 B / 64), N = B - P, N capped at #ids - 1)
``siamese``   :class:`~reidlib.data.samplers.SiamesePairSampler` with B/2 pairs per batch
``random``    :class:`~reidlib.data.samplers.RandomBatchSampler`: B images at random over the
              whole set (MGCAM phase 1; its ``batch_size`` keyword, else B)
``triplet``   :class:`~reidlib.engine.bank_mining.StagedTripletSampler`: PK batches while every triplet term is off
              (MPM-LTL stages 1-2), then ``[a..., p..., n...]`` batches of ``B // 3`` triplets
              mined over the whole training bank (``cfg["miner"]``)

``cfg["miner"]["name"]``: a bank miner (``"trihard"``, ``"random"``: they need the ``triplet``
sampler) or ``"none"`` (the triplet terms mine inside each batch: their ``miner`` keyword,
``batch_hard`` / ``all`` / ``batch_random``, ``reidlib.miners.BATCH_MINERS``).

A recipe stage may name its own sampler (``Stage.sampler``, e.g. MGCAM phase 1 ``random``):
:func:`build_stage_samplers` then returns a :class:`StageSamplers` that the Trainer switches
per stage (``set_stage``); the ``triplet`` sampler (it needs the mining hook) can only be the
experiment's sampler.
Every stateful sampler's state is checkpointed (:class:`StageSamplers` holds each), so resume
stays exact.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from reidlib.miners import BANK_MINERS, BATCH_MINERS

from . import distributed as D
from .bank_mining import StagedTripletSampler

SAMPLERS = ("pk", "maskreid", "siamese", "random", "triplet")
#: valid ``miner.name``: a bank miner (sampler ``triplet``) or ``"none"`` (batch miners are a
#: triplet term's ``miner`` keyword, ``reidlib.miners.BATCH_MINERS``)
MINER_NAMES = BANK_MINERS + ("none",)


def _maskreid_kwargs(n_ids: int, batch: int, kw: Mapping[str, Any]) -> dict[str, int]:
    p = int(kw.get("num_positives", max(2, round(batch * 10 / 64))))
    n = int(kw.get("num_negatives", max(1, batch - p)))
    if "num_negatives" not in kw:
        n = min(n, n_ids - 1)
    return {"num_positives": p, "num_negatives": n}


def check_miner_name(name: str) -> None:
    """``miner.name`` must be a bank miner or ``"none"``; a batch miner's name says where it goes."""
    if name in BATCH_MINERS:
        raise KeyError(f"miner {name!r} mines inside a batch: it is a triplet term's keyword "
                       f"(losses.<term>.kwargs.miner={name}) with miner.name=none, not miner.name")
    if name not in MINER_NAMES:
        raise KeyError(f"unknown miner {name!r}; valid miner.name: {', '.join(MINER_NAMES)}; "
                       f"batch miners (a triplet term's keyword): {', '.join(BATCH_MINERS)}")


def batch_shape(sampler: Mapping[str, Any], profile: Mapping[str, Any]) -> tuple[int, int, int]:
    """``(P, K, pairs)`` of ``cfg["sampler"]``: identities and images per identity (its
    ``batch_p`` / ``batch_k`` keywords, else the profile's) and the Siamese pairs per batch
    (its ``batch_size`` keyword, else ``P * K // 2``)."""
    kw = dict(sampler.get("kwargs", {}) or {})
    p, k = int(kw.get("batch_p", profile["batch_p"])), int(kw.get("batch_k", profile["batch_k"]))
    return p, k, int(kw.get("batch_size", max(1, p * k // 2)))


def build_sampler(sampler: Mapping[str, Any], miner: Mapping[str, Any], pids: Sequence[int],
                  profile: Mapping[str, Any], seed: int) -> Any:
    """The batch sampler of ``cfg["sampler"]`` (with ``layout`` set, see module docstring)."""
    from reidlib.data.samplers import (MaskReIDBatchSampler, RandomBatchSampler, RandomIdentitySampler,
                                       SiamesePairSampler)

    name, kw = sampler.get("name", "pk"), dict(sampler.get("kwargs", {}) or {})
    mname = (miner or {}).get("name", "none")
    if name not in SAMPLERS:
        raise KeyError(f"unknown sampler {name!r}; valid: {', '.join(SAMPLERS)}")
    check_miner_name(mname)
    if (name == "triplet") != (mname in BANK_MINERS):
        raise ValueError(f"sampler {name!r} with miner {mname!r}: bank miners ({', '.join(BANK_MINERS)}) "
                         "need sampler 'triplet' and sampler 'triplet' needs one of them; set both "
                         "(e.g. sampler.name=triplet with miner.name=trihard, or sampler.name=pk with "
                         "miner.name=none)")
    p, k, pairs = batch_shape(sampler, profile)
    dd = dict(seed=seed, num_replicas=D.world_size(), rank=D.rank())
    pids = list(pids)
    if name == "pk":
        s: Any = RandomIdentitySampler(pids, p, k, **dd)
    elif name == "maskreid":
        s = MaskReIDBatchSampler(pids, **_maskreid_kwargs(len(set(pids)), p * k, kw), **dd)
    elif name == "siamese":
        s = SiamesePairSampler(pids, batch_size=pairs, **dd)
    elif name == "random":
        s = RandomBatchSampler(pids, batch_size=int(kw.get("batch_size", p * k)), **dd)
    else:
        return StagedTripletSampler(pids, p, k, **dd)
    s.layout = name
    return s


class StageSamplers:
    """One batch sampler per recipe stage (the experiment's where a stage names none); the
    Trainer calls ``set_stage(i)`` on entering stage i. ``set_epoch`` reaches every sampler
    and ``state_dict`` holds each stateful one, so resume stays exact."""

    def __init__(self, samplers: Sequence[Any]):
        if not samplers:
            raise ValueError("StageSamplers needs one sampler per stage")
        self.samplers, self.index = list(samplers), 0

    @property
    def current(self) -> Any:
        return self.samplers[self.index]

    @property
    def layout(self) -> str:
        return getattr(self.current, "layout", "pk")

    def set_stage(self, index: int) -> None:
        if not 0 <= index < len(self.samplers):
            raise IndexError(f"stage {index} out of range: {len(self.samplers)} stage samplers")
        self.index = int(index)

    def stage_lengths(self) -> list[int]:
        return [len(s) for s in self.samplers]

    def set_epoch(self, epoch: int) -> None:
        for s in {id(s): s for s in self.samplers}.values():
            s.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.current)

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.current)

    def state_dict(self) -> dict[str, Any]:
        return {"index": self.index, "samplers": {str(i): s.state_dict() for i, s in enumerate(self.samplers)
                                                  if hasattr(s, "state_dict")}}

    def load_state_dict(self, st: Mapping[str, Any]) -> None:
        self.index = int(st["index"])
        for i, sd in st["samplers"].items():
            self.samplers[int(i)].load_state_dict(sd)


def build_stage_samplers(sampler: Mapping[str, Any], miner: Mapping[str, Any], stages: Sequence[Mapping[str, Any]],
                         pids: Sequence[int], profile: Mapping[str, Any], seed: int) -> Any:
    """The experiment's sampler, or a :class:`StageSamplers` when a stage of ``stages``
    (``cfg["recipe"]["stages"]``) names its own (module docstring)."""
    base = build_sampler(sampler, miner, pids, profile, seed)
    own = [s.get("sampler") for s in stages]
    if not any(own):
        return base
    for st, smp in zip(stages, own):
        if smp and smp.get("name") == "triplet":
            raise ValueError(f"recipe stage {st['name']!r}: sampler 'triplet' needs the bank miner and "
                             "can only be the experiment's sampler (sampler.name=triplet)")
    return StageSamplers([build_sampler(smp, None, pids, profile, seed) if smp else base for smp in own])
