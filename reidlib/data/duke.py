"""DukeMTMC-reID reader (Zheng et al., ICCV 2017; used by MPM-LTL).

Same folders as Market-1501 (parsing shared via
:func:`reidlib.data.market.read_market_style`)::

    <root>/                       e.g. DukeMTMC-reID
      bounding_box_train/0001_c2_f0046182.jpg   702 ids
      bounding_box_test/0019_c1_f0056602.jpg    gallery (702 ids + 408 distractor ids)
      query/0005_c2_f0046985.jpg

Name ``PPPP_cC_fFFFFFFF.jpg``: person id, camera ``C`` in 1..8 (made 0-based),
frame. Duke has no junk (-1) images; its distractor ids are ordinary 4-digit ids
that appear only in the gallery, so they need no special handling.

DukeMTMC-reID was withdrawn by its owners: this reader serves users who hold a
copy; the project never ships or downloads it.
"""
from __future__ import annotations

import os
import re

from .base import ReIDDataset
from .market import MarketStyleLayout, read_market_style

__all__ = ["DUKE_LAYOUT", "read_dukemtmcreid"]

DUKE_LAYOUT = MarketStyleLayout(
    name="dukemtmcreid",
    pattern=re.compile(r"^(?P<pid>\d{4})_c(?P<cam>\d)_f(?P<frame>\d+)\.jpg$"),
    example="0001_c2_f0046182.jpg",
    num_cams=8,
    layout=(
        "  <root>/ (DukeMTMC-reID)\n"
        "    bounding_box_train/0001_c2_f0046182.jpg ...\n"
        "    bounding_box_test/0019_c1_f0056602.jpg ...\n"
        "    query/0005_c2_f0046985.jpg ..."
    ),
)


def read_dukemtmcreid(root: str | os.PathLike, multiquery: bool = False) -> ReIDDataset:
    """Read DukeMTMC-reID at ``root``; ``multiquery`` reads a ``gt_bbox`` folder if one exists."""
    return read_market_style(root, DUKE_LAYOUT, multiquery=multiquery)
