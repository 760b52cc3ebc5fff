"""``python -m reidlib masks DATA_ROOT``: write mask (and part) mirrors for a data set.

For every image of every split (``--dataset NAME``: the reader's records; without
it every image file under ``DATA_ROOT`` except ``masks/`` and ``parts/``) it writes

    OUT/masks/<folder>/<stem>.png   person mask 0/255      (OUT = --out or DATA_ROOT)
    OUT/parts/<folder>/<stem>.png   labels 0..3 (--parts)  (reidlib.data.base mirror)

Resumable: images whose outputs exist are skipped; files are written atomically.
Failures never stop the batch and go to ``OUT/masks/failures.csv`` (``path, reason,
detail``): ``unreadable`` (no output written), ``empty`` and ``tiny`` masks (mask
area below ``--min-area`` of the crop; the mask is still written).
"""
from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np

__all__ = ["register", "find_images", "run_masks", "FAILURE_FIELDS"]

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")
FAILURE_FIELDS = ("path", "reason", "detail")


def find_images(root: str | os.PathLike, dataset: str | None = None, **reader_kwargs: Any) -> list[Path]:
    """Sorted unique image paths: every split of ``dataset``'s reader, or a folder walk."""
    r = Path(root)
    if not r.is_dir():
        raise FileNotFoundError(f"data folder not found: {r}; pass the folder that holds the images")
    if dataset:
        from ..data.readers import build_dataset

        ds = build_dataset(dataset, r, **reader_kwargs)
        paths = {Path(rec["path"]) for recs in ds.splits().values() for rec in recs}
    else:
        paths = set()
        for dirpath, dirnames, filenames in os.walk(r):
            if Path(dirpath) == r:
                dirnames[:] = [d for d in dirnames if d not in ("masks", "parts")]
            paths.update(Path(dirpath) / f for f in filenames if f.lower().endswith(IMAGE_EXTS))
    if not paths:
        raise FileNotFoundError(f"no images ({', '.join(IMAGE_EXTS)}) found under {r}")
    return sorted(paths)


def _out_path(root: Path, out: Path, image: Path, kind: str) -> Path:
    return out / kind / image.relative_to(root).with_suffix(".png")


