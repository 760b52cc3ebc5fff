"""``python -m reidlib check-gpu``: is this machine ready for the ``paper`` profile?

Trains the paper-size MPM-LTL (ResNet-50 backbone, ``model_size="paper"``, MPM-LTL
sec. IV-B: 384 x 128 input, P x K = 16 x 4) for a few hundred steps on SynthReID, under the
``paper`` profile's format plan (:func:`reidlib.engine.precision.plan_format`: bf16 or fp16
autocast, channels_last, cudnn.benchmark on CUDA), and prints

- images/s of training (after ``warmup`` steps, which include cudnn's autotuning),
- peak memory (CUDA: ``torch.cuda.max_memory_allocated``; CPU: the process's peak RSS),
- the share of the step time spent waiting for data (decoding + augmentation in the
  main process: ``dataset.get_batch`` and the transform).

No run folder is written, nothing is evaluated, and the backbone starts from scratch (the
check measures speed, not accuracy, and needs no weights file). Without a GPU it runs 3 steps
of batch 4 so that CI exercises the whole path on a CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from dataclasses import replace
from typing import Any

import torch

from .hooks import Hook
from .schedule import Recipe


class _StepClock(Hook):
    """Wall time of each step (between ``on_step_end`` events)."""

    def __init__(self) -> None:
        self.ends: list[float] = []

    def on_epoch_start(self, t: Any, epoch: int) -> None:
        self.ends.append(time.perf_counter())

    def on_step_end(self, t: Any, info: dict[str, Any]) -> None:
        self.ends.append(time.perf_counter())


def check_gpu(steps: int | None = None, batch_p: int | None = None, batch_k: int | None = None,
              warmup: int | None = None, data_preset: str | None = None) -> dict[str, Any]:
    """Train ``steps`` steps of paper-size MPM-LTL at 384 x 128; return the measurements
    (defaults: 300 steps of 16 x 4 with 20 warm-up steps on CUDA, 3 steps of 2 x 2 on a CPU)."""
    from .experiment import build_trainer, resolve_config
    from .precision import plan_format

    cuda = torch.cuda.is_available()
    steps = int(steps or (300 if cuda else 3))
    warmup = int(warmup if warmup is not None else (20 if cuda else 1))
    if steps <= warmup:
        raise ValueError(f"check-gpu: steps ({steps}) must exceed warmup ({warmup})")
    overrides = {"profile.image_size": [384, 128], "profile.from_scratch": True, "profile.epochs": 1,
                 "profile.max_steps_per_epoch": steps, "profile.eval_every": 0, "profile.cache_images": cuda,
                 "profile.data_preset": data_preset or ("quick" if cuda else "smoke"),
                 "profile.batch_p": int(batch_p or (16 if cuda else 2)),
                 "profile.batch_k": int(batch_k or (4 if cuda else 2)),
                 "profile.num_workers": min(8, os.cpu_count() or 1) if cuda else 0,
                 "sampler.name": "pk", "miner.name": "none"}      # PK batches: the stage-1 sampler
    cfg = resolve_config("mpm_ltl", "paper", overrides)
    t = build_trainer(cfg, run=False, quiet=True)
    first = Recipe.from_dict(cfg["recipe"]).stages[0]
    t.recipe, t.epochs, t.evaluator = Recipe("check-gpu", [replace(first, epochs=1, milestones=[])]), 1, None
    data_s = [0.0]

    def timed(fn: Any) -> Any:  # adds fn's wall time to the data-wait total
        def wrapper(*args: Any) -> Any:
            start = time.perf_counter()
            out = fn(*args)
            data_s[0] += time.perf_counter() - start
            return out
        return wrapper

    batches = t.loader.batches

    def timed_batches(index_lists: Any) -> Any:  # waiting for the next decoded batch (workers or not)
        it = batches(index_lists)
        while True:
            start = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                return
            data_s[0] += time.perf_counter() - start
            yield item

    t.loader.batches, t.transform = timed_batches, timed(t.transform)  # type: ignore[method-assign]
    clock = _StepClock()
    t.hooks.append(clock)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t.fit()
    if cuda:
        torch.cuda.synchronize()
    durations = [b - a for a, b in zip(clock.ends[:-1], clock.ends[1:])]
    measured = durations[warmup:]
    batch = cfg["profile"]["batch_p"] * cfg["profile"]["batch_k"]
    peak = (torch.cuda.max_memory_allocated() if cuda
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return {"device": torch.cuda.get_device_name() if cuda else "cpu", "steps": len(durations), "warmup": warmup,
            "batch": batch, "image_size": [384, 128], "format": plan_format(cfg["profile"], cfg["model"]["name"]).to_dict(),
            "images_per_s": round(batch * len(measured) / max(sum(measured), 1e-9), 1),
            "peak_memory_gb": round(peak / 2**30, 2),
            "data_share": round(data_s[0] / max(sum(durations), 1e-9), 3)}


def register(subparsers: Any) -> None:
    """Add the ``check-gpu`` command."""
    p = subparsers.add_parser("check-gpu", help="a few hundred steps of paper-size MPM-LTL: images/s, memory, "
                                                "data wait share",
                              description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=None, help="training steps (default 300 on CUDA, 3 on a CPU)")
    p.add_argument("--batch-p", type=int, default=None, help="identities per batch (default 16 on CUDA)")
    p.add_argument("--batch-k", type=int, default=None, help="images per identity (default 4 on CUDA)")
    p.set_defaults(func=_cmd)


def _cmd(args: argparse.Namespace) -> int:
    res = check_gpu(args.steps, args.batch_p, args.batch_k)
    print(json.dumps(res, indent=2))
    sys.stdout.flush()
    return 0
