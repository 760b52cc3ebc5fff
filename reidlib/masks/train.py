"""Train reidlib's FCN segmenter (:class:`reidlib.masks.fcn.PersonFCN`) on CPU in minutes.

One network with 4 outputs (0 background, 1 head, 2 upper body, 3 lower body) is
trained on two sources at once:

* SynthReID ``bounding_box_train`` crops with their true part maps: softmax
  cross-entropy over the 4 classes (SemParts' part labels);
* Penn-Fudan train crops (:func:`reidlib.masks.pennfudan.pennfudan_crops`), which
  only have person masks: binary cross-entropy on the person logit
  ``logsumexp(l_head, l_upper, l_lower) - l_bg`` (i.e. ``P(person) = 1 - P(bg)``).

Both sources also get a soft Dice loss on ``P(person)``. The person mask is
``P(person) > 0.5``; the part map the arg-max. Training runs at ``size`` (default 64x32: 4x cheaper than 128x64 on 2 CPU cores;
the segmenter rescales crops to it and upsamples the probabilities back), stored in
the weights' meta. Augmentation: horizontal flip,
random translation (reflect-padded, +-``shift`` px), brightness/contrast jitter.

``python -m reidlib.masks.train --synth-root DIR --pennfudan DIR --out FILE``
runs :func:`train_person_fcn`. The shipped weights: 6 epochs from scratch
(700 SynthReID ``quick`` market seed-0 train crops + 335 Penn-Fudan train crops,
zero_pad 0), then 3 epochs fine-tuning with ``--init`` and ``zero_pad=0.5``
(~23 min on 2 busy cores); then, after the generator's 8-segment scenes (synthreid-1.2),
4 epochs fine-tuning on the new ``quick`` train crops (1,060) + the Penn-Fudan crops::

    python -m reidlib.masks.train --synth-preset quick --pennfudan PennFudanPed \
        --init reidlib/weights/person_fcn.pt --epochs 4 --lr 1e-3      # 32 s on 2 quiet cores

(mean IoU, fcn recipe: Penn-Fudan 0.658 -> 0.684, SynthReID test 0.748 -> 0.789).
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .evaluate import load_synth_arrays
from .fcn import PersonFCN, default_weights, save_fcn

__all__ = ["person_logit", "fcn_loss", "train_person_fcn", "main"]


def person_logit(logits: torch.Tensor) -> torch.Tensor:
    """``[B, 4, H, W]`` part logits -> ``[B, H, W]`` logit of P(person) = 1 - P(bg); ``[B,1,..]`` passes."""
    if logits.shape[1] == 1:
        return logits[:, 0]
    return torch.logsumexp(logits[:, 1:], 1) - logits[:, 0]


def fcn_loss(logits: torch.Tensor, target: torch.Tensor, has_parts: torch.Tensor,
             dice_weight: float = 0.5) -> torch.Tensor:
    """Loss of one batch: part CE where ``has_parts`` + person BCE + soft Dice.

    ``logits [B, C, H, W]``, ``target [B, H, W]`` long (part labels, or 0/1 person),
    ``has_parts [B]`` bool.
    """
    person = (target > 0).float()
    pl = person_logit(logits)
    loss = F.binary_cross_entropy_with_logits(pl, person)
    if logits.shape[1] > 1 and bool(has_parts.any()):
        loss = loss + F.cross_entropy(logits[has_parts], target[has_parts])
    p = torch.sigmoid(pl)
    inter = (p * person).sum((1, 2))
    dice = 1 - (2 * inter + 1) / (p.sum((1, 2)) + person.sum((1, 2)) + 1)
    return loss + dice_weight * dice.mean()


def _resize(x: np.ndarray, y: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Resize images (bilinear, antialiased) and label maps (nearest) to ``size``."""
    if x.shape[1:3] == tuple(size):
        return x, y
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).float()
    xt = F.interpolate(xt, size=size, mode="bilinear", align_corners=False, antialias=True)
    yt = F.interpolate(torch.from_numpy(y)[:, None].float(), size=size, mode="nearest")[:, 0]
    return xt.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy(), yt.byte().numpy()


