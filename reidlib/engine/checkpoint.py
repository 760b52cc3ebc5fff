"""Safe checkpoints: atomic save, ``weights_only`` load, checksum verification.

A checkpoint is a dict of tensors / numbers / strings / lists / dicts (no pickled
objects), written to ``<path>.tmp`` then ``os.replace``-d into place, with a
``<path>.sha256`` side file. :func:`load_checkpoint` uses
``torch.load(weights_only=True)`` (never runs code) and raises
:class:`CheckpointError` naming the file when it is truncated, tampered with
(checksum mismatch or disallowed pickle content) or missing.

RNG states are stored as tensors so they load under ``weights_only``:
:func:`rng_state` / :func:`set_rng_state` cover Python ``random``, NumPy and torch.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch


class CheckpointError(RuntimeError):
    """A checkpoint file cannot be trusted or read."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_mode() -> int:
    """``0o666 & ~umask``: the mode a plainly created file gets (``tempfile.mkstemp`` gives 0600)."""
    from reidlib.data.io import umask_mode

    return umask_mode()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``; the file has the
    user's umask (:func:`file_mode`) whatever created the temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, file_mode())
    os.replace(tmp, path)


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Atomically save ``state`` to ``path`` and write ``path.sha256``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    torch.save(state, tmp)
    digest = _sha256(tmp)
    os.replace(tmp, path)
    atomic_write_bytes(path.with_name(path.name + ".sha256"), digest.encode())
    return path


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu",
                    verify: bool = True) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` (``weights_only=True``).

    Raises :class:`CheckpointError` for a missing, truncated, tampered or foreign file.
    """
    path = Path(path)
    fix = "delete it (and its .sha256) to restart the run from the previous checkpoint or scratch"
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    side = path.with_name(path.name + ".sha256")
    if verify and side.is_file():
        expected = side.read_text().strip()
        if _sha256(path) != expected:
            raise CheckpointError(f"checkpoint {path} does not match its checksum ({side.name}): "
                                  f"the file is truncated or was modified; {fix}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:  # torch refused: never pass on its weights_only=False advice
        if "global" in str(exc).lower():  # "Unsupported global: ..." / "unsupported GLOBAL ... is blocked"
            raise CheckpointError(f"checkpoint {path} holds pickled Python objects, not only tensors and plain "
                                  "data, so reidlib refuses to load it (loading could run code): it was not "
                                  "written by reidlib.engine.checkpoint.save_checkpoint or was altered; "
                                  f"{fix}") from None
        raise CheckpointError(f"checkpoint {path} is not a readable torch checkpoint (corrupt, truncated or "
                              f"another kind of file); {fix}") from None
    except Exception as exc:  # truncated zip, garbage
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise CheckpointError(f"cannot load checkpoint {path} safely ({type(exc).__name__}: {first[:200]}); "
                              f"{fix}") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path} holds a {type(state).__name__}, expected a dict; {fix}")
    return state


def rng_state() -> dict[str, Any]:
    """Python, NumPy and torch RNG states as weights_only-loadable values."""
    py = random.getstate()
    np_state = np.random.get_state()
    return {
        "python": [py[0], list(py[1]), py[2]],
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "gauss": float(np_state[4])},
        "torch": torch.get_rng_state(),
    }


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["gauss"]))
    torch.set_rng_state(state["torch"])
