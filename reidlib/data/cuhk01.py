"""CUHK01 reader and the seeded identity split shared with VIPeR (MaskReID Table 1).

CUHK01 (Li et al., ACCV 2012): 971 ids, two camera views, 4 images per id::

    <root>/                       e.g. cuhk01
      campus/0001001.png ...      PPPPIII.png: pid = first 4 digits, image III
                                  001-002 camera A (camid 0), 003-004 camera B (camid 1)

Splits ``"train/test"`` in identities, drawn with ``numpy.random.default_rng(seed)``
from the sorted ids: ``"485/486"`` (the common CUHK01 protocol) and ``"871/100"``
(DGD, Xiao et al. CVPR 2016, whose split MaskReID says it follows). Any ``"a/b"``
with ``a + b`` = number of ids is accepted. Train holds all images of the train
ids. Test protocol (MaskReID does not state it; we follow the usual
camera-to-camera one): query = test images of camera ``query_cam`` (default 0,
camera A), gallery = test images of the other camera.

``ids=N`` keeps the first N identities (sorted) before the split, which then sums to N: a
small real-pixel set for quick checks (the study's smoke profile), never a protocol.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from .base import DatasetLayoutError, ReIDDataset, Record, make_record, parse_image_names, require_dir

__all__ = ["CUHK01_LAYOUT", "parse_split", "two_camera_split", "read_cuhk01"]

NAME_RE = re.compile(r"^(?P<pid>\d{4})(?P<img>\d{3})\.png$")
CUHK01_LAYOUT = (
    "  <root>/ (cuhk01)\n"
    "    campus/0001001.png 0001002.png (camera A) 0001003.png 0001004.png (camera B) ..."
)


def parse_split(split: str, num_ids: int) -> tuple[int, int]:
    """Parse ``"a/b"`` (train ids / test ids) and check ``a + b == num_ids``."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(split))
    if m is None:
        raise ValueError(f"split {split!r} is not 'train_ids/test_ids' (e.g. '485/486')")
    n_train, n_test = int(m[1]), int(m[2])
    if n_train + n_test != num_ids or n_test == 0:
        raise ValueError(f"split {split!r} needs {n_train + n_test} ids with >= 1 test id, "
                         f"but the data has {num_ids}; use 'a/b' with a + b = {num_ids}")
    return n_train, n_test


def two_camera_split(records: list[Record], split: str, seed: int, query_cam: int,
                     root: str | os.PathLike, layout: str) -> tuple[list[Record], ...]:
    """Split 2-camera records into (train, query, gallery) by a seeded identity split.

    Records are copied; their ``split`` key is set to the split they land in.
    """
    if query_cam not in (0, 1):
        raise ValueError(f"query_cam must be 0 or 1, got {query_cam}")
    pids = np.array(sorted({r["pid"] for r in records}))
    n_train, n_test = parse_split(split, len(pids))
    perm = np.random.default_rng(seed).permutation(len(pids))
    test_ids = set(pids[perm[:n_test]].tolist())
    train, query, gallery = [], [], []
    for r in records:
        if r["pid"] not in test_ids:
            train.append({**r, "split": "train"})
        elif r["camid"] == query_cam:
            query.append({**r, "split": "query"})
        else:
            gallery.append({**r, "split": "gallery"})
    for name, recs in (("train", train), ("query", query), ("gallery", gallery)):
        if not recs and (name != "train" or n_train > 0):
            raise DatasetLayoutError(f"empty split {name!r} under {root} (split {split}, "
                                     f"seed {seed})\nexpected layout:\n{layout}")
    return train, query, gallery


def read_cuhk01(root: str | os.PathLike, split: str = "485/486", seed: int = 0,
                query_cam: int = 0, ids: int | None = None) -> ReIDDataset:
    """Read CUHK01 at ``root`` and split its identities (see the module docstring)."""
    if ids is not None and (isinstance(ids, bool) or not isinstance(ids, int) or ids < 2):
        raise ValueError(f"ids must be an int >= 2 (identities kept) or None, got {ids!r}")
    root = require_dir(root, CUHK01_LAYOUT)
    campus = require_dir(root / "campus", CUHK01_LAYOUT)
    records: list[Record] = []
    for name, m in parse_image_names(campus, NAME_RE, "0001001.png (PPPPIII.png)", CUHK01_LAYOUT):
        img = int(m["img"])
        if not 1 <= img <= 4:
            raise DatasetLayoutError(f"{campus / name}: image number {img} not in 001..004")
        records.append(make_record(root, campus / name, int(m["pid"]), 0 if img <= 2 else 1,
                                   "all", image=img))
    if ids is not None:
        kept = set(sorted({r["pid"] for r in records})[:ids])
        if len(kept) < ids:
            raise ValueError(f"ids={ids} but {campus} has {len(kept)} identities")
        records = [r for r in records if r["pid"] in kept]
    train, query, gallery = two_camera_split(records, split, seed, query_cam, root, CUHK01_LAYOUT)
    meta = {"protocol": "two-camera, query = camera A" if query_cam == 0 else
            "two-camera, query = camera B", "split": split, "seed": seed,
            "query_cam": query_cam, "ids": ids, "num_ids": len({r['pid'] for r in records}),
            "num_images": len(records)}
    return ReIDDataset("cuhk01", str(Path(root)), train, query, gallery, {}, meta)
