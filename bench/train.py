"""Training-step speed of each model at the small profile size: fp32 (NCHW), fp32
channels_last (``profile.channels_last``) and bf16 autocast (``profile.precision="bf16"``), and
the data wait.

    OMP_NUM_THREADS=2 python bench/train.py [--size 96 32] [--steps 6] [--models mpm mscan ...]
                                            [--modes fp32 fp32_cl bf16]

Prints per model ``train: <model> small HxW: <n> img/s (fp32), <c> img/s (fp32_cl), <m> img/s
(bf16), fp32_cl/fp32 x<r>, bf16/fp32 x<r>, data wait <p>%`` where data wait is the share of
the fastest mode's step spent in ``get_batch`` + the training transform of the cached synthetic
quick set (same run, same machine). Sizes only: other jobs on the machine change the numbers.
"""
from __future__ import annotations

import argparse
import time

import torch

MODELS = ("ide_rgb", "mpm", "mscan", "mgcam", "maskreid_mf", "semparts")


MODES = ("fp32", "fp32_cl", "bf16")


def step_rate(name: str, size: tuple[int, int], batch: int, steps: int, mode: str) -> float:
    from reidlib.engine.precision import enable_amp, enable_channels_last
    from reidlib.models import build_model

    torch.manual_seed(0)
    model = build_model(name, 100, "small").train()
    if mode == "bf16":
        enable_amp(model)
    elif mode == "fp32_cl":
        enable_channels_last(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, m = torch.randn(batch, 3, *size), (torch.rand(batch, 1, *size) > 0.5).float()
    y = torch.randint(0, 100, (batch,))

    def one() -> None:
        out = model(x, m)
        logits = out["logits"] if isinstance(out["logits"], list) else [out["logits"]]
        loss = sum(torch.nn.functional.cross_entropy(z.float(), y) for z in logits)
        opt.zero_grad()
        loss.backward()
        opt.step()

    one()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        one()
    return batch * steps / (time.perf_counter() - t0)


def data_rate(size: tuple[int, int], batch: int, steps: int) -> float:
    """Images/s of get_batch + train transform on the cached SynthReID quick set."""
    from reidlib.data.base import relabel
    from reidlib.data.image_dataset import ImageDataset
    from reidlib.data.market import read_market1501
    from reidlib.data.samplers import RandomIdentitySampler
    from reidlib.data.synth import ensure_synth
    from reidlib.data.transforms import build_transforms

    ds = read_market1501(ensure_synth("quick", "market", seed=0))
    train = ImageDataset(ds.train, size=size, label_map=relabel(ds.train), cache=True)
    sampler = RandomIdentitySampler(train.pids.tolist(), batch // 4, 4, seed=0)
    tf, g = build_transforms(size, train=True), torch.Generator().manual_seed(0)
    batches = list(iter(sampler))[:steps]
    t0 = time.perf_counter()
    for idx in batches:
        tf(train.get_batch(idx), g)
    return batch * len(batches) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, nargs=2, default=(96, 32))
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--models", nargs="*", default=list(MODELS))
    ap.add_argument("--modes", nargs="*", default=list(MODES), choices=MODES)
    a = ap.parse_args()
    size = tuple(a.size)
    data = data_rate(size, a.batch, 20)
    print(f"data: get_batch + transform {size[0]}x{size[1]}: {data:.0f} img/s", flush=True)
    modes = ["fp32"] + [m for m in a.modes if m != "fp32"]   # fp32 is the reference of the ratios
    for name in a.models:
        rates = {m: step_rate(name, size, a.batch, a.steps, m) for m in modes}
        best = max(rates.values())
        wait = 100 * (1 / data) / (1 / data + 1 / best)
        cols = ", ".join(f"{r:.0f} img/s ({m})" for m, r in rates.items())
        ratios = ", ".join(f"{m}/fp32 x{r / rates['fp32']:.2f}" for m, r in rates.items() if m != "fp32")
        print(f"train: {name} small {size[0]}x{size[1]}: {cols}, {ratios}, data wait {wait:.1f}%", flush=True)


if __name__ == "__main__":
    main()
