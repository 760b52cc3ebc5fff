"""MARS video re-ID reader with tracklet grouping (Zheng et al., ECCV 2016; MGCAM Tables 2-4).

Official layout::

    <root>/                          e.g. MARS
      bbox_train/0001/0001C1T0001F001.jpg ...
      bbox_test/0000/..., 00-1/..., 0002/...     (0000 distractors, 00-1 junk)
      info/train_name.txt, test_name.txt         one image name per line
      info/tracks_train_info.mat (track_train_info), tracks_test_info.mat (track_test_info)
                                     rows: start, end (1-based lines of *_name.txt), pid, camid (1-based)
      info/query_IDX.mat (query_IDX)  1-based rows of the test table used as queries

Name ``PPPPCcTttttFfff.jpg``: pid (``00-1`` = junk), camera, tracklet, frame.
Gallery = every test tracklet that is not a query (as the official code does).

Records are per image, each with ``tracklet`` (row of its info table; unique
within train, and within query+gallery) and ``frame``. ``meta["tracklets"]``
maps a split name to a list of tracklets ``{"tracklet", "pid", "camid",
"records"}`` so that tracklet-level evaluation can average-pool image features.
Train drops pid -1 and 0 tracklets. ``min_len`` drops shorter tracklets
(default 0: keep all).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from .base import DatasetLayoutError, ReIDDataset, Record, make_record, require_dir

__all__ = ["MARS_LAYOUT", "read_mars", "group_tracklets"]

NAME_RE = re.compile(r"^(?P<pid>\d{4}|00-1)C(?P<cam>\d)T(?P<tracklet>\d{4})F(?P<frame>\d{3})\.jpg$")
MARS_LAYOUT = (
    "  <root>/ (MARS)\n"
    "    bbox_train/0001/0001C1T0001F001.jpg ...\n"
    "    bbox_test/0000/..., 00-1/..., 0002/0002C1T0001F001.jpg ...\n"
    "    info/train_name.txt  info/test_name.txt\n"
    "    info/tracks_train_info.mat  info/tracks_test_info.mat  info/query_IDX.mat"
)


def _require_file(path: Path) -> Path:
    if not path.is_file():
        raise DatasetLayoutError(f"missing file: {path}\nexpected layout:\n{MARS_LAYOUT}")
    return path


def _load_names(path: Path) -> list[str]:
    with open(_require_file(path)) as fh:
        return [ln.strip() for ln in fh if ln.strip()]


def _load_mat(path: Path, key: str) -> np.ndarray:
    from scipy.io import loadmat  # noqa: PLC0415

    mat = loadmat(str(_require_file(path)))
    if key not in mat:
        raise DatasetLayoutError(f"{path} has no key {key!r} (keys: "
                                 f"{sorted(k for k in mat if not k.startswith('__'))})")
    return np.asarray(mat[key])


def group_tracklets(records: list[Record]) -> list[dict[str, Any]]:
    """Group image records by their ``tracklet`` key, in first-seen order."""
    groups: dict[int, dict[str, Any]] = {}
    for r in records:
        g = groups.setdefault(r["tracklet"], {"tracklet": r["tracklet"], "pid": r["pid"],
                                              "camid": r["camid"], "records": []})
        g["records"].append(r)
    return list(groups.values())


def _tracklet_records(root: Path, img_root: Path, names: list[str], info: np.ndarray,
                      rows: np.ndarray, split: str, min_len: int, drop_junk: bool,
                      info_path: Path) -> list[Record]:
    recs: list[Record] = []
    for row in rows:
        start, end, pid, cam = (int(v) for v in info[row, :4])
        if drop_junk and pid <= 0:
            continue
        if end - start + 1 < max(min_len, 1):
            continue
        if start < 1 or end > len(names):
            raise DatasetLayoutError(f"{info_path} row {row + 1}: start/end {start}/{end} outside "
                                     f"1..{len(names)} (the name list)")
        for name in names[start - 1:end]:
            m = NAME_RE.match(name)
            if m is None:
                raise DatasetLayoutError(
                    f"cannot parse MARS image name {name!r} (listed for {img_root}): expected "
                    f"{NAME_RE.pattern} (e.g. 0001C1T0001F001.jpg)\nexpected layout:\n{MARS_LAYOUT}")
            name_pid = -1 if m["pid"] == "00-1" else int(m["pid"])
            if name_pid != pid or int(m["cam"]) != cam:
                raise DatasetLayoutError(f"{info_path} row {row + 1} says pid {pid} cam {cam} but "
                                         f"lists {name}; name list and info table do not match")
            recs.append(make_record(root, img_root / name[:4] / name, pid, cam - 1, split,
                                    tracklet=int(row), frame=int(m["frame"])))
    if not recs:
        raise DatasetLayoutError(f"empty split {split!r} from {info_path}\n"
                                 f"expected layout:\n{MARS_LAYOUT}")
    return recs


def read_mars(root: str | os.PathLike, min_len: int = 0) -> ReIDDataset:
    """Read MARS at ``root`` (see the module docstring); ``min_len`` >= 0 filters short tracklets."""
    if min_len < 0:
        raise ValueError(f"min_len must be >= 0, got {min_len}")
    root = require_dir(root, MARS_LAYOUT)
    info_dir = require_dir(root / "info", MARS_LAYOUT)
    train_dir = require_dir(root / "bbox_train", MARS_LAYOUT)
    test_dir = require_dir(root / "bbox_test", MARS_LAYOUT)
    train_names = _load_names(info_dir / "train_name.txt")
    test_names = _load_names(info_dir / "test_name.txt")
    tr_path, te_path = info_dir / "tracks_train_info.mat", info_dir / "tracks_test_info.mat"
    train_info = _load_mat(tr_path, "track_train_info")
    test_info = _load_mat(te_path, "track_test_info")
    q_path = info_dir / "query_IDX.mat"
    q_rows = _load_mat(q_path, "query_IDX").ravel().astype(int) - 1
    for path, info in ((tr_path, train_info), (te_path, test_info)):
        if info.ndim != 2 or info.shape[1] < 4:
            raise DatasetLayoutError(f"{path}: expected an N x 4 table (start, end, pid, camid), "
                                     f"got shape {info.shape}")
    if q_rows.size == 0 or q_rows.min() < 0 or q_rows.max() >= len(test_info):
        raise DatasetLayoutError(f"{q_path}: query_IDX must be non-empty 1-based rows of "
                                 f"{te_path} (1..{len(test_info)})")
    g_rows = np.setdiff1d(np.arange(len(test_info)), q_rows)
    train = _tracklet_records(root, train_dir, train_names, train_info,
                              np.arange(len(train_info)), "train", min_len, True, tr_path)
    query = _tracklet_records(root, test_dir, test_names, test_info, q_rows, "query",
                              min_len, False, te_path)
    gallery = _tracklet_records(root, test_dir, test_names, test_info, g_rows, "gallery",
                                min_len, False, te_path)
    meta = {"protocol": "tracklet", "num_cams": 6, "min_len": min_len,
            "tracklets": {"train": group_tracklets(train), "query": group_tracklets(query),
                          "gallery": group_tracklets(gallery)}}
    return ReIDDataset("mars", str(root), train, query, gallery, {}, meta)
