"""Training-step speed of each model, and where a step's time goes in the real Trainer.

    OMP_NUM_THREADS=2 python bench/train.py [--size 96 32] [--steps 6] [--models mpm mscan ...]
                                            [--modes fp32 fp32_cl bf16]
                                            [--families ide mpm ...] [--variants current "batch 64" ...]
                                            [--only-breakdown]

1. Step breakdown (issue 16, item 6), per model family through ``build_trainer`` on the
   quick profile (the family's study experiment, its last stage: every loss term, its own
   sampler; the real transform and optimiser):
   ``step: <family> (<experiment>) current: <ms>/step, <n> img/s; data <p>%, transform <p>%,
   forward <p>%, loss <p>%, backward <p>%, optimizer <p>%, python <p>%; mining <ms>/step;
   one evaluation <s> s = <n> steps``, where ``python`` is the Trainer's whole step minus
   the timed parts (seeding, dict copies, hooks, bookkeeping), ``mining`` the epoch-start
   triplet mining spread over the epoch's steps, and the evaluation (query + gallery
   features, every protocol of the experiment) is counted in steps of training. Then one
   line per variant (``batch 64``, ``batch 128``, ``fp32 NCHW``, ``fp32 channels_last``,
   ``bf16``): img/s as a ratio against ``current`` (the profile as it is) measured in the
   same run.
2. Synthetic steps (random tensors, no data): per model ``train: <model> small HxW: <n> img/s
   (fp32), <c> img/s (fp32_cl), <m> img/s (bf16), fp32_cl/fp32 x<r>, bf16/fp32 x<r>, data
   wait <p>%`` where data wait is the share of the fastest mode's step spent in ``get_batch``
   + the training transform of the cached synthetic quick set.

Sizes only: other jobs on the machine change the numbers; compare ratios within one run.
"""
from __future__ import annotations

import argparse
import time

import torch

from reidlib.study.convergence import FAMILY_ROWS

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
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--models", nargs="*", default=list(MODELS))
    ap.add_argument("--modes", nargs="*", default=list(MODES), choices=MODES)
    ap.add_argument("--families", nargs="*", default=list(FAMILIES), choices=list(FAMILIES),
                    help="model families of the step breakdown (none: skip it)")
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS),
                    help="configurations compared with the first (current)")
    ap.add_argument("--only-breakdown", action="store_true")
    a = ap.parse_args()
    if a.families:
        report_breakdown(a.families, a.variants, a.steps)
    if a.only_breakdown:
        return
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


# --------------------------------------------------------------------------------------------
# Where a step's time goes, per model family, through the real Trainer (issue 16, item 6)

#: family -> the engine experiment of its row in the convergence check (FAMILY_ROWS, "ide (IDE, RGB-M)" -> "ide"),
#: and the cross-domain trainer's ECN (market -> duke, as 00's row): the study's longest runs (E10)
FAMILIES = {**{label.split()[0]: row[0] for label, row in FAMILY_ROWS.items()}, "ecn": "cross_domain"}
PARTS = ("data", "transform", "forward", "loss", "backward", "optimizer")


def quick_trainer(experiment: str, overrides: dict):
    """The real Trainer of ``experiment`` at the quick profile + ``overrides``, whole epochs
    (no step cap): an engine experiment (``build_trainer``) or, for ``cross_domain``, ECN
    market -> duke (``build_cross_domain_trainer`` with the options its run config sets)."""
    ov = {"profile.max_steps_per_epoch": None, **overrides}
    if experiment == "cross_domain":
        from reidlib.domain import build_cross_domain_trainer, load_domain, resolve_cross_domain, trainer_options

        cfg = resolve_cross_domain("market", "duke", "ecn", "quick", ov, 0)
        preset = cfg["profile"]["data_preset"]
        return build_cross_domain_trainer(load_domain("market", preset), load_domain("duke", preset), "ecn",
                                          **trainer_options(cfg), quiet=True)[0]
    from reidlib.engine.experiment import build_trainer, resolve_config

    return build_trainer(resolve_config(experiment, "quick", ov, 0), run=False, quiet=True)