def _augment(x: torch.Tensor, y: torch.Tensor, gen: torch.Generator, shift: int,
             zero_pad: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Flip, shift (reflect- or, with probability ``zero_pad``, zero-padded: teaches that a
    black border, as MPM-LTL's 3x padding makes, is background), brightness/contrast."""
    b = x.shape[0]
    flip = torch.rand(b, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    y = torch.where(flip[:, None, None], y.flip(-1), y)
    if shift > 0:
        h, w = x.shape[-2:]
        zero = (torch.rand(b, generator=gen) < zero_pad)[:, None, None, None]
        xp = torch.where(zero, F.pad(x, (shift,) * 4, mode="constant", value=0.0),
                         F.pad(x, (shift,) * 4, mode="reflect"))
        yp = F.pad(y[:, None].float(), (shift,) * 4, mode="constant", value=0)[:, 0].long()
        dy = torch.randint(0, 2 * shift + 1, (b,), generator=gen)
        dx = torch.randint(0, 2 * shift + 1, (b,), generator=gen)
        x = torch.stack([xp[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(b)])
        vp = F.pad(torch.ones(b, 1, h, w, dtype=torch.bool), (shift,) * 4, value=False) | ~zero
        valid = torch.stack([vp[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(b)])
        y = torch.stack([yp[i, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(b)])
    gain = 0.7 + 0.6 * torch.rand(b, 1, 1, 1, generator=gen)
    bias = 0.15 * (torch.rand(b, 1, 1, 1, generator=gen) - 0.5)
    if shift > 0:  # keep the zero border black after the colour jitter
        return torch.where(valid, (x * gain + bias).clamp(0, 1), torch.zeros_like(x)), y
    return (x * gain + bias).clamp(0, 1), y


def train_person_fcn(synth_root: str | os.PathLike | None, pennfudan_root: str | os.PathLike | None,
                     out: str | os.PathLike | None = None, epochs: int = 8, batch_size: int = 32,
                     lr: float = 3e-3, width: int = 12, out_channels: int = 4, size: tuple[int, int] = (64, 32),
                     shift: int = 8, seed: int = 0, synth_limit: int | None = None,
                     threads: int | None = None, log: bool = True, init: str | os.PathLike | None = None,
                     zero_pad: float = 0.5) -> tuple[PersonFCN, dict[str, Any]]:
    """Train a :class:`PersonFCN` and (when ``out`` is given) save it with :func:`save_fcn`.

    Either source may be ``None`` (at least one is needed). Returns the model (eval
    mode) and a dict of training facts (sizes, final loss, seconds) also stored in
    the file's ``meta``. AdamW with cosine decay; fp32 on CPU.
    """
    if threads:
        torch.set_num_threads(int(threads))
    torch.manual_seed(seed)
    xs, ys, has = [], [], []
    n_synth = n_pf = 0
    if synth_root is not None:
        xi, yi = load_synth_arrays(synth_root, "bounding_box_train", limit=synth_limit, parts=True)
        xi, yi = _resize(xi, yi, size)
        xs.append(xi), ys.append(yi), has.append(np.ones(len(xi), bool))
        n_synth = len(xi)
    if pennfudan_root is not None:
        from .pennfudan import pennfudan_crops

        xi, yi, _ = pennfudan_crops(pennfudan_root, "train", size=size)
        xs.append(xi), ys.append(yi.astype(np.uint8)), has.append(np.zeros(len(xi), bool))
        n_pf = len(xi)
    if not xs:
        raise ValueError("train_person_fcn needs synth_root and/or pennfudan_root")
    x_all = torch.from_numpy(np.concatenate(xs)).permute(0, 3, 1, 2).contiguous()  # uint8
    y_all = torch.from_numpy(np.concatenate(ys)).long()
    h_all = torch.from_numpy(np.concatenate(has))
    if init is not None:  # fine-tune a saved model (its width / outputs win)
        from .fcn import load_fcn

        model = load_fcn(init)[0]
        width, out_channels = model.width, model.out_channels
    else:
        model = PersonFCN(out_channels, width)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * ((len(x_all) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    gen = torch.Generator().manual_seed(seed)
    t0, last = time.time(), float("nan")
    model.train()
    for ep in range(epochs):
        perm = torch.randperm(len(x_all), generator=gen)
        tot, nb = 0.0, 0
        for s in range(0, len(perm), batch_size):
            idx = perm[s:s + batch_size]
            x, y = _augment(x_all[idx].float() / 255.0, y_all[idx], gen, shift, zero_pad)
            loss = fcn_loss(model(x), y, h_all[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot, nb = tot + float(loss.detach()), nb + 1
        last = tot / max(nb, 1)
        if log:
            print(f"epoch {ep + 1}/{epochs} loss {last:.4f} ({time.time() - t0:.0f}s)", flush=True)
    model.eval()
    facts = {"size": list(size), "synth_crops": n_synth, "pennfudan_crops": n_pf, "epochs": epochs, "width": width,
             "final_loss": last, "init": str(init) if init else None, "seconds": round(time.time() - t0, 1), "seed": seed,
             "params": sum(p.numel() for p in model.parameters())}
    if out is not None:
        save_fcn(model, out, facts)
    return model, facts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reidlib.masks.train", description=__doc__.splitlines()[0])
    ap.add_argument("--synth-root", default=None, help="SynthReID folder (ensure_synth output)")
    ap.add_argument("--synth-preset", default=None, help="make SynthReID with ensure_synth(preset) instead")
    ap.add_argument("--pennfudan", default=None, help="PennFudanPed folder")
    ap.add_argument("--out", default=str(default_weights()))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--width", type=int, default=12)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--synth-limit", type=int, default=None)
    ap.add_argument("--init", default=None, help="fine-tune these weights instead of starting afresh")
    ap.add_argument("--height", type=int, default=64, help="training crop height (width = height / 2)")
    a = ap.parse_args(argv)
    root = a.synth_root
    if root is None and a.synth_preset:
        from ..data.synth import ensure_synth

        root = ensure_synth(a.synth_preset, "market", a.seed)
    _, facts = train_person_fcn(root, a.pennfudan, a.out, epochs=a.epochs, batch_size=a.batch_size,
                                lr=a.lr, width=a.width, seed=a.seed, threads=a.threads,
                                synth_limit=a.synth_limit, size=(a.height, a.height // 2), init=a.init)
    print(f"saved {a.out}: {facts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