def _read_failures(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def run_masks(root: str | os.PathLike, out: str | os.PathLike | None = None, dataset: str | None = None,
              segmenter: str = "reidlib_fcn", recipe: str = "fcn", parts: bool = False,
              part_method: str = "fcn", batch_size: int = 64, min_area: float = 0.02,
              limit: int | None = None, progress: bool = True, weights: str | None = None,
              images: Iterable[Path] | None = None) -> dict[str, int]:
    """Write the mirrors (see module docstring); returns counts ``done, skipped, failed, total``."""
    from ..data.io import ImageReadError, read_image, write_png_atomic
    from .parts import PART_METHODS, extract_parts
    from .pipeline import extract_masks, get_recipe
    from .segmenters import build_segmenter

    r = Path(root)
    o = Path(out) if out is not None else r
    rec = get_recipe(recipe)
    if part_method not in PART_METHODS:
        raise KeyError(f"unknown part method {part_method!r}; valid: {', '.join(PART_METHODS)}")
    if not 0.0 <= min_area < 1.0:
        raise ValueError(f"min_area must be in [0, 1), got {min_area}")
    paths = list(images) if images is not None else find_images(r, dataset)
    paths = paths[:limit] if limit else paths
    todo = [p for p in paths if not (_out_path(r, o, p, "masks").is_file()
                                     and (not parts or _out_path(r, o, p, "parts").is_file()))]
    seg = build_segmenter(segmenter, **({"weights": weights} if weights else {}))
    part_seg = seg if part_method == "fcn" and getattr(getattr(seg, "model", None), "out_channels", 0) == 4 else None
    if parts and part_method == "fcn" and part_seg is None:
        from .fcn import FCNSegmenter

        part_seg = FCNSegmenter()
    failures: list[dict[str, str]] = []
    done = 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc=f"masks {segmenter}/{recipe}", unit="img")
    for s in range(0, len(todo), batch_size):
        chunk, imgs = [], []
        for p in todo[s:s + batch_size]:
            try:
                imgs.append(read_image(p))
                chunk.append(p)
            except (ImageReadError, OSError, ValueError) as exc:
                failures.append({"path": str(p), "reason": "unreadable", "detail": str(exc).splitlines()[0]})
        masks = extract_masks(imgs, seg, rec) if imgs else []
        plist = extract_parts(imgs, masks, part_method, part_seg) if parts and imgs else [None] * len(imgs)
        for p, m, pm in zip(chunk, masks, plist):
            write_png_atomic(_out_path(r, o, p, "masks"), (m > 0).astype(np.uint8) * 255)
            if pm is not None:
                write_png_atomic(_out_path(r, o, p, "parts"), pm)
            frac = float(m.mean())
            if frac == 0.0:
                failures.append({"path": str(p), "reason": "empty", "detail": "no person pixel"})
            elif frac < min_area:
                failures.append({"path": str(p), "reason": "tiny", "detail": f"area {frac:.4f} < {min_area}"})
            done += 1
        if bar is not None:
            bar.update(len(todo[s:s + batch_size]))
    if bar is not None:
        bar.close()
    fpath = o / "masks" / "failures.csv"
    processed = {str(p) for p in todo}
    kept = [row for row in _read_failures(fpath) if row.get("path") not in processed]
    rows = kept + failures
    fpath.parent.mkdir(parents=True, exist_ok=True)
    tmp = fpath.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(FAILURE_FIELDS))
        w.writeheader()
        w.writerows({k: row.get(k, "") for k in FAILURE_FIELDS} for row in rows)
    os.replace(tmp, fpath)
    return {"total": len(paths), "skipped": len(paths) - len(todo), "done": done, "failed": len(failures)}


def _run(args: argparse.Namespace) -> int:
    counts = run_masks(args.data_root, args.out, args.dataset, args.segmenter, args.recipe, args.parts,
                       args.part_method, args.batch_size, args.min_area, args.limit,
                       not args.no_progress, args.weights)
    out = args.out or args.data_root
    print(f"masks: {counts['done']} written, {counts['skipped']} skipped (done before), "
          f"{counts['failed']} failures -> {Path(out) / 'masks' / 'failures.csv'}")
    return 0


def register(subparsers: Any) -> None:
    """Add the ``masks`` command to ``python -m reidlib``."""
    from .pipeline import RECIPES
    from .segmenters import DEFAULT_SEGMENTER, SEGMENTERS

    p = subparsers.add_parser("masks", help="write person mask / body-part mirrors for a data set",
                              description=__doc__.splitlines()[0])
    p.add_argument("data_root", help="folder holding the data set's images")
    p.add_argument("--dataset", default=None,
                   help="reader name (market1501, cuhk01, ...); default: every image under DATA_ROOT")
    p.add_argument("--out", default=None, help="write the mirrors under OUT instead of DATA_ROOT (read-only data)")
    p.add_argument("--segmenter", default=DEFAULT_SEGMENTER, choices=sorted(SEGMENTERS))
    p.add_argument("--weights", default=None, help="weights file for the segmenter (maskrcnn needs one)")
    p.add_argument("--recipe", default="fcn", choices=sorted(RECIPES),
                   help="fcn (default: measured best for every segmenter here) or mpm_ltl (pad 3x + dilate 3)")
    p.add_argument("--parts", action="store_true", help="also write body-part maps")
    p.add_argument("--part-method", default="fcn", choices=["fcn", "ratio"])
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--min-area", type=float, default=0.02, help="masks below this area share are reported tiny")
    p.add_argument("--limit", type=int, default=None, help="only the first N images (a trial run)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_run)
