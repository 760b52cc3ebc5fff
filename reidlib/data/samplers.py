"""Batch samplers of the four papers, over dataset indices, DDP-ready.

- :class:`RandomIdentitySampler`: P identities x K images (Hermans et al.; the
  PK batches of the batch-hard / TriHard baselines).
- :class:`MaskReIDBatchSampler`: MaskReID section 4.1: one identity x P images plus
  N images of N other identities (one image each), P/N = 10/54.
- :class:`SiamesePairSampler`: balanced positive/negative pairs (MGCAM eq. 7):
  a batch ``[probes..., partners...]`` of ``2 * batch_size`` indices, pair i is
  ``(batch[i], batch[batch_size + i])``, positives at even i.
- :class:`RandomBatchSampler`: batches of images drawn at random across the whole
  training set (MGCAM sec. 4.1, phase 1: "for each iteration, we randomly select 128
  samples across the whole dataset"); choice: without replacement within an epoch (a
  shuffled pass, as Caffe's shuffling data layer does).
- :class:`TripletBatchSampler`: triplets from a miner (e.g. mask-guided TriHard,
  MPM-LTL algorithm 1) as batches ``[a..., p..., n...]`` of ``3 * batch_size``.

All take plain lists of pids (not a dataset), yield lists of ints, and share:
``seed`` + ``set_epoch(epoch)`` (the epoch's batches come from
``numpy.random.default_rng([seed, epoch])``, identical in every process), and
``num_replicas``/``rank``: every process builds the same global batch list, drops
the last ``len % num_replicas`` batches and takes every ``num_replicas``-th from
``rank``, so shares are disjoint and ``len()`` is the same on every rank.

Choices: an identity with fewer images than asked (K, or MaskReID's P) is sampled
with replacement; incomplete batches are dropped; an epoch of
``RandomIdentitySampler`` splits each identity's shuffled images into
``max(1, n // K)`` chunks of K and forms batches in rounds of P distinct
identities until fewer than P identities have chunks left.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler


def _groups(pids: Sequence[int]) -> dict[int, np.ndarray]:
    arr = np.asarray(list(pids), dtype=np.int64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError("pids must be a non-empty 1-d list of ints (one per dataset index)")
    order = np.argsort(arr, kind="stable")
    ids, starts = np.unique(arr[order], return_index=True)
    return {int(i): g for i, g in zip(ids, np.split(order, starts[1:]))}


def _positive_int(name: str, value: int) -> int:
    if int(value) != value or int(value) < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class _EpochBatchSampler(Sampler):
    """Common seed / epoch / DDP sharding; subclasses build the global batch list."""

    def __init__(self, seed: int, num_replicas: int, rank: int) -> None:
        self.num_replicas = _positive_int("num_replicas", num_replicas)
        if not 0 <= int(rank) < self.num_replicas:
            raise ValueError(f"rank must be in [0, {self.num_replicas}), got {rank!r}")
        self.rank, self.seed, self.epoch = int(rank), int(seed), 0
        self._cache: tuple[int, list[list[int]]] | None = None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _build(self, rng: np.random.Generator) -> list[list[int]]:
        raise NotImplementedError

    def global_batches(self) -> list[list[int]]:
        """All batches of the current epoch (before sharding), the same on every rank."""
        if self._cache is None or self._cache[0] != self.epoch:
            rng = np.random.default_rng([self.seed, self.epoch])
            self._cache = (self.epoch, self._build(rng))
        return self._cache[1]

    def _share(self) -> list[list[int]]:
        batches = self.global_batches()
        usable = len(batches) - len(batches) % self.num_replicas
        return batches[self.rank:usable:self.num_replicas]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self._share())

    def __len__(self) -> int:
        return len(self._share())


class RandomIdentitySampler(_EpochBatchSampler):
    """P identities x K images per batch (batch size P * K, identities distinct)."""

    def __init__(self, pids: Sequence[int], num_identities: int = 16, num_instances: int = 4,
                 seed: int = 0, num_replicas: int = 1, rank: int = 0) -> None:
        super().__init__(seed, num_replicas, rank)
        self.P = _positive_int("num_identities (P)", num_identities)
        self.K = _positive_int("num_instances (K)", num_instances)
        self.groups = _groups(pids)
        if len(self.groups) < self.P:
            raise ValueError(f"num_identities (P) = {self.P} exceeds the {len(self.groups)} "
                             "identities in pids: lower P")

    def _build(self, rng):
        chunks: dict[int, list[np.ndarray]] = {}
        for pid, idx in self.groups.items():
            if len(idx) < self.K:
                chunks[pid] = [rng.choice(idx, self.K, replace=True)]
            else:
                perm = rng.permutation(idx)
                chunks[pid] = [perm[i * self.K:(i + 1) * self.K] for i in range(len(idx) // self.K)]
        batches = []
        while len(chunks) >= self.P:
            ids = rng.permutation(sorted(chunks))
            for s in range(0, len(ids) - self.P + 1, self.P):
                batch = []
                for pid in ids[s:s + self.P]:
                    batch.extend(int(i) for i in chunks[int(pid)].pop())
                batches.append(batch)
            chunks = {k: v for k, v in chunks.items() if v}
        return batches


class MaskReIDBatchSampler(_EpochBatchSampler):
    """One identity x P images + N images of N other identities (MaskReID, P/N = 10/54).

    Every identity is the batch's "one identity" once per epoch (shuffled order).
    A batch is ``[P positives..., N negatives...]``.
    """

    def __init__(self, pids: Sequence[int], num_positives: int = 10, num_negatives: int = 54,
                 seed: int = 0, num_replicas: int = 1, rank: int = 0) -> None:
        super().__init__(seed, num_replicas, rank)
        self.P = _positive_int("num_positives (P)", num_positives)
        self.N = _positive_int("num_negatives (N)", num_negatives)
        self.groups = _groups(pids)
        if len(self.groups) < self.N + 1:
            raise ValueError(f"num_negatives (N) = {self.N} needs at least N + 1 = {self.N + 1} "
                             f"identities, pids has {len(self.groups)}: lower N")
        self.ids = np.array(sorted(self.groups))

    def _build(self, rng):
        batches = []
        for pos in rng.permutation(len(self.ids)):
            idx = self.groups[int(self.ids[pos])]
            positives = rng.choice(idx, self.P, replace=len(idx) < self.P)
            others = rng.choice(len(self.ids) - 1, self.N, replace=False)
            others = others + (others >= pos)  # skip the batch's identity
            negatives = [rng.choice(self.groups[int(self.ids[o])]) for o in others]
            batches.append([int(i) for i in positives] + [int(i) for i in negatives])
        return batches


class SiamesePairSampler(_EpochBatchSampler):
    """Balanced Siamese pairs: every image is a probe once per epoch.

    Probes are shuffled; probe number ``t`` gets a positive partner (another image
    of its identity) when ``t`` is even and a negative one (a random image of
    another identity) when odd; a probe whose identity has one image gets a
    negative partner.
    """

    def __init__(self, pids: Sequence[int], batch_size: int = 32, seed: int = 0,
                 num_replicas: int = 1, rank: int = 0) -> None:
        super().__init__(seed, num_replicas, rank)
        self.batch_size = _positive_int("batch_size", batch_size)
        self.pids = np.asarray(list(pids), dtype=np.int64)
        self.groups = _groups(self.pids)
        if len(self.groups) < 2:
            raise ValueError("SiamesePairSampler needs at least 2 identities for negative pairs")

    def _build(self, rng):
        n = len(self.pids)
        probes = rng.permutation(n)
        partners = np.empty(n, dtype=np.int64)
        for t, q in enumerate(probes):
            same = self.groups[int(self.pids[q])]
            if t % 2 == 0 and len(same) > 1:
                j = rng.integers(len(same) - 1)
                own = int(np.searchsorted(same, q))  # groups hold sorted indices
                partners[t] = same[j + (j >= own)]
            else:
                while True:
                    j = int(rng.integers(n))
                    if self.pids[j] != self.pids[q]:
                        partners[t] = j
                        break
        b = self.batch_size
        return [[int(i) for i in probes[s:s + b]] + [int(i) for i in partners[s:s + b]]
                for s in range(0, n - b + 1, b)]


class RandomBatchSampler(_EpochBatchSampler):
    """Shuffled batches of ``batch_size`` indices over all ``len(pids)`` images (module docstring)."""

    def __init__(self, pids: Sequence[int], batch_size: int = 128, seed: int = 0,
                 num_replicas: int = 1, rank: int = 0) -> None:
        super().__init__(seed, num_replicas, rank)
        self.batch_size = _positive_int("batch_size", batch_size)
        pids = list(pids)
        _groups(pids)  # checks pids
        self.n = len(pids)
        if self.n < self.batch_size:
            raise ValueError(f"batch_size = {self.batch_size} exceeds the {self.n} training images: lower it")

    def _build(self, rng):
        perm, b = rng.permutation(self.n), self.batch_size
        return [[int(i) for i in perm[s:s + b]] for s in range(0, self.n - b + 1, b)]


class TripletBatchSampler(_EpochBatchSampler):
    """Batches ``[a..., p..., n...]`` of mined triplets; ``set_triplets`` after re-mining."""

    def __init__(self, triplets, batch_size: int = 32, seed: int = 0, num_replicas: int = 1,
                 rank: int = 0) -> None:
        super().__init__(seed, num_replicas, rank)
        self.batch_size = _positive_int("batch_size", batch_size)
        self.set_triplets(triplets)

    def set_triplets(self, triplets) -> None:
        """Replace the triplets (``(anchors, positives, negatives)``, e.g. a miner's output)."""
        if len(triplets) != 3:
            raise ValueError("triplets must be (anchors, positives, negatives)")
        arrs = [np.asarray(t, dtype=np.int64).reshape(-1) for t in triplets]
        if not len(arrs[0]) == len(arrs[1]) == len(arrs[2]):
            raise ValueError("anchors, positives and negatives must have the same length")
        self.triplets = np.stack(arrs, axis=1)
        self._cache = None

    def _build(self, rng):
        t = self.triplets[rng.permutation(len(self.triplets))]
        b = self.batch_size
        return [[int(i) for i in t[s:s + b].T.reshape(-1)] for s in range(0, len(t) - b + 1, b)]
