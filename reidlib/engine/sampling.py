"""Batch samplers from config, and bank-level triplet mining between epochs (MPM-LTL alg. 1).

``cfg["sampler"]`` = ``{"name": ..., "kwargs": {...}}``:

``pk``        :class:`~reidlib.data.samplers.RandomIdentitySampler`, P = ``profile.batch_p``
              identities x K = ``profile.batch_k`` images
``maskreid``  :class:`~reidlib.data.samplers.MaskReIDBatchSampler`: one identity x P plus N
              singletons. Default: the paper's ratio 10/54 at the profile's batch size
              ``B = P*K`` (P = round(10 B / 64), N = B - P, N capped at #ids - 1)
``siamese``   :class:`~reidlib.data.samplers.SiamesePairSampler` with B/2 pairs per batch
``random``    :class:`~reidlib.data.samplers.RandomBatchSampler`: B images at random over the
              whole set (MGCAM phase 1; its ``batch_size`` keyword, else B)
``triplet``   :class:`StagedTripletSampler`: PK batches while every triplet term is off
              (MPM-LTL stages 1-2), then ``[a..., p..., n...]`` batches of ``B // 3`` triplets
              mined over the whole training bank (``cfg["miner"]``)

``cfg["miner"]["name"]``: ``"trihard"`` (mask-guided TriHard, MPM-LTL algorithm 1, over
features of the un-augmented train set and its masks area-downsampled by
``mask_stride`` = 16, the feature-map size) or ``"random"`` (one random positive and
negative per anchor over the bank, MPM-LTL Table 1 rows 5-6) need the ``triplet``
sampler; with ``"none"`` the triplet terms mine inside each batch (their ``miner`` keyword:
``batch_hard`` / ``all`` / ``batch_random``, ``reidlib.miners.BATCH_MINERS``).

Choices: bank triplets are re-mined once at the start of every epoch whose stage has a
triplet term on (the paper does not say how often; once per epoch keeps CPU runs cheap);
an epoch of triplet batches has as many steps as a PK epoch (same images per epoch in
every stage; the rest of the mined triplets wait for the next epoch's shuffle).
A recipe stage may name its own sampler (``Stage.sampler``, e.g. MGCAM phase 1 ``random``):
:func:`build_stage_samplers` then returns a :class:`StageSamplers` that the Trainer switches
per stage (``set_stage``); the ``triplet`` sampler (it needs the mining hook) can only be the
experiment's sampler.
The sampler's state (triplets and the epoch they were mined for) is checkpointed, so a
resumed run does not re-mine with the changed model and stays bit-identical.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from reidlib.miners import BANK_MINERS, BATCH_MINERS

from . import distributed as D
from .hooks import Hook

SAMPLERS = ("pk", "maskreid", "siamese", "random", "triplet")
#: valid ``miner.name``: a bank miner (sampler ``triplet``) or ``"none"`` (batch miners are a
#: triplet term's ``miner`` keyword, ``reidlib.miners.BATCH_MINERS``)
MINER_NAMES = BANK_MINERS + ("none",)
TRIPLET_TERMS = ("triplet", "local_triplet")


class StagedTripletSampler:
    """PK batches (``layout="pk"``) or mined triplet batches (``layout="triplet"``)."""

    def __init__(self, pids: Sequence[int], batch_p: int, batch_k: int, seed: int = 0,
                 num_replicas: int = 1, rank: int = 0):
        from reidlib.data.samplers import RandomIdentitySampler, TripletBatchSampler

        self.pk = RandomIdentitySampler(pids, batch_p, batch_k, seed=seed, num_replicas=num_replicas, rank=rank)
        b = max(1, batch_p * batch_k // 3)
        empty = (np.zeros(0, np.int64),) * 3
        self.triplet = TripletBatchSampler(empty, b, seed=seed, num_replicas=num_replicas, rank=rank)
        self.steps = len(self.pk)
        self.use_triplets, self.mined_epoch = False, -1

    @property
    def layout(self) -> str:
        return "triplet" if self.use_triplets else "pk"

    def set_epoch(self, epoch: int) -> None:
        self.pk.set_epoch(epoch)
        self.triplet.set_epoch(epoch)

    def set_triplets(self, triplets: Sequence[Any], epoch: int) -> None:
        self.triplet.set_triplets(triplets)
        self.mined_epoch, self.use_triplets = int(epoch), True

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[list[int]]:
        src = self.triplet if self.use_triplets else self.pk
        it = iter(src)
        for _ in range(self.steps):
            try:
                yield next(it)
            except StopIteration:
                return

    def state_dict(self) -> dict[str, Any]:
        t = self.triplet.triplets
        return {"use_triplets": self.use_triplets, "mined_epoch": self.mined_epoch,
                "triplets": torch.from_numpy(np.ascontiguousarray(t))}

    def load_state_dict(self, st: Mapping[str, Any]) -> None:
        t = torch.as_tensor(st["triplets"]).numpy()
        self.triplet.set_triplets((t[:, 0], t[:, 1], t[:, 2]) if len(t) else (np.zeros(0, np.int64),) * 3)
        self.use_triplets, self.mined_epoch = bool(st["use_triplets"]), int(st["mined_epoch"])


def downsample_masks(masks: torch.Tensor | None, n: int, image_size: Sequence[int], stride: int) -> torch.Tensor:
    """uint8 ``[N,1,H,W]`` masks -> float ``[N, H/stride, W/stride]`` foreground fractions
    (all ones when the data set has no masks: TriHard then ranks by distance only)."""
    h, w = max(1, image_size[0] // stride), max(1, image_size[1] // stride)
    if masks is None:
        return torch.ones(n, h, w)
    return F.adaptive_avg_pool2d(masks.float(), (h, w))[:, 0]


class TripletMiningHook(Hook):
    """At the start of each epoch whose stage weights a triplet term > 0, re-mine the bank
    (``miner`` trihard | random) and feed :class:`StagedTripletSampler`; otherwise PK batches."""

    def __init__(self, sampler: StagedTripletSampler, dataset: Any, miner: Mapping[str, Any],
                 transform: Any, use_mask: bool, seed: int, batch_size: int = 128):
        if miner.get("name") not in BANK_MINERS:
            raise ValueError(f"bank miner must be one of {', '.join(BANK_MINERS)}, got {miner.get('name')!r}")
        self.sampler, self.dataset, self.transform = sampler, dataset, transform
        self.name, self.kwargs = miner["name"], dict(miner.get("kwargs", {}) or {})
        self.stride = int(self.kwargs.pop("mask_stride", 16))
        self.use_mask, self.seed, self.batch_size = use_mask, int(seed), batch_size
        self.mining_seconds = 0.0

    def active(self, t: Any, epoch: int) -> bool:
        stage = t.recipe.locate(epoch)[1]
        return any(float(stage.loss_weights.get(term.name, term.weight)) != 0
                   for term in t.terms if term.name in TRIPLET_TERMS)

    def mine(self, model: torch.nn.Module, epoch: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The bank's triplets for ``epoch`` (features of the un-augmented train set)."""
        from reidlib.miners import mask_guided_trihard, random_triplets

        pids = self.dataset.pids
        if self.name == "random":
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            return random_triplets(pids, g)
        from .features import extract_features

        feats = extract_features(model, self.dataset, batch_size=self.batch_size, transform=self.transform,
                                 use_mask=self.use_mask)
        cache = getattr(self.dataset, "_cache", None)
        raw = cache.get("mask") if cache is not None and getattr(self.dataset, "has_mask", False) else None
        if raw is None and getattr(self.dataset, "has_mask", False):
            raw = torch.cat([self.dataset.get_batch(range(s, min(s + 256, len(self.dataset))))["mask"]
                             for s in range(0, len(self.dataset), 256)])
        masks = downsample_masks(raw, len(pids), self.dataset.size, self.stride)
        return mask_guided_trihard(feats, pids, self.dataset.camids, masks, **self.kwargs)

    def on_epoch_start(self, t: Any, epoch: int) -> None:
        import time

        if not self.active(t, epoch):
            self.sampler.use_triplets = False
            return
        if self.sampler.mined_epoch == epoch and self.sampler.use_triplets:
            return  # restored from a checkpoint of this epoch
        start = time.perf_counter()
        trip = self.mine(t.model, epoch)
        if len(trip[0]) == 0:
            raise ValueError(f"miner {self.name!r} found no triplets in the training set: it needs "
                             "identities with >= 2 images (in >= 2 cameras for trihard without fallback)")
        self.sampler.set_triplets(trip, epoch)
        self.sampler.set_epoch(epoch)
        self.mining_seconds += time.perf_counter() - start
        t.model.train()


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


class LayoutDataset:
    """Wraps an ImageDataset: ``get_batch`` adds ``batch["layout"]`` = the sampler's current layout."""

    def __init__(self, dataset: Any, sampler: Any):
        self.dataset, self.sampler = dataset, sampler

    def __len__(self) -> int:
        return len(self.dataset)

    def __getattr__(self, name: str) -> Any:
        if name in ("dataset", "sampler"):
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def get_batch(self, indices: Sequence[int]) -> dict[str, Any]:
        batch = self.dataset.get_batch(indices)
        batch["layout"] = getattr(self.sampler, "layout", "pk")
        return batch
