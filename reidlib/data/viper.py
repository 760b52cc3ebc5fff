"""VIPeR reader (Gray et al., PETS 2007; MaskReID Table 1).

632 ids, one image per id in each of two cameras::

    <root>/                       e.g. VIPeR
      cam_a/000_45.bmp ...        NNN_AAA.bmp: person number, viewing angle
      cam_b/000_90.bmp ...

``pair_by="number"`` (default): the person number links the two cameras (both
folders must hold the same numbers) and ``pid = number + 1`` (pid 0 means
"distractor" in reidlib records). ``pair_by="order"``: the i-th file of each
sorted folder is person ``i + 1`` (torchreid's rule; identical on the official
release). Split ``"316/316"`` ids with a seed; query = camera ``query_cam``
(default 0, cam_a), gallery = the other camera (see
:func:`reidlib.data.cuhk01.two_camera_split`).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .base import DatasetLayoutError, ReIDDataset, Record, make_record, parse_image_names, require_dir
from .cuhk01 import two_camera_split

__all__ = ["VIPER_LAYOUT", "read_viper"]

NAME_RE = re.compile(r"^(?P<num>\d+)_(?P<angle>\d+)\.(bmp|png|jpg)$", re.IGNORECASE)
VIPER_LAYOUT = (
    "  <root>/ (VIPeR)\n"
    "    cam_a/000_45.bmp 001_45.bmp ...\n"
    "    cam_b/000_90.bmp 001_90.bmp ..."
)
PAIR_BY = ("number", "order")


def _list(cam_dir: Path) -> list[tuple[str, int]]:
    out = [(name, int(m["num"])) for name, m in
           parse_image_names(cam_dir, NAME_RE, "000_45.bmp", VIPER_LAYOUT)]
    return out


def read_viper(root: str | os.PathLike, split: str = "316/316", seed: int = 0,
               query_cam: int = 0, pair_by: str = "number") -> ReIDDataset:
    """Read VIPeR at ``root`` and split its identities (see the module docstring)."""
    if pair_by not in PAIR_BY:
        raise KeyError(f"unknown pair_by {pair_by!r}; valid: {', '.join(PAIR_BY)}")
    root = require_dir(root, VIPER_LAYOUT)
    cams = [require_dir(root / d, VIPER_LAYOUT) for d in ("cam_a", "cam_b")]
    files = [_list(c) for c in cams]
    if pair_by == "number":
        nums = [[n for _, n in f] for f in files]
        for c, ns in zip(cams, nums):
            if len(set(ns)) != len(ns):
                raise DatasetLayoutError(f"{c}: a person number appears twice; use pair_by='order'")
        if set(nums[0]) != set(nums[1]):
            only = sorted(set(nums[0]) ^ set(nums[1]))[:5]
            raise DatasetLayoutError(f"cam_a and cam_b under {root} hold different person numbers "
                                     f"(e.g. {only}); use pair_by='order' to pair sorted files")
        pids = [[n + 1 for n in ns] for ns in nums]
    else:
        if len(files[0]) != len(files[1]):
            raise DatasetLayoutError(f"cam_a has {len(files[0])} images, cam_b {len(files[1])} "
                                     f"under {root}: pair_by='order' needs equal counts")
        pids = [list(range(1, len(f) + 1)) for f in files]
    records: list[Record] = []
    for camid, (cam_dir, f, ps) in enumerate(zip(cams, files, pids)):
        for (name, _), pid in zip(f, ps):
            records.append(make_record(root, cam_dir / name, pid, camid, "all"))
    train, query, gallery = two_camera_split(records, split, seed, query_cam, root, VIPER_LAYOUT)
    meta = {"protocol": f"two-camera, query = {'cam_a' if query_cam == 0 else 'cam_b'}",
            "split": split, "seed": seed, "query_cam": query_cam, "pair_by": pair_by}
    return ReIDDataset("viper", str(root), train, query, gallery, {}, meta)
