"""Penn-Fudan pedestrians as re-ID-like crops with ground-truth person masks.

Penn-Fudan (Wang et al., 2007): 170 street images, 423 pedestrians, one instance
label per pedestrian in ``PedMasks/<name>_mask.png`` (0 background, k = person k)::

    <root>/PNGImages/FudanPed00001.png ...   <root>/PedMasks/FudanPed00001_mask.png ...

:func:`pennfudan_crops` cuts each pedestrian by the box of its instance mask,
widened/heightened to a 1:2 (W:H) re-ID box with ``margin`` x height added
(half above, half below), pixels outside the image replicated from the border,
and resized to ``size`` (default 128x64). The target mask is that pedestrian
only (other people in the crop are background, as a re-ID mask should be).

Hold-out (choice, a parameter): images sorted by name, every ``1/test_fraction``-th
image (index % 5 == 4 at 0.2) is ``test``, so both the Fudan and Penn halves are in
both splits and crops of one image never straddle splits.
The data are read in place and never copied into the repository.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["PENNFUDAN_LAYOUT", "pennfudan_images", "pennfudan_crops", "reid_box"]

PENNFUDAN_LAYOUT = ("  <root>/ (PennFudanPed)\n    PNGImages/FudanPed00001.png ...\n"
                    "    PedMasks/FudanPed00001_mask.png ... (instance labels)")


def pennfudan_images(root: str | os.PathLike, split: str = "test",
                     test_fraction: float = 0.2) -> list[str]:
    """Sorted image stems of ``split`` (``train``, ``test`` or ``all``)."""
    r = Path(root)
    if not (r / "PNGImages").is_dir() or not (r / "PedMasks").is_dir():
        raise FileNotFoundError(f"Penn-Fudan not found at {r}; expected layout:\n{PENNFUDAN_LAYOUT}")
    if split not in ("train", "test", "all"):
        raise ValueError(f"split {split!r} unknown; valid: train, test, all")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    stems = sorted(p.stem for p in (r / "PNGImages").glob("*.png"))
    if not stems:
        raise FileNotFoundError(f"no PNG images in {r / 'PNGImages'}")
    step = max(2, int(round(1.0 / test_fraction)))
    if split == "all":
        return stems
    is_test = [i % step == step - 1 for i in range(len(stems))]
    return [s for s, t in zip(stems, is_test) if t == (split == "test")]


def reid_box(y0: int, x0: int, y1: int, x1: int, margin: float = 0.1,
             aspect: float = 2.0) -> tuple[int, int, int, int]:
    """Grow the box ``[y0, y1) x [x0, x1)`` to height/width = ``aspect`` plus margin.

    Returns ``(top, left, height, width)``, centred on the input box (may leave the image).
    """
    h, w = y1 - y0, x1 - x0
    if h <= 0 or w <= 0:
        raise ValueError(f"empty box {(y0, x0, y1, x1)}")
    h = max(h, aspect * w) * (1.0 + margin)
    w = h / aspect
    cy, cx = (y0 + y1) / 2.0, (x0 + x1) / 2.0
    hh, ww = int(round(h)), int(round(w))
    return int(round(cy - hh / 2.0)), int(round(cx - ww / 2.0)), hh, ww


def _cut(arr: np.ndarray, box: tuple[int, int, int, int], mode: str) -> np.ndarray:
    t, l, h, w = box
    H, W = arr.shape[:2]
    pt, pl, pb, pr = max(0, -t), max(0, -l), max(0, t + h - H), max(0, l + w - W)
    widths = [(pt, pb), (pl, pr)] + [(0, 0)] * (arr.ndim - 2)
    padded = np.pad(arr, widths, mode=mode) if any((pt, pl, pb, pr)) else arr
    return padded[t + pt:t + pt + h, l + pl:l + pl + w]


def pennfudan_crops(root: str | os.PathLike, split: str = "test", size: tuple[int, int] = (128, 64),
                    margin: float = 0.1, test_fraction: float = 0.2,
                    min_height: int = 32) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Crops ``uint8 [N, H, W, 3]``, masks ``uint8 [N, H, W]`` {0,1}, ids ``"stem#k"``.

    Pedestrians whose mask box is shorter than ``min_height`` pixels are skipped.
    """
    r = Path(root)
    imgs, masks, ids = [], [], []
    for stem in pennfudan_images(r, split, test_fraction):
        image = np.asarray(Image.open(r / "PNGImages" / f"{stem}.png").convert("RGB"))
        inst = np.asarray(Image.open(r / "PedMasks" / f"{stem}_mask.png"))
        for k in sorted(int(v) for v in np.unique(inst) if v > 0):
            ys, xs = np.nonzero(inst == k)
            if ys.max() + 1 - ys.min() < min_height:
                continue
            box = reid_box(ys.min(), xs.min(), ys.max() + 1, xs.max() + 1, margin)
            crop = _cut(image, box, "edge")
            m = _cut((inst == k).astype(np.uint8) * 255, box, "constant")
            hw = (size[1], size[0])
            imgs.append(np.asarray(Image.fromarray(crop).resize(hw, Image.BILINEAR)))
            masks.append((np.asarray(Image.fromarray(m).resize(hw, Image.BILINEAR)) > 127).astype(np.uint8))
            ids.append(f"{stem}#{k}")
    if not imgs:
        raise ValueError(f"no pedestrians found in Penn-Fudan split {split!r} at {r}")
    return np.stack(imgs), np.stack(masks), ids
