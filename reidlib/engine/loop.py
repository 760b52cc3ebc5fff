"""The one training loop (all papers, all experiments), with hooks, resume and DDP.

Per step: ``indices = next(batch_sampler)`` -> ``batch = dataset.get_batch(indices)``
(uint8 ``[B,3,H,W]`` image, ``[B,1,H,W]`` mask/parts, ``pid``, ``camid``, ``index``)
-> ``transform(batch, generator)`` (paired augmentation + normalisation) ->
``outputs = model(image, mask)`` (dict, CONTRIBUTING.md) -> loss
``L = sum_i w_i * term_i(outputs, batch)`` (e.g. MPM-LTL eq. 5, MGCAM eq. 8) with
weights from the :class:`~reidlib.engine.schedule.Stage` (``loss_weights``) over
the term's default; a weight of 0 skips the term.

Determinism: before every step the torch RNG and the augmentation generator are
seeded from ``(seed, epoch, step, rank)``, the sampler is re-seeded per epoch with
``set_epoch``, and the lr is a pure function of the epoch. A checkpoint stores the
model, optimizer, stage, epoch, step, running sums, history, RNG states and the
sampler's ``state_dict`` (if it has one), so a run killed at any point and resumed
from ``last.pt`` ends bit-identical on the CPU (resuming mid-epoch skips the
consumed batches of the re-seeded sampler).
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import torch
from torch import nn

from . import distributed as D
from .checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from .hooks import Checkpointer, CSVLogger, Hook, LossGuard, ProgressBar, TeeLog
from .runs import Run
from .schedule import Recipe, build_optimizer, set_lrs, split_param_groups


@dataclass
class LossTerm:
    """A named loss: ``fn(outputs: dict, batch: dict) -> scalar tensor`` with a default weight."""

    name: str
    fn: Callable[[dict, dict], torch.Tensor]
    weight: float = 1.0

    def __call__(self, outputs: dict, batch: dict) -> torch.Tensor:
        return self.fn(outputs, batch)


def _no_timer(phase: str) -> None:
    """The default :attr:`Trainer.step_timer`: nothing."""


def step_seed(seed: int, epoch: int, step: int, rank: int = 0) -> int:
    return (seed * 1_000_003 + epoch * 10_007 + step * 101 + rank * 7) % (2**63 - 1)


class Trainer:
    """Train ``model`` on ``dataset`` with ``recipe``; see module docstring.

    Args: model; terms (list of LossTerm); dataset (has ``get_batch``); batch_sampler
    (yields index lists, has ``set_epoch``; sharded per rank under DDP); recipe;
    groups (name -> parameter-name prefixes, see ``split_param_groups``);
    transform (``fn(batch, generator) -> batch``); evaluator (``fn(model) -> {protocol:
    {metric: value}}``, called every ``eval_every`` epochs and at the end); best_key
    (``"sq/mAP"``: the score that selects best.pt); run (a :class:`Run` or None for
    no files); hooks (extra hooks); checkpoint_every (steps, 0 = per epoch);
    quiet (no progress bar); max_loss (explosion threshold); max_steps_per_epoch (cap, for smoke runs);
    grad_scaler (fp16 autocast: scale the loss, ``torch.amp.GradScaler``; its state is checkpointed).
    num_workers (> 0: batches decoded by that many DataLoader worker processes, pinned on CUDA;
    :mod:`reidlib.engine.loader`; the run is the same as with 0).
    A batch sampler with ``stage_lengths()`` / ``set_stage(i)`` (``sampling.StageSamplers``) gives
    each stage its own batches; a recipe's iteration stages become whole epochs of them.
    """

    def __init__(self, model: nn.Module, terms: Sequence[LossTerm], dataset: Any, batch_sampler: Any,
                 recipe: Recipe, groups: Mapping[str, Sequence[str]] | None = None,
                 transform: Callable[..., dict] | None = None, evaluator: Callable[[nn.Module], dict] | None = None,
                 best_key: str = "sq/mAP", eval_every: int = 0, run: Run | None = None, seed: int = 0,
                 device: str | torch.device = "cpu", hooks: Sequence[Hook] = (), checkpoint_every: int = 0,
                 quiet: bool = False, max_loss: float = 1e4, use_mask: bool = True,
                 max_steps_per_epoch: int | None = None, grad_scaler: bool = False, num_workers: int = 0):
        names = [t.name for t in terms]
        if len(set(names)) != len(names):
            raise ValueError(f"loss term names must be unique, got {names}")
        for s in recipe.stages:
            unknown = set(s.loss_weights) - set(names)
            if unknown:
                raise KeyError(f"stage {s.name!r} weights unknown loss terms {sorted(unknown)}; valid: {', '.join(names)}")
        self.model, self.terms, self.dataset, self.sampler = model.to(device), list(terms), dataset, batch_sampler
        self.recipe, self.transform, self.evaluator, self.run = recipe, transform, evaluator, run
        self.best_key, self.eval_every, self.seed, self.device = best_key, eval_every, seed, torch.device(device)
        self.use_mask = use_mask
        # fp16 autocast (CUDA without bf16): scale the loss so small gradients survive in fp16
        self.scaler = torch.amp.GradScaler(self.device.type) if grad_scaler else None
        self.groups = split_param_groups(model, groups)
        self.hooks: list[Hook] = [LossGuard(max_loss), ProgressBar(quiet), CSVLogger(),
                                  Checkpointer(checkpoint_every), *hooks]
        self.rank, self.world_size, self.is_main = D.rank(), D.world_size(), D.is_main()
        self.epoch = self.step = self.global_step = 0
        self.stage_index = -1
        self.optimizer: torch.optim.Optimizer | None = None
        self.ddp: nn.Module = model
        self.sums: dict[str, float] = {}
        self.history: list[dict[str, Any]] = []
        self.best: float | None = None
        #: ``fn(phase)`` called as each part of a training step ends ("data", "transform",
        #: "forward", "loss", "backward", "optimizer"); None in training. ``bench/train.py``
        #: sets it to time the real step (issue 16, item 6) instead of replaying one.
        self.step_timer: Callable[[str], None] | None = None
        # steps per epoch of each stage's sampler (StageSamplers: one per stage), capped; stages
        # given in iterations become whole epochs of those steps (Recipe.in_epochs)
        lens = (batch_sampler.stage_lengths() if hasattr(batch_sampler, "stage_lengths")
                else [len(batch_sampler)] * len(recipe.stages))
        self.stage_steps = [min(n, max_steps_per_epoch or n) for n in lens]
        self.recipe_as_given = recipe
        self.recipe = recipe.in_epochs(self.stage_steps)
        self.epochs = self.recipe.epochs
        self.generator = torch.Generator()
        from .loader import BatchLoader

        self.loader = BatchLoader(dataset, num_workers, pin_memory=self.device.type == "cuda",
                                  layout=lambda: getattr(self.sampler, "layout", "pk"))

    @property
    def steps_per_epoch(self) -> int:
        """Steps in an epoch of the current stage (the stage of ``self.epoch``)."""
        return self.stage_steps[self.recipe.locate(min(self.epoch, self.epochs - 1))[0]]

    @property
    def total_steps(self) -> int:
        return sum(s.epochs * n for s, n in zip(self.recipe.stages, self.stage_steps))

    def plan(self) -> str:
        """The stages as trained, e.g. ``mgcam 743 epochs x 101 steps (75,000 iterations given)``."""
        parts = []
        for given, s, n in zip(self.recipe_as_given.stages, self.recipe.stages, self.stage_steps):
            its = f" ({given.iterations:,} iterations given)" if given.iterations else ""
            parts.append(f"{s.name} {s.epochs} epochs x {n} steps{its}")
        return f"{self.epochs} epochs, {self.total_steps:,} steps: " + "; ".join(parts)

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        st = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict() if self.optimizer else None,
              "stage_index": self.stage_index, "epoch": self.epoch, "step": self.step,
              "global_step": self.global_step, "sums": dict(self.sums), "history": list(self.history),
              "scaler": self.scaler.state_dict() if self.scaler is not None else None,
              "best": self.best, "rng": rng_state(), "seed": self.seed}
        if hasattr(self.sampler, "state_dict"):
            st["sampler"] = self.sampler.state_dict()
        return st

    def load_state_dict(self, st: Mapping[str, Any]) -> None:
        self.model.load_state_dict(st["model"])
        self.epoch, self.step, self.global_step = st["epoch"], st["step"], st["global_step"]
        self.sums, self.history, self.best = dict(st["sums"]), list(st["history"]), st["best"]
        if self.scaler is not None and st.get("scaler"):
            self.scaler.load_state_dict(st["scaler"])
        if "sampler" in st and hasattr(self.sampler, "load_state_dict"):
            self.sampler.load_state_dict(st["sampler"])
        set_rng_state(st["rng"])
        self.stage_index = -1
        if st["optimizer"] is not None and self.epoch < self.epochs:
            self._enter_stage(st["stage_index"])
            self.optimizer.load_state_dict(st["optimizer"])

    def save(self, path: Any) -> None:
        if path is not None and self.is_main:
            save_checkpoint(path, self.state_dict())
        D.barrier()

    # ------------------------------------------------------------------ loop
    def _enter_stage(self, index: int) -> None:
        stage = self.recipe.stages[index]
        _, _, ein = self.recipe.locate(self.epoch)
        self.optimizer = build_optimizer(stage, self.groups, ein)
        self.stage_index = index
        if hasattr(self.sampler, "set_stage"):
            self.sampler.set_stage(index)
        self.ddp = self.model
        if self.world_size > 1:  # rewrap: the set of trained parameters changes per stage
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.ddp = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)

    def _weights(self) -> dict[str, float]:
        stage = self.recipe.stages[self.stage_index]
        return {t.name: float(stage.loss_weights.get(t.name, t.weight)) for t in self.terms}

    def _emit(self, event: str, *args: Any) -> None:
        for h in self.hooks:
            getattr(h, event)(self, *args)

    def _train_step(self, indices: Sequence[int], weights: Mapping[str, float],
                    batch: dict[str, Any] | None = None) -> dict[str, Any]:
        mark = self.step_timer or _no_timer
        s = step_seed(self.seed, self.epoch, self.step, self.rank)
        torch.manual_seed(s)
        self.generator.manual_seed(s + 1)
        if batch is None:
            batch = self.dataset.get_batch(indices)
        if self.device.type == "cuda":  # augment on the device: uint8 crosses the bus (engine.loader)
            batch = {k: v.to(self.device, non_blocking=True) if isinstance(v, torch.Tensor) else v
                     for k, v in batch.items()}
        mark("data")
        if self.transform is not None:
            batch = self.transform(batch, self.generator)   # parameters drawn on the CPU generator
        batch = {k: v.to(self.device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        mark("transform")
        mask = batch.get("mask") if self.use_mask else None
        outputs = self.ddp(batch["image"], mask.float() if isinstance(mask, torch.Tensor) else None)
        mark("forward")
        terms = {t.name: t(outputs, batch) for t in self.terms if weights[t.name] != 0}
        self._emit("on_loss", terms)
        total = sum(weights[k] * v for k, v in terms.items())
        mark("loss")
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(total).backward()
            mark("backward")
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            total.backward()
            mark("backward")
            self.optimizer.step()
        mark("optimizer")
        vals = {f"loss/{k}": float(v.detach()) for k, v in terms.items()}
        vals["loss"] = float(total.detach())
        return vals

    def fit(self) -> dict[str, Any]:
        """Train to the end of the recipe (resuming from ``run.last`` when present) and
        return the final metrics; a finished run returns its stored metrics untouched.
        With a run, the first printed line names its folder and whether it is new, resumed
        (from which epoch) or reused, and what is printed while it trains also goes to its
        ``train.log``. A finished run's folder is read, never written: reusing it leaves its
        record (``train.log`` included) byte for byte as it was committed."""
        try:
            if self.run is None or not self.is_main or self.run.state == "finished":
                return self._fit()
            with TeeLog(self.run.log_path):
                return self._fit()
        finally:
            self.loader.close()

    def _announce(self, what: str) -> None:
        if self.is_main:
            print(f"run {self.run.dir}: {what}", flush=True)

    def _fit(self) -> dict[str, Any]:
        if self.run is not None:
            if self.run.state == "finished":
                self._announce("reused (finished: its metrics.json is returned, nothing is trained)")
                return self.run.metrics()
            if self.run.state == "resumable":
                self.load_state_dict(load_checkpoint(self.run.last, map_location=self.device))
                self._announce(f"resumed from checkpoints/last.pt at epoch {self.epoch + 1}/{self.epochs}"
                               + (f" step {self.step}" if self.step else ""))
            else:
                self._announce(f"new ({self.plan()})")
            if self.is_main:
                resumed = self.run.state == "resumable"
                self.run.write_env(self.seed, str(self.device), resumed_at=self.epoch if resumed else None)
        self.model.train()
        self._emit("on_train_start")
        while self.epoch < self.epochs:
            index, stage, ein = self.recipe.locate(self.epoch)
            if index != self.stage_index:
                self._enter_stage(index)
            lrs = set_lrs(self.optimizer, stage, ein)
            weights = self._weights()
            self.sampler.set_epoch(self.epoch)
            started = time.perf_counter()
            self._emit("on_epoch_start", self.epoch)
            todo = itertools.islice(iter(self.sampler), self.step, self.steps_per_epoch)
            for indices, batch in self.loader.batches(todo):
                vals = self._train_step(indices, weights, batch)
                for k, v in vals.items():
                    self.sums[k] = self.sums.get(k, 0.0) + v
                self.step += 1
                self.global_step += 1
                self._emit("on_step_end", {"epoch": self.epoch, "step": self.step, "global_step": self.global_step,
                                           "batch_size": len(indices), "loss": vals["loss"], "terms": vals})
            row = {"epoch": self.epoch + 1, "stage": stage.name, "global_step": self.global_step}
            row.update({k: D.all_reduce_mean(v / max(self.step, 1)) for k, v in sorted(self.sums.items())})
            row.update(lrs)
            last = self.epoch + 1 == self.epochs
            if self.evaluator is not None and (last or (self.eval_every and (self.epoch + 1) % self.eval_every == 0)):
                row.update(self._evaluate())
            row["wall_s"] = round(time.perf_counter() - started, 3)
            self.history.append(row)
            self.epoch, self.step, self.sums = self.epoch + 1, 0, {}
            self._emit("on_epoch_end", row)
        metrics = self._final_metrics()
        if self.run is not None and self.is_main:
            self.run.write_metrics(metrics)
            wall = sum(float(r.get("wall_s") or 0.0) for r in self.history)
            self._announce(f"finished ({self.epochs} epochs, {self.global_step:,} steps; "
                           f"{wall / 60:.1f} min of training and evaluation, epochs.csv's wall_s)")
        D.barrier()
        self._emit("on_train_end", metrics)
        return metrics

    def _evaluate(self) -> dict[str, Any]:
        res = self.evaluator(self.model)
        flat = {f"{p}/{k}": float(v) for p, d in res.items() for k, v in d.items()}
        score = flat.get(self.best_key)
        is_best = score is not None and (self.best is None or score > self.best)
        if is_best:
            self.best = score
        self.model.train()
        return {**flat, "is_best": is_best}

    def _final_metrics(self) -> dict[str, Any]:
        last = self.history[-1] if self.history else {}
        out: dict[str, Any] = {}
        for k, v in last.items():
            if "/" in k and not k.startswith(("loss", "lr")):
                p, m = k.split("/", 1)
                out.setdefault(p, {})[m] = v
        return {**out, "epochs": self.epochs, "global_step": self.global_step, "best": self.best,
                "loss": last.get("loss")}
