"""Input-pipeline speed at 256x128 (issue 14 item 10): decoded + augmented images/s with 0, 1
and 2 DataLoader workers, and the per-core rate to size a bigger host.

    python bench/loader.py [--size 256 128] [--batch 64] [--batches 12] [--workers 0 1 2]

Reads the SynthReID quick set from disk without the uint8 cache (the ``paper`` profile's
path: every image read, decoded and resized per step) through
:class:`reidlib.engine.loader.BatchLoader`, and applies the training transform (pad-crop,
flip, erasing) in the main process, as the Trainer does. Prints per worker count
``loader: <W> workers: <r> img/s (decode+augment), x<ratio> vs 0 workers`` (same run, same
machine), then the per-core rates: decode (one worker process = one core) and augment (main
process, one torch thread), and the 16-core projection ``16 x decode per core`` against the
3,000 images/s a GPU needs, with the augmentation's share of a core at that rate. Sizes
only: other jobs on the machine change the numbers.
"""
from __future__ import annotations

import argparse
import time

import torch


def _dataset(size: tuple[int, int]):
    from reidlib.data.base import relabel
    from reidlib.data.image_dataset import ImageDataset
    from reidlib.data.market import read_market1501
    from reidlib.data.synth import ensure_synth

    ds = read_market1501(ensure_synth("quick", "market", seed=0))
    return ImageDataset(ds.train, size=size, label_map=relabel(ds.train), cache=False)


def _batches(n_images: int, batch: int, count: int) -> list[list[int]]:
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(n_images, generator=g).tolist()
    perm = (perm * (1 + batch * count // n_images))[: batch * count]
    return [perm[i * batch:(i + 1) * batch] for i in range(count)]


def loader_rate(train, size, batch: int, lists: list[list[int]], workers: int, augment: bool = True) -> float:
    """Images/s through BatchLoader with ``workers`` processes (the first batch, which starts
    the workers, is not timed)."""
    from reidlib.data.transforms import build_transforms
    from reidlib.engine.loader import BatchLoader

    tf, g = build_transforms(size, train=True, erase_p=0.5), torch.Generator().manual_seed(0)
    loader = BatchLoader(train, workers, prefetch_factor=4)
    it = loader.batches(lists)
    next(it)
    t0 = time.perf_counter()
    n = 0
    for _, b in it:
        if augment:
            tf(b, g)
        n += len(b["pid"])
    rate = n / (time.perf_counter() - t0)
    loader.close()
    return rate


def augment_rate(train, size, batch: int, reps: int) -> float:
    from reidlib.data.transforms import build_transforms

    tf, g = build_transforms(size, train=True, erase_p=0.5), torch.Generator().manual_seed(0)
    b = train.get_batch(list(range(batch)))
    t0 = time.perf_counter()
    for _ in range(reps):
        tf(dict(b), g)
    return batch * reps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, nargs=2, default=(256, 128))
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--batches", type=int, default=12)
    ap.add_argument("--workers", type=int, nargs="*", default=[0, 1, 2])
    ap.add_argument("--cores", type=int, default=16, help="host size for the projection")
    ap.add_argument("--goal", type=float, default=3000.0, help="images/s the projection is compared with")
    a = ap.parse_args()
    torch.set_num_threads(1)
    size = tuple(a.size)
    train = _dataset(size)
    lists = _batches(len(train), a.batch, a.batches + 1)
    rates = {}
    for w in a.workers:
        rates[w] = loader_rate(train, size, a.batch, lists, w)
        ref = rates.get(0)
        ratio = f", x{rates[w] / ref:.2f} vs 0 workers" if ref else ""
        print(f"loader: {w} workers: {rates[w]:.0f} img/s (decode+augment at {size[0]}x{size[1]}){ratio}", flush=True)
    decode = loader_rate(train, size, a.batch, lists, 0, augment=False)
    aug = augment_rate(train, size, a.batch, a.batches)
    projected = a.cores * decode
    print(f"loader: per core: decode {decode:.0f} img/s, augment {aug:.0f} img/s (1 torch thread)")
    both = a.cores / (1 / decode + 1 / aug)
    print(f"loader: {a.cores} cores x decode per core = {projected:.0f} img/s, x{projected / a.goal:.2f} of the "
          f"{a.goal:.0f} img/s goal; augmenting that many on the host takes {projected / aug:.1f} cores "
          "(or run it on the GPU)")
    print(f"loader: {a.cores} cores decoding and augmenting on the host = {both:.0f} img/s, "
          f"x{both / a.goal:.2f} of the goal")


if __name__ == "__main__":
    main()
