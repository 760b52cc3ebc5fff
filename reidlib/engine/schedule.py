"""Multi-stage training schedules: parameter groups with their own learning rates,
step decay, freezing, and per-stage loss weights.

A :class:`Recipe` is a list of :class:`Stage`\\ s run back to back. Each stage
names the parameter groups it trains and their learning rates, e.g. MPM-LTL
sec. IV-B stage 1: ``lrs={"base": 0.01, "new": 0.1}, milestones=[40]`` for 60
epochs; stage 2: ``lrs={"classifier": 0.001}`` (everything else frozen); stage 3:
``lrs={"base": 0.001, "new": 0.01}`` with the triplet terms switched on through
``loss_weights``.

Parameter groups come from :func:`split_param_groups`: a parameter belongs to the
first group whose prefix list matches its name (``model.named_parameters()``),
the rest to ``"base"``. Groups absent from a stage's ``lrs`` are frozen
(``requires_grad=False``, not given to the optimizer).

A stage's length is given in ``epochs`` or, where a paper counts optimiser steps, in
``iterations`` (MGCAM sec. 4.1: "7.5 x 10^4 iterations ... decrease it after each 1.5 x 10^4
iterations"); its ``milestones`` are in the same unit. The Trainer turns an iteration stage
into whole epochs of the stage's sampler (:meth:`Recipe.in_epochs`: ``round(iterations /
steps_per_epoch)``, at least 1; so a run trains within half an epoch of the paper's count).
A stage may name its own batch sampler (``sampler``, e.g. MGCAM phase 1: "we randomly select
128 samples across the whole dataset" for each iteration, then Siamese pairs in phase 2);
``None`` uses the experiment's sampler.

The learning rate is a pure function of the epoch (:meth:`Stage.lr_at`):
``lr * gamma ** (#milestones <= epoch_in_stage)`` (``decay="step"``, the papers') or
``lr * (1 + cos(pi * epoch_in_stage / epochs)) / 2`` (``decay="cosine"``) after an optional
linear warm-up,
so resuming only needs the epoch and the optimizer state. A fresh optimizer is
built at the start of every stage (choice: the papers restart SGD per stage).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

import torch
from torch import nn

OPTIMIZERS = ("sgd", "adam", "adamw")
#: how a stage's rate decays: ``step`` (x ``gamma`` at each milestone, the papers') or ``cosine``
#: (half a cosine from the stage's rate to 0 over its epochs, per epoch; milestones unused)
DECAYS = ("step", "cosine")


UNITS = ("epochs", "iterations")


def _round(x: float) -> int:
    """Round half up (Python's ``round`` rounds 148.5 to 148)."""
    return int(math.floor(x + 0.5))


#: from-scratch training multiplies an Adam stage's (fine-tuning) rates by this (Recipe.from_scratch)
ADAM_SCRATCH_SCALE = 10.0


@dataclass
class Stage:
    """One stage of a recipe (see module docstring): exactly one of ``epochs`` and
    ``iterations`` is > 0 and ``milestones`` count in that unit; ``sampler`` is
    ``{"name": ..., "kwargs": {...}}`` (reidlib.engine.sampling) or None."""

    name: str
    epochs: int = 0
    lrs: dict[str, float] = field(default_factory=dict)
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 5e-4
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.1
    warmup_epochs: int = 0
    loss_weights: dict[str, float] = field(default_factory=dict)
    iterations: int = 0
    sampler: dict[str, Any] | None = None
    decay: str = "step"

    def __post_init__(self) -> None:
        if (self.epochs > 0) == (self.iterations > 0) or min(self.epochs, self.iterations) < 0:
            raise ValueError(f"stage {self.name!r}: give its length as epochs > 0 or as iterations > 0 "
                             f"(one of them), got epochs={self.epochs}, iterations={self.iterations}")
        bad = [m for m in self.milestones if not 0 < m < self.length]
        if bad:
            raise ValueError(f"stage {self.name!r}: milestones must lie inside the stage (0 < m < "
                             f"{self.length} {self.unit}), got {bad}")
        if self.sampler is not None and not (isinstance(self.sampler, dict) and "name" in self.sampler):
            raise ValueError(f"stage {self.name!r}: sampler must be {{'name': ..., 'kwargs': {{...}}}} or None, "
                             f"got {self.sampler!r}")
        if not self.lrs or min(self.lrs.values()) <= 0:
            raise ValueError(f"stage {self.name!r}: lrs must map group names to positive lrs, got {self.lrs}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"stage {self.name!r}: unknown optimizer {self.optimizer!r}; valid: {', '.join(OPTIMIZERS)}")
        if self.decay not in DECAYS:
            raise ValueError(f"stage {self.name!r}: unknown decay {self.decay!r}; valid: {', '.join(DECAYS)}")
        if self.decay == "cosine" and self.milestones:
            raise ValueError(f"stage {self.name!r}: a cosine decay takes no milestones, got {self.milestones}")
        if not 0 < self.gamma <= 1:
            raise ValueError(f"stage {self.name!r}: gamma must be in (0, 1], got {self.gamma}")

    @property
    def unit(self) -> str:
        return "iterations" if self.iterations else "epochs"

    @property
    def length(self) -> int:
        """The stage's length in its :attr:`unit`."""
        return self.iterations or self.epochs

    def in_epochs(self, steps_per_epoch: int) -> "Stage":
        """This stage in whole epochs of ``steps_per_epoch`` steps (an epoch stage is returned
        as is): ``round(iterations / steps)`` epochs (>= 1), milestones likewise (kept inside)."""
        if not self.iterations:
            return self
        if steps_per_epoch <= 0:
            raise ValueError(f"stage {self.name!r}: its sampler yields no batches, so its "
                             f"{self.iterations} iterations cannot be counted in epochs")
        e = max(1, _round(self.iterations / steps_per_epoch))
        ms = sorted({min(e - 1, max(1, _round(m / steps_per_epoch))) for m in self.milestones if e > 1})
        return replace(self, epochs=e, iterations=0, milestones=ms)

    def lr_factor(self, epoch_in_stage: int) -> float:
        if self.decay == "cosine":
            f = 0.5 * (1.0 + math.cos(math.pi * epoch_in_stage / max(1, self.length)))
        else:
            f = self.gamma ** sum(1 for m in self.milestones if epoch_in_stage >= m)
        if self.warmup_epochs and epoch_in_stage < self.warmup_epochs:
            f *= (epoch_in_stage + 1) / (self.warmup_epochs + 1)
        return f

    def lr_at(self, group: str, epoch_in_stage: int) -> float:
        return self.lrs[group] * self.lr_factor(epoch_in_stage)


@dataclass
class Recipe:
    """Named list of stages (a paper's schedule)."""

    name: str
    stages: list[Stage]

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError(f"recipe {self.name!r} has no stages")

    @property
    def epochs(self) -> int:
        """Total epochs (only once every stage counts epochs: see :meth:`in_epochs`)."""
        its = [s.name for s in self.stages if s.iterations]
        if its:
            raise ValueError(f"recipe {self.name!r}: stages {its} count iterations; convert them with "
                             "Recipe.in_epochs(steps per epoch of each stage) first")
        return sum(s.epochs for s in self.stages)

    def in_epochs(self, steps_per_epoch: Sequence[int]) -> "Recipe":
        """Every stage in whole epochs; ``steps_per_epoch[i]``: steps of stage i's sampler."""
        if len(steps_per_epoch) != len(self.stages):
            raise ValueError(f"recipe {self.name!r} has {len(self.stages)} stages, got "
                             f"{len(steps_per_epoch)} steps-per-epoch values")
        return Recipe(self.name, [s.in_epochs(int(n)) for s, n in zip(self.stages, steps_per_epoch)])

    def locate(self, epoch: int) -> tuple[int, Stage, int]:
        """Global ``epoch`` -> (stage index, stage, epoch within stage)."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        start = 0
        for i, s in enumerate(self.stages):
            if epoch < start + s.epochs:
                return i, s, epoch - start
            start += s.epochs
        raise ValueError(f"epoch {epoch} is past the end of recipe {self.name!r} ({self.epochs} epochs)")

    def scaled(self, total_epochs: int) -> "Recipe":
        """The CPU-profile version of a paper's schedule: stage lengths (and milestones) scaled
        in proportion so the total is ~``total_epochs`` epochs (each stage keeps at least 1).
        A recipe in iterations (MGCAM: 75k + 15k) becomes epochs in the same proportions.
        Choice: the scaled stages' own samplers train at the profile's batch size (their
        ``batch_size`` keyword, the paper's, is dropped), like the experiment's sampler."""
        if total_epochs <= 0:
            raise ValueError(f"total_epochs must be > 0, got {total_epochs}")
        units = {s.unit for s in self.stages}
        if len(units) > 1:
            raise ValueError(f"recipe {self.name!r} mixes stages in epochs and in iterations: it cannot "
                             "be scaled to a total of epochs; give every stage in one unit")
        r = total_epochs / sum(s.length for s in self.stages)
        stages = []
        for s in self.stages:
            e = max(1, _round(s.length * r))
            ms = sorted({min(e - 1, max(1, _round(m * r))) for m in s.milestones if e > 1})
            smp = s.sampler
            if smp is not None:
                smp = {**smp, "kwargs": {k: v for k, v in (smp.get("kwargs") or {}).items() if k != "batch_size"}}
            stages.append(replace(s, epochs=e, iterations=0, milestones=ms, sampler=smp))
        return Recipe(self.name, stages)

    def from_scratch(self) -> "Recipe":
        """Same stages with the ``base`` group at the ``new`` layers' learning rate, and the
        Adam stages' rates x :data:`ADAM_SCRATCH_SCALE`.

        The papers fine-tune ImageNet-pretrained backbones, so their ``base`` rates are
        10x lower than the new layers'. A backbone trained from scratch (the CPU
        profiles' small models, which have no pretrained weights) is itself new: at
        the fine-tuning rate it barely moves in a short schedule. SemParts' Adam 3e-4
        (sec. IV-A) is a fine-tuning rate for every layer; from scratch it learns about half
        as fast as 3e-3 (measured, SynthReID ``study`` preset, 32 epochs: SQ mAP 16.8 at
        3e-4, 30.7 at 3e-3; issue 16).
        """
        stages = []
        for s in self.stages:
            lrs = {**s.lrs, "base": s.lrs["new"]} if {"base", "new"} <= set(s.lrs) else dict(s.lrs)
            if s.optimizer in ("adam", "adamw"):
                lrs = {g: lr * ADAM_SCRATCH_SCALE for g, lr in lrs.items()}
            stages.append(replace(s, lrs=lrs))
        return Recipe(self.name, stages)

    def rates_times(self, scale: float) -> "Recipe":
        """Same stages with every group's learning rate times ``scale`` (> 0); epochs,
        milestones and decay unchanged. For measuring a schedule (the cross-domain trainer's
        ``adaptation.lr_scale``); ``scale == 1`` returns the recipe itself."""
        if not float(scale) > 0.0:
            raise ValueError(f"learning-rate scale must be > 0, got {scale!r}")
        if float(scale) == 1.0:
            return self
        return Recipe(self.name, [replace(s, lrs={g: lr * float(scale) for g, lr in s.lrs.items()})
                                  for s in self.stages])

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "stages": [asdict(s) for s in self.stages]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Recipe":
        return cls(d["name"], [Stage(**s) for s in d["stages"]])


def split_param_groups(model: nn.Module, groups: Mapping[str, Sequence[str]] | None = None
                       ) -> dict[str, list[tuple[str, nn.Parameter]]]:
    """Partition ``model``'s parameters by name prefix.

    ``groups`` maps group name -> list of name prefixes (e.g. ``{"classifier":
    ["classifier"], "new": ["embed", "classifier"]}``); the first matching group
    wins, unmatched parameters go to ``"base"``. A model may define
    ``param_groups() -> dict`` instead, which is used when ``groups`` is None.
    """
    if groups is None:
        groups = getattr(model, "param_groups", lambda: {})()
    out: dict[str, list[tuple[str, nn.Parameter]]] = {g: [] for g in groups}
    out.setdefault("base", [])
    for name, p in model.named_parameters():
        for g, prefixes in groups.items():
            if any(name.startswith(pre) for pre in prefixes):
                out[g].append((name, p))
                break
        else:
            out["base"].append((name, p))
    return out


def build_optimizer(stage: Stage, groups: Mapping[str, list[tuple[str, nn.Parameter]]],
                    epoch_in_stage: int = 0) -> torch.optim.Optimizer:
    """Freeze groups not in ``stage.lrs``, build the stage's optimizer over the others."""
    unknown = set(stage.lrs) - set(groups)
    if unknown:
        raise KeyError(f"stage {stage.name!r} trains unknown parameter groups {sorted(unknown)}; "
                       f"valid: {', '.join(groups)}")
    pgs = []
    for g, named in groups.items():
        train = g in stage.lrs
        for _, p in named:
            p.requires_grad_(train)
        if train and named:
            pgs.append({"params": [p for _, p in named], "lr": stage.lr_at(g, epoch_in_stage),
                        "initial_lr": stage.lrs[g], "group": g})
    if not pgs:
        raise ValueError(f"stage {stage.name!r} trains no parameters (groups {list(stage.lrs)} are empty)")
    if stage.optimizer == "sgd":
        return torch.optim.SGD(pgs, lr=pgs[0]["lr"], momentum=stage.momentum,
                               weight_decay=stage.weight_decay)
    cls = torch.optim.Adam if stage.optimizer == "adam" else torch.optim.AdamW
    return cls(pgs, lr=pgs[0]["lr"], weight_decay=stage.weight_decay)


def set_lrs(optimizer: torch.optim.Optimizer, stage: Stage, epoch_in_stage: int) -> dict[str, float]:
    """Set each param group's lr for ``epoch_in_stage``; returns ``{"lr/<group>": lr}``."""
    lrs = {}
    for pg in optimizer.param_groups:
        pg["lr"] = stage.lr_at(pg["group"], epoch_in_stage)
        lrs[f"lr/{pg['group']}"] = pg["lr"]
    return lrs


def trainable(params: Iterable[nn.Parameter]) -> int:
    return sum(p.numel() for p in params if p.requires_grad)
