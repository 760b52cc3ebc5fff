"""Shared test fixtures. Tests run single-threaded: tiny torch ops are faster that way here."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
try:  # torch is a core dependency, but keep collection working if it is broken
    import torch

    torch.set_num_threads(1)
except Exception:  # pragma: no cover
    pass

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``$REIDLIB_SHARED_DATA`` or ``../shared/data`` relative to the repository root."""
    env = os.environ.get("REIDLIB_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def cuhk01_root() -> Path:
    root = shared_data_dir() / "cuhk01"
    if not (root / "campus").is_dir():
        pytest.skip(f"real CUHK01 not found at {root} (set REIDLIB_SHARED_DATA to its parent)")
    return root


@pytest.fixture(scope="session")
def pennfudan_root() -> Path:
    root = shared_data_dir() / "PennFudanPed"
    if not (root / "PedMasks").is_dir():
        pytest.skip(f"Penn-Fudan not found at {root} (set REIDLIB_SHARED_DATA to its parent)")
    return root
