"""The one figure-saving helper and the study's publication style.

Every notebook saves through :func:`save_figure`, so all figures share one
style, land in ``figures/`` as PNG and PDF, and are written atomically.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from reidlib.paths import figures_dir

#: matplotlib rc settings of the study's figures
STYLE: dict[str, Any] = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "pdf.fonttype": 42,
    "svg.hashsalt": "reidlib",
}


def set_style() -> None:
    """Apply the study's plotting style (seaborn's ``ticks`` + :data:`STYLE`)."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="paper", style="ticks", palette="colorblind")
    mpl.rcParams.update(STYLE)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_figure(fig: Any, name: str, directory: str | os.PathLike | None = None,
                formats: tuple[str, ...] = ("png", "pdf")) -> list[Path]:
    """Save ``fig`` as ``<directory>/<name>.<fmt>`` for each format, atomically.

    ``name`` may not contain a path separator or a suffix; the directory
    defaults to :func:`reidlib.paths.figures_dir` (``<project>/figures``). PDFs are written without a creation date
    so re-running a notebook does not change an unchanged figure's bytes. Files get the
    mode a plain ``open`` would give (``0o666`` less the umask). Returns the written paths.
    """
    if not name or "/" in name or os.sep in name or Path(name).suffix:
        raise ValueError(f"figure name {name!r} must be a bare name like 'E3_threshold_curve' "
                         "(no folder, no suffix)")
    out_dir = Path(directory) if directory is not None else figures_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = out_dir / f"{name}.{fmt}"
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=f".{fmt}", dir=out_dir)
        os.close(fd)
        try:
            meta = {"CreationDate": None} if fmt == "pdf" else ({"Software": None} if fmt == "png" else None)
            fig.savefig(tmp, format=fmt, bbox_inches="tight", metadata=meta)
            os.chmod(tmp, 0o666 & ~_umask())      # mkstemp makes 0600; a figure gets the user's umask
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        written.append(target)
    return written
