"""Where the study reads and writes: the project root, ``runs/``, ``figures/``, the cache.

The root is found by walking up from the working directory to the folder that
holds ``pyproject.toml`` and ``reidlib/`` (so a notebook run from
``notebooks/`` writes to the same ``runs/`` as the command line); outside a
checkout it is the working directory. Each location can be overridden by an
environment variable: ``REIDLIB_RUNS``, ``REIDLIB_FIGURES``, ``REIDLIB_CACHE``.
"""
from __future__ import annotations

import os
from pathlib import Path


def project_root(start: str | os.PathLike | None = None) -> Path:
    here = Path(start or os.getcwd()).resolve()
    for p in (here, *here.parents):
        if (p / "pyproject.toml").is_file() and (p / "reidlib").is_dir():
            return p
    return here


def runs_dir() -> Path:
    return Path(os.environ.get("REIDLIB_RUNS", project_root() / "runs"))


def figures_dir() -> Path:
    return Path(os.environ.get("REIDLIB_FIGURES", project_root() / "figures"))


def cache_dir() -> Path:
    return Path(os.environ.get("REIDLIB_CACHE", project_root() / "cache"))


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def shared_data_dir() -> Path | None:
    """The folder of development data (``$REIDLIB_SHARED_DATA`` or ``<project>/../shared/data``), if any.

    Only this project's development machines have it (CUHK01, Penn-Fudan); users
    pass their own roots instead.
    """
    env = os.environ.get("REIDLIB_SHARED_DATA")
    p = Path(env) if env else project_root().parent / "shared" / "data"
    return p if p.is_dir() else None
