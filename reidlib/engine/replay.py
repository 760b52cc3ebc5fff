"""Replay a recorded run's first epochs with the code checked out now and compare, bit for bit.

A study at converged lengths is trained over days, by several commits (README "How long"):
its committed runs name the commit that trained them (``env.json``), and a later ``make study``
reuses them by their config (the run id). Reuse is only sound while today's code trains the same
config the same way. A replay checks that directly: it builds the run's own ``config.json`` with
today's code (no run folder is opened, nothing in the run is written), trains its first
``epochs`` epochs with the recorded seed, and compares every ``loss*`` and ``lr/*`` column of
those rows with the run's ``epochs.csv``. Training is deterministic on one machine (per-step
seeds, ``reidlib.engine.loop.step_seed``; resume is tested bit for bit), and epochs.csv stores
each value's full ``repr``, so **identical** means the same floats, not "close".

Bitwise equality is only expected on the machine kind that trained the run: fp32 kernels
differ between CPU kinds (AVX2 vs AVX-512 moved one MaskReID run by 4 mAP points,
``runs/quick/checks/cpu_kind``), and with the torch version or thread count. The replay runs
with the recorded run's thread count and reports ``comparable = False`` (with the reason) where
the device, CPU capability, AMX, torch version or precision differ, or the record lacks its
thread count; its numbers are then shown, not judged.
Every session that trained one of the compared epochs is compared (a resumed run's ``env.json``
keeps the earlier ones under ``earlier``, each with the epoch it resumed at).

A replay exercises what its epochs run: the first stage's model, loss terms, sampler,
augmentation and optimiser. A later stage (MPM-LTL's triplet stage, MaskReID's ranking stage) is
reached only by replaying that many epochs; ``python -m reidlib replay --record`` lists what
changed in the training code since each commit beside the replays for that reason
(``reidlib.study.code_replay``).

Cross-domain runs (``reidlib.domain``, config key ``adaptation``) are built by another trainer and
are not replayed here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .hooks import Hook
from .runs import git, git_commit, load_run, read_csv, read_json, session_record

#: what must match for a replay to be expected bit for bit: the device, env.json ``machine`` keys,
#: the precision, and the thread count (the replay uses the recorded one; a record without it
#: cannot be judged)
COMPARED_MACHINE = ("device", "cpu_capability", "amx_bf16", "torch", "precision", "torch_threads")


class _Enough(Exception):
    """Raised by :class:`_StopAfterEpochs` to end the replay's training loop."""


class _StopAfterEpochs(Hook):
    def __init__(self, epochs: int):
        self.epochs = epochs

    def on_epoch_end(self, t: Any, row: dict[str, Any]) -> None:
        if len(t.history) >= self.epochs:
            raise _Enough


@dataclass
class Replay:
    """The outcome of :func:`replay_run` for one run folder."""

    run: str
    experiment: str
    epochs: int
    trained_by: dict[str, Any]        # commit(s) ("a + b": every session of the compared epochs) + machine of the first
    here: dict[str, Any]              # the same keys for this replay
    columns: list[str] = field(default_factory=list)
    max_abs_diff: float = 0.0         # over every compared value (inf where one side lacks it)
    first_difference: str | None = None   # "epoch 2 loss/id: 0.51 vs 0.52", None when identical
    mismatched_machine: list[str] = field(default_factory=list)
    replayed: bool = True             # False: skipped, trained on another machine kind
    error: str | None = None          # today's code could not replay it (set by the caller that caught it)

    @property
    def identical(self) -> bool:
        return self.first_difference is None and self.error is None

    @property
    def comparable(self) -> bool:
        return not self.mismatched_machine

    @property
    def verdict(self) -> str:
        """``identical``, ``differs``, ``fails: <error>`` or ``not comparable here (...)``."""
        if self.error is not None:
            return f"fails: {self.error}"
        if not self.comparable:
            return (f"not comparable here ({', '.join(self.mismatched_machine)} differ)"
                    + ("" if self.replayed else ": not replayed"))
        return "identical" if self.identical else "differs"


def _sessions(run_dir: Path, epochs: int) -> list[dict[str, Any]]:
    """The training sessions that trained any of the first ``epochs`` epochs, oldest first (a
    resumed run's env.json keeps earlier sessions under ``earlier``, each with the epoch it
    resumed at, ``resumed_at_epoch``; the first has none)."""
    path = run_dir / "env.json"
    if not path.is_file():
        raise FileNotFoundError(f"run {run_dir} has no env.json: it records the machine that trained it, "
                                "without which a replay cannot say whether bit equality is expected")
    env = read_json(path)
    records = [*env.get("earlier", []), env]
    return [session_record(r) for r in records if int(r.get("resumed_at_epoch") or 0) < epochs] or [session_record(records[0])]


