"""A picture of a SynthReID (or any Market-layout) folder: images, masks, part maps per camera.

:func:`sample_grid` tiles, for each camera (one row), ``per_cam`` samples as
``[image | mask | parts]`` triplets into one ``[rows*H, cols*W, 3]`` uint8 array
that a notebook can show or save; numpy only (no matplotlib).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from reidlib.data.market import MARKET_LAYOUT

#: Market-1501 file name pattern (named groups pid, cam, seq, frame, box): the reader's own
NAME_RE = MARKET_LAYOUT.pattern
#: display colours of part labels 0..3 (bg, head, upper, lower)
PART_COLOURS = np.array([[0, 0, 0], [240, 200, 60], [220, 60, 60], [60, 110, 230]], np.uint8)


def sample_grid(root: str | os.PathLike, folder: str = "bounding_box_train", per_cam: int = 4,
                cams: int | None = None, gap: int = 2) -> np.ndarray:
    """Tile ``per_cam`` samples of each camera (rows) as image/mask/parts triplets."""
    d = Path(root) / folder
    if not d.is_dir():
        raise FileNotFoundError(f"missing folder {d}: generate the data set first "
                                "(reidlib.data.synth.generate or python -m reidlib synth)")
    if per_cam < 1:
        raise ValueError(f"per_cam must be >= 1, got {per_cam}")
    by_cam: dict[int, list[Path]] = {}
    for p in sorted(d.glob("*.jpg")):
        m = NAME_RE.match(p.name)
        if m and m.group("pid") not in ("-1", "0000"):
            by_cam.setdefault(int(m.group("cam")), []).append(p)
    if not by_cam:
        raise FileNotFoundError(f"no Market-named images in {d}")
    cam_ids = sorted(by_cam)[: cams or None]
    first = np.asarray(Image.open(by_cam[cam_ids[0]][0]).convert("RGB"))
    h, w = first.shape[:2]
    cell_w = 3 * w + gap
    grid = np.full((len(cam_ids) * (h + gap), per_cam * cell_w, 3), 255, np.uint8)
    for r, cam in enumerate(cam_ids):
        paths = by_cam[cam]
        picks = [paths[int(i)] for i in np.linspace(0, len(paths) - 1, min(per_cam, len(paths)))]
        for c, p in enumerate(picks):
            img = np.asarray(Image.open(p).convert("RGB").resize((w, h)))
            mp_ = Path(root) / "masks" / folder / f"{p.stem}.png"
            pp = Path(root) / "parts" / folder / f"{p.stem}.png"
            mask = np.asarray(Image.open(mp_).resize((w, h))) if mp_.is_file() else np.zeros((h, w), np.uint8)
            parts = np.asarray(Image.open(pp).resize((w, h))) if pp.is_file() else np.zeros((h, w), np.uint8)
            y, x = r * (h + gap), c * cell_w
            grid[y:y + h, x:x + w] = img
            grid[y:y + h, x + w:x + 2 * w] = mask[..., None]
            grid[y:y + h, x + 2 * w:x + 3 * w] = PART_COLOURS[np.clip(parts, 0, 3)]
    return grid
