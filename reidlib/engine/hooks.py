"""Training-loop hooks: progress bar, loss guard, CSV epoch log, checkpointing.

A hook implements any of these methods (all optional), called by
:class:`reidlib.engine.loop.Trainer` with itself as first argument:

``on_train_start(t)``, ``on_epoch_start(t, epoch)``,
``on_loss(t, terms: dict[str, Tensor])`` (before backward; may raise to stop),
``on_step_end(t, info: dict)`` (``info``: epoch, step, global_step, batch_size, loss, terms),
``on_epoch_end(t, row: dict)`` (the CSV row: epoch, stage, mean of every term, lrs, metrics),
``on_train_end(t, metrics: dict)``.

Hooks that write files do so only on rank 0 (``t.is_main``). :class:`TeeLog` copies what a
run prints to its ``train.log``.
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import torch

from .runs import write_csv


class Hook:
    """Base class; every event is a no-op."""

    def on_train_start(self, t: Any) -> None: ...
    def on_epoch_start(self, t: Any, epoch: int) -> None: ...
    def on_loss(self, t: Any, terms: dict[str, torch.Tensor]) -> None: ...
    def on_step_end(self, t: Any, info: dict[str, Any]) -> None: ...
    def on_epoch_end(self, t: Any, row: dict[str, Any]) -> None: ...
    def on_train_end(self, t: Any, metrics: dict[str, Any]) -> None: ...


class LossExplodedError(FloatingPointError):
    """A loss term became NaN/inf or exceeded the explosion threshold."""


class LossGuard(Hook):
    """Stop the run when any weighted loss term is non-finite or ``|value| > max_loss``.

    The message names the epoch, the step and the term, e.g.
    ``loss term 'triplet' is nan at epoch 2 step 13 (global step 53)``.
    """

    def __init__(self, max_loss: float = 1e4):
        if not max_loss > 0:
            raise ValueError(f"LossGuard max_loss must be > 0, got {max_loss}")
        self.max_loss = float(max_loss)

    def on_loss(self, t: Any, terms: dict[str, torch.Tensor]) -> None:
        for name, v in terms.items():
            x = float(v.detach())
            where = f"at epoch {t.epoch} step {t.step} (global step {t.global_step})"
            if not math.isfinite(x):
                raise LossExplodedError(f"loss term {name!r} is {x} {where}; lower the learning rate "
                                        "or check the inputs of this term")
            if abs(x) > self.max_loss:
                raise LossExplodedError(f"loss term {name!r} exploded to {x:.4g} (> {self.max_loss:g}) "
                                        f"{where}; lower the learning rate or raise LossGuard.max_loss")


def format_seconds(sec: float) -> str:
    """``75`` -> ``"1m15s"``, ``3700`` -> ``"1h01m"``."""
    sec = max(int(round(sec)), 0)
    if sec >= 3600:
        return f"{sec // 3600}h{sec % 3600 // 60:02d}m"
    return f"{sec // 60}m{sec % 60:02d}s" if sec >= 60 else f"{sec}s"


class ProgressBar(Hook):
    """tqdm.auto bar per epoch (notebook widget in Jupyter) showing loss, images/s and the ETA
    of the whole run (``run_eta``: remaining steps of all epochs at this session's step rate;
    evaluations not included)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.bar: Any = None
        self._start: tuple[float, int] | None = None

    def on_train_start(self, t: Any) -> None:
        self._start = (time.perf_counter(), t.global_step)

    def run_eta(self, t: Any) -> float | None:
        """Seconds left in the whole run, from the steps done since ``on_train_start``."""
        if self._start is None or t.global_step <= self._start[1]:
            return None
        rate = (time.perf_counter() - self._start[0]) / (t.global_step - self._start[1])
        total = t.total_steps
        return max(total - t.global_step, 0) * rate

    def on_epoch_start(self, t: Any, epoch: int) -> None:
        if self.quiet or not t.is_main:
            return
        from tqdm.auto import tqdm

        self.bar = tqdm(total=t.steps_per_epoch, initial=t.step, desc=f"epoch {epoch + 1}/{t.epochs}",
                        leave=False, dynamic_ncols=True)
        self._t0, self._n = time.perf_counter(), 0

    def on_step_end(self, t: Any, info: dict[str, Any]) -> None:
        if self.bar is None:
            return
        self._n += info["batch_size"] * t.world_size
        rate = self._n / max(time.perf_counter() - self._t0, 1e-9)
        eta = self.run_eta(t)
        self.bar.set_postfix(loss=f"{info['loss']:.4f}", img_s=f"{rate:.1f}",
                             run_eta=format_seconds(eta) if eta is not None else "?", refresh=False)
        self.bar.update(1)

    def on_epoch_end(self, t: Any, row: dict[str, Any]) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            terms = " ".join(f"{k}={v:.4f}" for k, v in row.items() if k.startswith("loss"))
            eta = self.run_eta(t)
            left = f" (run ETA {format_seconds(eta)})" if eta is not None and row["epoch"] < t.epochs else ""
            if not self.quiet:
                print(f"epoch {row['epoch']}/{t.epochs} [{row['stage']}] {terms}{left}", flush=True)


class TeeLog:
    """Context manager: while active, everything printed to ``sys.stdout`` also goes to ``path``
    (appended, flushed per write), e.g. a run's ``train.log``. Progress bars (stderr) are not copied."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._file: TextIO | None = None
        self._stdout: Any = None

    def write(self, text: str) -> int:
        if self._file is not None:
            self._file.write(text)
            self._file.flush()
        return self._stdout.write(text)

    def flush(self) -> None:
        self._stdout.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, encoding ... of the real stdout
        return getattr(self._stdout, name)

    def __enter__(self) -> "TeeLog":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")
        self._stdout, sys.stdout = sys.stdout, self
        return self

    def __exit__(self, *exc: Any) -> None:
        if sys.stdout is self:
            sys.stdout = self._stdout
        if self._file is not None:
            self._file.close()
            self._file = None


class CSVLogger(Hook):
    """Rewrite ``<run>/epochs.csv`` atomically after every epoch from ``t.history``
    (so a resumed run never duplicates rows)."""

    def on_epoch_end(self, t: Any, row: dict[str, Any]) -> None:
        if t.run is not None and t.is_main:
            write_csv(t.run.csv_path, t.history)


class Checkpointer(Hook):
    """Save ``checkpoints/last.pt`` after every epoch and every ``every_steps`` steps
    (0 = epoch ends only); ``best.pt`` when the trainer's best score improves."""

    def __init__(self, every_steps: int = 0):
        if every_steps < 0:
            raise ValueError(f"Checkpointer every_steps must be >= 0, got {every_steps}")
        self.every_steps = int(every_steps)

    def on_step_end(self, t: Any, info: dict[str, Any]) -> None:
        if self.every_steps and t.step % self.every_steps == 0 and t.step < t.steps_per_epoch:
            t.save(t.run.last if t.run is not None else None)

    def on_epoch_end(self, t: Any, row: dict[str, Any]) -> None:
        if t.run is None:
            return
        t.save(t.run.last)
        if row.get("is_best"):
            t.save(t.run.best)


class StopAt(Hook):
    """Raise ``exc`` (default KeyboardInterrupt) after global step ``step``: simulates a kill."""

    def __init__(self, step: int, exc: type[BaseException] = KeyboardInterrupt):
        self.at, self.exc = step, exc

    def on_step_end(self, t: Any, info: dict[str, Any]) -> None:
        if t.global_step == self.at:
            raise self.exc(f"stopped at global step {self.at}")
