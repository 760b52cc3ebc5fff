"""Bank-level triplet mining between epochs (MPM-LTL, Qi et al. 2018, algorithm 1).

MPM-LTL's triplet stage draws its batches from triplets mined over the whole training bank, not
inside a batch: at the start of every epoch whose recipe stage weights a triplet term
(``TRIPLET_TERMS``) above 0, :class:`TripletMiningHook` re-mines them and feeds
:class:`StagedTripletSampler`, which yields ``[a..., p..., n...]`` batches of ``B // 3`` triplets
(``B = P * K``) and PK batches while every triplet term is off (MPM-LTL stages 1-2).

``cfg["miner"]["name"]`` (the ``triplet`` sampler, :mod:`reidlib.engine.sampling`):
``"trihard"`` (mask-guided TriHard, MPM-LTL section III-E, algorithm 1, over features ``[N, D]`` of the
un-augmented train set and its masks ``[N, 1, H, W]`` area-downsampled by ``mask_stride`` = 16 to
the feature-map size ``[N, H/16, W/16]``, :func:`downsample_masks`) or ``"random"`` (one random
positive and negative per anchor over the bank, MPM-LTL Table 1 rows 5-6).

Choices: bank triplets are re-mined once at the start of every epoch whose stage has a
triplet term on (the paper does not say how often; once per epoch keeps CPU runs cheap);
an epoch of triplet batches has as many steps as a PK epoch (same images per epoch in
every stage; the rest of the mined triplets wait for the next epoch's shuffle).
The sampler's state (triplets and the epoch they were mined for) is checkpointed, so a
resumed run does not re-mine with the changed model and stays bit-identical.
:class:`LayoutDataset` tells the loss terms how a batch was drawn (``batch["layout"]``).
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from reidlib.miners import BANK_MINERS

from .hooks import Hook

#: the loss terms that take bank triplets (a stage weighting one > 0 mines)
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
