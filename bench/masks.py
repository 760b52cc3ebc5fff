"""Throughput (and optionally IoU) of every runnable segmenter on 2 CPU cores.

    python bench/masks.py [--segmenters reidlib_fcn,mediapipe_selfie] [--n 256]
                          [--pennfudan DIR] [--synth-root DIR] [--iou]

Prints one line per segmenter and recipe::

    masks: reidlib_fcn 412.0 crops/s (2.43 ms/crop, recipe fcn) = 35.1x the pipeline-only reference

The reference, timed in the same run, is the same pipeline with a segmenter that
returns a constant map (padding, component selection, crop back and dilation
only). Crops: SynthReID test crops (``--synth-root``) or Penn-Fudan held-out crops
(``--pennfudan``) or random noise. Segmenters whose dependency is missing (the
mediapipe extra, Mask R-CNN without ``--maskrcnn-weights``) are reported as skipped.
Runs without torch when only mediapipe segmenters are asked for (its own venv).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reidlib.masks.evaluate import iou_table, load_synth_arrays, to_frame  # noqa: E402
from reidlib.masks.pipeline import extract_masks  # noqa: E402
from reidlib.masks.segmenters import Segmenter, build_segmenter  # noqa: E402


class _Constant(Segmenter):
    def predict(self, image, crop_hw=None):
        p = np.zeros(image.shape[:2], np.float32)
        h, w = image.shape[:2]
        p[h // 4:3 * h // 4, w // 4:3 * w // 4] = 1.0
        return p


def _time(seg: Segmenter, crops: list[np.ndarray], recipe: str, batch: int) -> float:
    extract_masks(crops[:2], seg, recipe)  # warm-up
    t0 = time.perf_counter()
    for s in range(0, len(crops), batch):
        extract_masks(crops[s:s + batch], seg, recipe)
    return (time.perf_counter() - t0) / len(crops)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segmenters", default="reidlib_fcn,mediapipe_selfie,mediapipe_pose,maskrcnn")
    ap.add_argument("--recipes", default="fcn,mpm_ltl")
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--synth-root", default=None)
    ap.add_argument("--pennfudan", default=None)
    ap.add_argument("--maskrcnn-weights", default=None)
    ap.add_argument("--iou", action="store_true", help="also print the IoU table (Penn-Fudan / SynthReID)")
    a = ap.parse_args()
    names = [s for s in a.segmenters.split(",") if s]
    recipes = [r for r in a.recipes.split(",") if r]
    if any(n in ("reidlib_fcn", "maskrcnn") for n in names):
        import torch

        torch.set_num_threads(a.threads)
    if a.synth_root:
        crops = list(load_synth_arrays(a.synth_root, limit=a.n)[0])
    elif a.pennfudan:
        from reidlib.masks.pennfudan import pennfudan_crops

        crops = list(pennfudan_crops(a.pennfudan, "test")[0][: a.n])
    else:
        crops = list(np.random.default_rng(0).integers(0, 256, (a.n, 128, 64, 3), dtype=np.uint8))
    runnable = []
    for name in names:
        kw = {"weights": a.maskrcnn_weights} if name == "maskrcnn" else {}
        try:
            runnable.append((name, build_segmenter(name, **kw)))
        except (ImportError, ValueError, FileNotFoundError) as exc:
            print(f"masks: {name} skipped ({str(exc).splitlines()[0]})")
    for recipe in recipes:
        ref = _time(_Constant(), crops, recipe, a.batch)
        print(f"masks: reference (pipeline only) {1 / ref:.1f} crops/s ({1000 * ref:.2f} ms/crop, recipe {recipe})")
        for name, seg in runnable:
            t = _time(seg, crops, recipe, a.batch)
            print(f"masks: {name} {1 / t:.1f} crops/s ({1000 * t:.2f} ms/crop, recipe {recipe}) "
                  f"= {t / ref:.1f}x the pipeline-only reference")
    if a.iou:
        rows = iou_table([n for n, _ in runnable], a.pennfudan, a.synth_root, recipes)
        try:
            print(to_frame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        except ImportError:  # no pandas in a minimal mediapipe venv
            for r in rows:
                print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
