"""Batches decoded in worker processes: the input pipeline at the papers' scale.

Without a uint8 cache (the ``paper`` profile: ``cache_images`` off) every image is read and
decoded for every step; in the main process that starves a GPU (issue 14 item 10). With
``profile.num_workers`` = W > 0 the Trainer fetches its batches through a
``torch.utils.data.DataLoader`` whose W worker processes run ``dataset.get_batch(indices)``
(read + decode + resize + stack: the part that scales with cores), with
``pin_memory`` on CUDA and persistent workers (started once per run, not per epoch), a
``prefetch_factor`` of batches ahead per worker.

What stays in the main process, and why:

- the batch sampler (its per-epoch state, mined triplets and stage switch live here; the
  loader reads index lists from :class:`_EpochIndices`, which the Trainer refills per epoch);
- the batch's ``layout`` (the sampler's current layout, e.g. ``"siamese"``);
- the augmentation (``transform(batch, generator)``): it is seeded per step from ``(seed,
  epoch, step)`` and works on the whole batch tensor, so it runs where the model runs (CUDA
  runs move the uint8 batch to the device first and augment there; the random parameters
  are drawn on the CPU generator either way) and a run is bit-identical with 0 or W workers.

``num_workers=0`` is the old path: ``get_batch`` in the main process, no DataLoader.
``bench/loader.py`` measures images/s with 0, 1 and 2 workers and the per-core rate.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence

import torch


class _EpochIndices:
    """The current epoch's index lists, refilled by the Trainer; iterated by the DataLoader in
    the main process (a DataLoader's sampler is never sent to the workers)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


class _BatchFetch(torch.utils.data.Dataset):
    """Map-style view whose item ``indices`` is the whole batch ``dataset.get_batch(indices)``."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, indices: Sequence[int]) -> dict[str, Any]:
        return self.dataset.get_batch(indices)


def _whole(batch: Any) -> Any:
    return batch


def decode_dataset(dataset: Any) -> Any:
    """The dataset that decodes (``LayoutDataset`` wraps one and adds the sampler's layout)."""
    return getattr(dataset, "dataset", dataset) if hasattr(dataset, "sampler") else dataset


class BatchLoader:
    """``batches(index_lists)`` yields ``(indices, batch)``: decoded by ``num_workers`` processes
    (0 = in this process). ``layout`` is a callable giving the current sampler layout or None."""

    def __init__(self, dataset: Any, num_workers: int = 0, pin_memory: bool = False,
                 prefetch_factor: int = 2, layout: Any = None) -> None:
        if int(num_workers) != num_workers or num_workers < 0:
            raise ValueError(f"num_workers must be an integer >= 0, got {num_workers!r}")
        if prefetch_factor < 1:
            raise ValueError(f"prefetch_factor must be >= 1, got {prefetch_factor!r}")
        self.dataset, self.num_workers = dataset, int(num_workers)
        self.layout = layout
        self._indices = _EpochIndices()
        self._loader: torch.utils.data.DataLoader | None = None
        if self.num_workers:
            self._loader = torch.utils.data.DataLoader(
                _BatchFetch(decode_dataset(dataset)), sampler=self._indices, batch_size=None,
                collate_fn=_whole, num_workers=self.num_workers, pin_memory=bool(pin_memory),
                persistent_workers=True, prefetch_factor=int(prefetch_factor))

    def batches(self, index_lists: Iterable[Sequence[int]]) -> Iterator[tuple[list[int], dict[str, Any]]]:
        if self._loader is None:
            for indices in index_lists:
                yield list(indices), self.dataset.get_batch(indices)
            return
        self._indices.batches = [list(map(int, b)) for b in index_lists]
        layout = self.layout() if callable(self.layout) else None
        for indices, batch in zip(self._indices.batches, self._loader):
            if layout is not None:
                batch["layout"] = layout
            yield indices, batch

    def close(self) -> None:
        """Let the persistent workers go (they stop when the DataLoader is collected)."""
        self._loader = None