def breakdown(experiment: str, overrides: dict, steps: int) -> dict[str, float]:
    """Seconds per step of each part of ``Trainer._train_step`` (timed inside the real step by
    its ``step_timer``, on the model, losses, sampler, transform and optimiser of ``experiment``
    at the quick profile + ``overrides``), the whole step (``step``; ``python`` = step - sum of
    parts: the call, the timer's own calls and the loss bookkeeping after the optimiser; the
    step's seeding counts as data), the epoch-start
    hooks (triplet mining) per step of an epoch, one evaluation (``eval``), and img/s.
    ECN's exemplar memories are told the stage's first epoch (``MemoryEpochHook``), so their
    neighbourhood-invariance term is on as in the last stage of a run."""
    import itertools

    from reidlib.domain import MemoryEpochHook
    from reidlib.engine.bank_mining import TripletMiningHook

    t = quick_trainer(experiment, overrides)
    last = len(t.recipe.stages) - 1                 # the last stage: its sampler, losses and lrs
    t.epoch = sum(s.epochs for s in t.recipe.stages[:last])
    t._enter_stage(last)
    weights = t._weights()
    t.sampler.set_epoch(t.epoch)
    for h in t.hooks:
        if isinstance(h, MemoryEpochHook):
            h.on_epoch_start(t, t.epoch)
    t0 = time.perf_counter()
    for h in t.hooks:
        if isinstance(h, TripletMiningHook):
            h.on_epoch_start(t, t.epoch)
    mining = time.perf_counter() - t0
    batches: list = []
    epoch = t.epoch
    while len(batches) < steps + 1:                 # whole epochs of the stage's sampler
        batches += list(itertools.islice(iter(t.sampler), steps + 1 - len(batches)))
        epoch += 1
        t.sampler.set_epoch(epoch)
    t._train_step(batches[0], weights)             # warm-up
    acc = dict.fromkeys(PARTS, 0.0)
    clock = [0.0]

    def timer(phase: str) -> None:                 # the Trainer's own step, timed part by part
        now = time.perf_counter()
        acc[phase] += now - clock[0]
        clock[0] = now

    t.step_timer = timer
    t0 = time.perf_counter()
    for idx in batches[1:]:
        clock[0] = time.perf_counter()
        t._train_step(idx, weights)
    step = (time.perf_counter() - t0) / steps
    t.step_timer = None
    out = {k: v / steps for k, v in acc.items()}
    out["python"] = max(0.0, step - sum(out.values()))
    out["step"], out["mining"] = step, mining / max(1, t.steps_per_epoch)
    t0 = time.perf_counter()
    t.evaluator(t.model)
    out["eval"], out["img/s"] = time.perf_counter() - t0, len(batches[1]) / step
    out["steps/epoch"] = t.steps_per_epoch
    t.loader.close()
    return out


#: configurations compared with the current one (the quick profile as it is), by name
VARIANTS = {"current": {}, "batch 64": {"profile.batch_p": 16}, "batch 128": {"profile.batch_p": 32},
            "fp32 NCHW": {"profile.channels_last": [], "profile.precision": "fp32"},
            "fp32 channels_last": {"profile.channels_last": [f for f in FAMILIES if f != "ecn"],  # ECN's model: semparts
                                   "profile.precision": "fp32"},
            "bf16": {"profile.precision": "bf16"}}


def report_breakdown(families: list[str], variants: list[str], steps: int) -> None:
    for fam in families:
        res = {v: breakdown(FAMILIES[fam], VARIANTS[v], steps) for v in variants}
        cur = res[variants[0]]
        shares = ", ".join(f"{k} {100 * cur[k] / cur['step']:.0f}%" for k in (*PARTS, "python"))
        print(f"step: {fam} ({FAMILIES[fam]}) {variants[0]}: {1000 * cur['step']:.0f} ms/step, "
              f"{cur['img/s']:.0f} img/s; {shares}; mining {1000 * cur['mining']:.0f} ms/step; "
              f"one evaluation {cur['eval']:.2f} s = {cur['eval'] / cur['step']:.0f} steps", flush=True)
        for v in variants[1:]:
            r = res[v]
            print(f"  {v}: {r['img/s']:.0f} img/s, x{r['img/s'] / cur['img/s']:.2f} img/s of {variants[0]}; "
                  f"{r['steps/epoch']} steps/epoch", flush=True)


if __name__ == "__main__":
    main()
