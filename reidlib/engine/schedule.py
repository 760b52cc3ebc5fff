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

The learning rate is a pure function of the epoch (:meth:`Stage.lr_at`):
``lr * gamma ** (#milestones <= epoch_in_stage)`` after an optional linear warm-up,
so resuming only needs the epoch and the optimizer state. A fresh optimizer is
built at the start of every stage (choice: the papers restart SGD per stage).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

import torch
from torch import nn

OPTIMIZERS = ("sgd", "adam", "adamw")


@dataclass
class Stage:
    """One stage of a recipe (see module docstring); ``epochs`` > 0."""

    name: str
    epochs: int
    lrs: dict[str, float]
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 5e-4
    milestones: list[int] = field(default_factory=list)
    gamma: float = 0.1
    warmup_epochs: int = 0
    loss_weights: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.epochs <= 0:
            raise ValueError(f"stage {self.name!r}: epochs must be > 0, got {self.epochs}")
        if not self.lrs or min(self.lrs.values()) <= 0:
            raise ValueError(f"stage {self.name!r}: lrs must map group names to positive lrs, got {self.lrs}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"stage {self.name!r}: unknown optimizer {self.optimizer!r}; valid: {', '.join(OPTIMIZERS)}")
        if not 0 < self.gamma <= 1:
            raise ValueError(f"stage {self.name!r}: gamma must be in (0, 1], got {self.gamma}")

    def lr_factor(self, epoch_in_stage: int) -> float:
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
        return sum(s.epochs for s in self.stages)

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
        """Same stages with epochs (and milestones) scaled so the total is ~``total_epochs``
        (each stage keeps at least 1 epoch): the CPU-profile versions of the papers' schedules."""
        if total_epochs <= 0:
            raise ValueError(f"total_epochs must be > 0, got {total_epochs}")
        r = total_epochs / self.epochs
        stages = []
        for s in self.stages:
            e = max(1, round(s.epochs * r))
            ms = sorted({min(e - 1, max(1, round(m * r))) for m in s.milestones if e > 1})
            stages.append(replace(s, epochs=e, milestones=ms))
        return Recipe(self.name, stages)

    def from_scratch(self) -> "Recipe":
        """Same stages with the ``base`` group at the ``new`` layers' learning rate.

        The papers fine-tune ImageNet-pretrained backbones, so their ``base`` rates are
        10x lower than the new layers'. A backbone trained from scratch (the CPU
        profiles' small models, which have no pretrained weights) is itself new: at
        the fine-tuning rate it barely moves in a short schedule.
        """
        stages = [replace(s, lrs={**s.lrs, "base": s.lrs["new"]}) if {"base", "new"} <= set(s.lrs) else s
                  for s in self.stages]
        return Recipe(self.name, stages)

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
