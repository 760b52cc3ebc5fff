"""Two data streams through the one engine loop: a source batch and a target batch per step.

The engine's :class:`~reidlib.engine.loop.Trainer` feeds one dataset and one batch
sampler. Cross-domain training (ECN, SemParts fig. 1) needs one labelled source batch
and one unlabeled target batch per step; this adapter keeps the engine unchanged:

* :class:`CrossDomainBatchSampler` yields ``source_indices + (n_source + target_indices)``
  (one index space: ``[0, n_source)`` source, ``[n_source, n_source + n_target)`` target);
  an epoch is one pass of the source sampler, the target order is a fresh permutation
  per epoch (``numpy.random.default_rng([seed, epoch, 1])``) cycled as needed (ECN).
* :class:`CrossDomainDataset.get_batch` returns the concatenated batch: ``image``
  uint8 ``[Bs+Bt,3,H,W]``, ``parts`` ``[Bs+Bt,1,H,W]`` (zeros where absent) with
  ``has_parts`` bool ``[Bs+Bt]``, ``pid`` (source labels, **-1 for every target row**:
  the target dataset is built from label-stripped records, :func:`strip_labels`),
  ``camid``, ``index`` (position in its own domain: the memory index for target rows),
  ``domain`` (0 source, 1 target) and ``n_source``. Target images go through the
  camera-style transfer (ECN camera-invariance) here, drawn from torch's RNG that the
  Trainer seeds per step.
* :class:`TwoStreamModel` runs the wrapped model on the two halves separately in
  training (as ECN does: separate BatchNorm statistics per domain) and concatenates
  the output dicts; in eval mode it is the wrapped model. It also owns the exemplar
  memories (``memories``) so they are saved and resumed with the model's state.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from .camstyle import CamStyle, camstyle_batch

Record = dict[str, Any]


def strip_labels(records: Sequence[Record]) -> list[Record]:
    """Copies of ``records`` whose ``pid`` is -1: the target labels never enter training."""
    return [{**{k: v for k, v in r.items() if k != "pid"}, "pid": -1} for r in records]


class CrossDomainBatchSampler:
    """Source batches from ``source_sampler`` + ``target_batch`` target indices per step."""

    def __init__(self, source_sampler: Any, num_source: int, num_target: int, target_batch: int,
                 seed: int = 0, max_steps: int | None = None) -> None:
        if target_batch < 1 or num_target < 1:
            raise ValueError(f"target_batch and num_target must be >= 1, got {target_batch}, {num_target}")
        self.source, self.ns, self.nt, self.bt = source_sampler, int(num_source), int(num_target), int(target_batch)
        self.seed, self.epoch, self.max_steps = int(seed), 0, max_steps

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        self.source.set_epoch(epoch)

    def __len__(self) -> int:
        n = len(self.source)
        return n if self.max_steps is None else min(n, int(self.max_steps))

    def __iter__(self) -> Iterator[list[int]]:
        rng = np.random.default_rng([self.seed, self.epoch, 1])
        order, pos = rng.permutation(self.nt), 0
        for step, src in enumerate(self.source):
            if step >= len(self):
                return
            tgt = []
            while len(tgt) < self.bt:
                if pos == self.nt:
                    order, pos = rng.permutation(self.nt), 0
                take = order[pos:pos + self.bt - len(tgt)]
                tgt.extend(int(i) for i in take)
                pos += len(take)
            yield [int(i) for i in src] + [self.ns + i for i in tgt]


class LimitedSampler:
    """At most ``max_steps`` batches per epoch of ``sampler`` (profiles' ``max_steps_per_epoch``)."""

    def __init__(self, sampler: Any, max_steps: int | None) -> None:
        self.sampler, self.max_steps = sampler, max_steps

    def set_epoch(self, epoch: int) -> None:
        self.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        n = len(self.sampler)
        return n if self.max_steps is None else min(n, int(self.max_steps))

    def __iter__(self) -> Iterator[list[int]]:
        for i, b in enumerate(self.sampler):
            if i >= len(self):
                return
            yield b


def _parts_flags(records: Sequence[Record]) -> Tensor:
    return torch.tensor([bool(r.get("parts_path")) for r in records], dtype=torch.bool)


class CrossDomainDataset:
    """Source ImageDataset (labelled) + target ImageDataset (label-stripped); module docstring."""

    def __init__(self, source: Any, target: Any, camstyle: CamStyle | None = None,
                 num_target_cams: int | None = None, target_parts: bool = True) -> None:
        if bool((target.pids != -1).any()):
            raise ValueError("target dataset carries labels: build it from strip_labels(records)")
        self.source, self.target, self.camstyle = source, target, camstyle
        self.ns, self.nt = len(source), len(target)
        self.num_target_cams = int(num_target_cams if num_target_cams is not None else int(target.camids.max()) + 1)
        self.src_parts = _parts_flags(source.records)
        self.tgt_parts = _parts_flags(target.records) & bool(target_parts)

    def __len__(self) -> int:
        return self.ns + self.nt

    @staticmethod
    def _parts(batch: Mapping[str, Any], n: int, like: Tensor) -> Tensor:
        p = batch.get("parts")
        return p if isinstance(p, Tensor) else torch.zeros(n, 1, *like.shape[-2:], dtype=torch.uint8)

    def get_batch(self, indices: Sequence[int]) -> dict[str, Any]:
        idx = torch.as_tensor(list(indices), dtype=torch.long)
        is_src = idx < self.ns
        k = int(is_src.sum())
        if not bool(is_src[:k].all()) or (len(idx) and int(idx.max()) >= len(self)) or (len(idx) and int(idx.min()) < 0):
            raise ValueError(f"cross-domain batch must list source indices [0, {self.ns}) first, then "
                             f"target indices [{self.ns}, {len(self)})")
        s_idx, t_idx = idx[:k], idx[k:] - self.ns
        sb, tb = self.source.get_batch(s_idx.tolist()), self.target.get_batch(t_idx.tolist())
        t_img = tb["image"]
        if self.camstyle is not None:
            t_img = camstyle_batch(t_img, tb["camid"], tb["index"], self.camstyle, self.num_target_cams)
        ns, nt = len(s_idx), len(t_idx)
        return {
            "image": torch.cat([sb["image"], t_img]),
            "mask": None,
            "parts": torch.cat([self._parts(sb, ns, sb["image"]), self._parts(tb, nt, t_img)]),
            "has_parts": torch.cat([self.src_parts[s_idx], self.tgt_parts[t_idx]]),
            "pid": torch.cat([sb["pid"], torch.full((nt,), -1, dtype=torch.long)]),
            "camid": torch.cat([sb["camid"], tb["camid"]]),
            "index": torch.cat([sb["index"], tb["index"]]),
            "domain": torch.cat([torch.zeros(ns, dtype=torch.long), torch.ones(nt, dtype=torch.long)]),
            "n_source": ns,
        }


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, Tensor):
        return torch.cat([a, b])
    if isinstance(a, (list, tuple)):
        return [torch.cat([x, y]) for x, y in zip(a, b)]
    return a


class TwoStreamModel(nn.Module):
    """Wraps a model: separate forwards of the source and target halves in training."""

    def __init__(self, model: nn.Module, n_source: int, memories: Mapping[str, nn.Module] | None = None) -> None:
        super().__init__()
        self.model, self.n_source = model, int(n_source)
        self.memories = nn.ModuleDict(dict(memories or {}))

    def forward(self, x: Tensor, mask: Tensor | None = None) -> dict:
        n = self.n_source
        if not self.training or x.shape[0] <= n:
            return self.model(x, mask)
        ms, mt = (None, None) if mask is None else (mask[:n], mask[n:])
        out_s, out_t = self.model(x[:n], ms), self.model(x[n:], mt)
        return {k: _merge(v, out_t[k]) for k, v in out_s.items()}
