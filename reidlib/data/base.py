"""Common record format shared by every dataset reader and by SynthReID.

Every reader returns a :class:`ReIDDataset` whose splits are lists of plain
``dict`` records with the same keys everywhere:

``path``      absolute path of the image file (str)
``pid``       person id (int); ``-1`` is junk, ``0`` a distractor (Market-1501
              convention, kept in the gallery)
``camid``     camera index, **0-based** (int)
``mask_path`` path of the binary person mask (str) or ``None`` when absent
``parts_path`` path of the body-part label map (0 bg, 1 head, 2 upper, 3 lower)
              or ``None``
``split``     name of the split the record belongs to (``train``, ``query``,
              ``gallery``, ``multiquery``, ...)

Readers may add keys (``tracklet`` for MARS, ``frame`` ...), never remove these.

Mask mirror convention (read when present)::

    <root>/masks/<split_folder>/<image stem>.png   binary mask, 0 / 255
    <root>/parts/<split_folder>/<image stem>.png   part labels 0..3

where ``<split_folder>`` is the folder the image lives in relative to ``root``
(e.g. ``bounding_box_train``; nested folders are mirrored as-is).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

Record = dict[str, Any]
RECORD_KEYS = ("path", "pid", "camid", "mask_path", "parts_path", "split")


class DatasetLayoutError(FileNotFoundError):
    """A data folder is missing, empty or does not follow the expected layout."""


def mirror_path(root: str | os.PathLike, image_path: str | os.PathLike, kind: str) -> Path:
    """Path of the mask (``kind='masks'``) or part map (``kind='parts'``) of an image."""
    root = Path(root)
    rel = Path(image_path).relative_to(root)
    return root / kind / rel.with_suffix(".png")


def make_record(root: str | os.PathLike, path: str | os.PathLike, pid: int, camid: int,
                split: str, **extra: Any) -> Record:
    """Build one record, filling ``mask_path``/``parts_path`` from the mirror when present."""
    mpath = mirror_path(root, path, "masks")
    ppath = mirror_path(root, path, "parts")
    rec: Record = {
        "path": str(path),
        "pid": int(pid),
        "camid": int(camid),
        "mask_path": str(mpath) if mpath.is_file() else None,
        "parts_path": str(ppath) if ppath.is_file() else None,
        "split": split,
    }
    rec.update(extra)
    return rec


#: the last line of a missing-folder error; reidlib.engine.data_spec replaces it by a data.root
#: hint when the user passed the root
ROOT_HINT = "Point REIDLIB_DATA (or the reader's root argument) at the folder that contains it."


def require_dir(path: str | os.PathLike, layout: str) -> Path:
    """Return ``path`` as a Path, or raise a :class:`DatasetLayoutError` showing ``layout``."""
    p = Path(path)
    if not p.is_dir():
        raise DatasetLayoutError(
            f"missing folder: {p}\nexpected layout:\n{layout}\n{ROOT_HINT}"
        )
    return p


IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp")


def parse_image_names(folder: Path, pattern: "re.Pattern[str]", example: str,
                      layout: str) -> list[tuple[str, "re.Match[str]"]]:
    """``(file name, match)`` of every image in ``folder`` (sorted), parsed with ``pattern``;
    a name that does not parse, or a folder without images, raises :class:`DatasetLayoutError`
    naming the file, the expected pattern (``example``) and the layout."""
    out = []
    for name in sorted(os.listdir(folder)):
        if not name.lower().endswith(IMAGE_EXTS):
            continue
        m = pattern.match(name)
        if m is None:
            raise DatasetLayoutError(f"cannot parse image name {folder / name}: expected "
                                     f"{pattern.pattern} (e.g. {example})\nexpected layout:\n{layout}")
        out.append((name, m))
    if not out:
        raise DatasetLayoutError(f"no image in {folder}\nexpected layout:\n{layout}")
    return out


@dataclass
class ReIDDataset:
    """A re-ID data set: named splits of records plus protocol metadata."""

    name: str
    root: str
    train: list[Record]
    query: list[Record]
    gallery: list[Record]
    extra: dict[str, list[Record]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def splits(self) -> dict[str, list[Record]]:
        return {"train": self.train, "query": self.query, "gallery": self.gallery, **self.extra}

    @property
    def num_train_pids(self) -> int:
        return len({r["pid"] for r in self.train})

    @property
    def num_cams(self) -> int:
        return len({r["camid"] for s in (self.train, self.query, self.gallery) for r in s})

    def summary(self) -> str:
        rows = []
        for name, recs in self.splits().items():
            pids = {r["pid"] for r in recs}
            cams = {r["camid"] for r in recs}
            rows.append(f"  {name:<12} {len(pids):>6} ids {len(recs):>8} images {len(cams):>3} cams")
        return f"{self.name} at {self.root}\n" + "\n".join(rows)


def relabel(records: Iterable[Record]) -> dict[int, int]:
    """Map the pids of ``records`` to contiguous labels 0..N-1 (sorted by pid)."""
    return {pid: i for i, pid in enumerate(sorted({r["pid"] for r in records}))}


def data_root(default: str | os.PathLike | None = None) -> Path:
    """The root under which real data sets live: ``$REIDLIB_DATA`` or ``default`` or ``./data``."""
    env = os.environ.get("REIDLIB_DATA")
    if env:
        return Path(env).expanduser()
    return Path(default) if default is not None else Path("data")