def _checkout() -> str:
    """The commit the replay's code comes from, ``+dirty`` when ``reidlib/`` has uncommitted changes."""
    commit = str(git_commit() or "unknown")[:7]
    return commit + ("+dirty" if git("status", "--porcelain", "--", "reidlib") else "")


def _here(cfg: dict[str, Any]) -> dict[str, Any]:
    from .machine import describe_machine
    from .precision import plan_format

    machine, plan = describe_machine(), plan_format(cfg["profile"], cfg["model"]["name"])
    return {"commit": _checkout(), "device": str(plan.device).split(":")[0],
            **{k: machine.get(k) for k in ("cpu_capability", "amx_bf16", "avx512", "torch", "torch_threads")},
            "precision": plan.precision}


def _same(a: float | None, b: float | None) -> bool:
    """Equal as stored floats: both missing, both NaN, or the same value with the same sign."""
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def replay_run(run_dir: str | Path, epochs: int = 2, quiet: bool = True, skip_incomparable: bool = False) -> Replay:
    """Train the first ``epochs`` epochs of the run in ``run_dir`` with today's code and compare.

    ``run_dir``: a run folder (``runs/<experiment>/<run-id>``) with ``config.json``, ``env.json``
    and at least ``epochs`` rows of ``epochs.csv``; 1 <= ``epochs`` <= the run's total (no
    evaluation runs: the replay compares training only). Bad input raises before training.
    ``skip_incomparable``: a run trained on another machine kind is not trained at all (its
    :attr:`Replay.replayed` is False), to spend the CPU on the runs that can be judged here.
    """
    from .experiment import build_trainer

    folder = Path(run_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"run folder {folder} does not exist; give runs/<experiment>/<run-id>")
    run = load_run(folder)
    cfg = run.config
    if "adaptation" in cfg:
        raise ValueError(f"run {folder} is a cross-domain run (reidlib.domain): replay covers the engine's "
                         "runs (python -m reidlib train) only")
    total = int(cfg["profile"]["epochs"]) if cfg.get("profile", {}).get("epochs") else None
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
    if total is not None and epochs > total:
        raise ValueError(f"epochs={epochs} is more than run {folder}'s {total} epochs: replay {total} or fewer")
    if not run.csv_path.is_file():
        raise FileNotFoundError(f"run {folder} has no epochs.csv to compare with")
    recorded = read_csv(run.csv_path)[:epochs]
    if len(recorded) < epochs:
        raise ValueError(f"run {folder} recorded {len(recorded)} epoch(s) in epochs.csv; replay at most that many "
                         f"(epochs={epochs})")
    sessions = _sessions(folder, epochs)
    trained_by = {**sessions[0], "commit": " + ".join(dict.fromkeys(s["commit"] for s in sessions))}
    threads = torch.get_num_threads()
    recorded_threads = sessions[0].get("torch_threads")
    out = Replay(str(folder), str(cfg.get("experiment", folder.parent.name)), epochs, trained_by,
                 {**_here(cfg), "torch_threads": recorded_threads or threads})
    out.mismatched_machine = [k for k in COMPARED_MACHINE
                              if any(s.get(k) != out.here.get(k) for s in sessions) or out.here.get(k) is None]
    if skip_incomparable and out.mismatched_machine:
        out.replayed, out.max_abs_diff = False, math.nan
        return out
    if recorded_threads:
        torch.set_num_threads(int(recorded_threads))
    try:
        t = build_trainer(cfg, quiet=quiet, run=False)
        t.evaluator = None
        t.hooks.append(_StopAfterEpochs(epochs))
        try:
            t.fit()
        except _Enough:
            pass
    finally:
        torch.set_num_threads(threads)
    out.columns = sorted({k for row in [*recorded, *t.history] for k in row if k.startswith(("loss", "lr/"))})
    diffs = []
    for want, got in zip(recorded, t.history):
        for col in out.columns:
            a, b = want.get(col), got.get(col)
            a = float(a) if a not in (None, "") else None
            b = float(b) if b is not None else None
            if _same(a, b):
                continue
            diffs.append(math.inf if a is None or b is None or math.isnan(a) or math.isnan(b) else abs(a - b))
            if out.first_difference is None:
                out.first_difference = f"epoch {want.get('epoch')} {col}: recorded {a!r}, replayed {b!r}"
    if len(t.history) < epochs and out.first_difference is None:
        out.first_difference = f"today's code trained {len(t.history)} epoch(s) of this config, the record {epochs}"
        diffs.append(math.inf)
    out.max_abs_diff = max(diffs, default=0.0)
    return out
