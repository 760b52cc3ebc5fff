"""Market-1501 reader, and the folder parser shared by every Market-style layout.

Market-1501 (Zheng et al., ICCV 2015; used by MPM-LTL, MGCAM)::

    <root>/                       e.g. Market-1501-v15.09.15
      bounding_box_train/0002_c1s1_000451_03.jpg   751 ids, train
      bounding_box_test/ 0000_c1s1_... / -1_c1s1_...   gallery (0000 distractors, -1 junk)
      query/0001_c1s1_001051_00.jpg                query
      gt_bbox/0001_c1s1_001051_00.jpg              optional: hand-drawn boxes, multi-query
      masks/<folder>/<stem>.png, parts/<folder>/<stem>.png   optional mask mirror

Name ``PPPP_cCsS_FFFFFF_BB.jpg``: person id, camera ``C`` (1..6), sequence ``S``,
frame, box index. ``camid`` is made 0-based. Gallery keeps pid -1 (junk; the
evaluator removes it) and 0 (distractors). Train drops pid -1 and 0. ``gt_bbox``
goes to ``extra["multiquery"]`` unchanged (all its ids; the evaluator pools the
images with the query's pid and camera).

Files that are not images (``Thumbs.db`` ships with Market) are ignored; an image
whose name does not match the layout's pattern is an error.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .base import DatasetLayoutError, ReIDDataset, Record, make_record, require_dir

__all__ = ["MarketStyleLayout", "MARKET_LAYOUT", "read_market_style_folder",
           "read_market_style", "read_market1501"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


@dataclass(frozen=True)
class MarketStyleLayout:
    """One Market-style naming scheme: a regex with groups ``pid`` and ``cam``."""

    name: str
    pattern: re.Pattern
    example: str
    num_cams: int
    layout: str  # expected folder tree, shown in errors


MARKET_LAYOUT = MarketStyleLayout(
    name="market1501",
    pattern=re.compile(r"^(?P<pid>-1|\d{4})_c(?P<cam>\d)s(?P<seq>\d)_(?P<frame>\d+)_(?P<box>\d+)\.jpg$"),
    example="0002_c1s1_000451_03.jpg",
    num_cams=6,
    layout=(
        "  <root>/ (Market-1501-v15.09.15)\n"
        "    bounding_box_train/0002_c1s1_000451_03.jpg ...\n"
        "    bounding_box_test/0000_c1s1_000151_01.jpg, -1_c1s1_000401_03.jpg ...\n"
        "    query/0001_c1s1_001051_00.jpg ...\n"
        "    gt_bbox/ (optional, multi-query)"
    ),
)


def read_market_style_folder(root: str | os.PathLike, folder: str, split: str,
                             layout: MarketStyleLayout, drop_junk: bool = False) -> list[Record]:
    """Records of every image in ``<root>/<folder>`` named after ``layout``.

    ``drop_junk=True`` removes pid -1 (junk) and 0 (distractors), as for training.
    Raises :class:`DatasetLayoutError` for a missing folder, an unparsable image
    name, or a folder with no usable image.
    """
    root = Path(root)
    d = require_dir(root / folder, layout.layout)
    records: list[Record] = []
    for name in sorted(os.listdir(d)):
        if not name.lower().endswith(IMAGE_SUFFIXES):
            continue
        m = layout.pattern.match(name)
        if m is None:
            raise DatasetLayoutError(
                f"cannot parse image name {d / name}: expected the {layout.name} pattern "
                f"{layout.pattern.pattern} (e.g. {layout.example})\nexpected layout:\n{layout.layout}"
            )
        pid, cam = int(m.group("pid")), int(m.group("cam"))
        if not 1 <= cam <= layout.num_cams:
            raise DatasetLayoutError(
                f"camera c{cam} in {d / name} is outside c1..c{layout.num_cams} for {layout.name}"
            )
        if drop_junk and pid <= 0:
            continue
        extra = {k: int(v) for k, v in m.groupdict().items() if k not in ("pid", "cam")}
        records.append(make_record(root, d / name, pid, cam - 1, split, **extra))
    if not records:
        raise DatasetLayoutError(
            f"empty split {split!r}: no {layout.name} image (e.g. {layout.example}) in {d}\n"
            f"expected layout:\n{layout.layout}"
        )
    return records


def read_market_style(root: str | os.PathLike, layout: MarketStyleLayout,
                      multiquery: bool = True) -> ReIDDataset:
    """Train / query / gallery (and ``gt_bbox`` -> ``extra['multiquery']``) of a Market-style root."""
    root = Path(root)
    require_dir(root, layout.layout)
    train = read_market_style_folder(root, "bounding_box_train", "train", layout, drop_junk=True)
    query = read_market_style_folder(root, "query", "query", layout)
    gallery = read_market_style_folder(root, "bounding_box_test", "gallery", layout)
    extra: dict[str, list[Record]] = {}
    if multiquery and (root / "gt_bbox").is_dir():
        extra["multiquery"] = read_market_style_folder(root, "gt_bbox", "multiquery", layout)
    meta = {"protocol": "single-query", "num_cams": layout.num_cams,
            "junk_pids": [-1], "distractor_pids": [0]}
    return ReIDDataset(layout.name, str(root), train, query, gallery, extra, meta)


def read_market1501(root: str | os.PathLike, multiquery: bool = True) -> ReIDDataset:
    """Read Market-1501 at ``root`` (see the module docstring for the layout)."""
    return read_market_style(root, MARKET_LAYOUT, multiquery=multiquery)
