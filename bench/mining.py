"""Mask-guided TriHard (MPM-LTL algorithm 1) on a Market-sized bank vs a per-anchor loop.

Bank: 12,936 x 2,048 random features, 751 ids, 6 cameras, 24 x 8 binary masks.
The vectorised miner runs on every anchor; the literal per-anchor loop runs on a
random subsample in the same process, is extrapolated to the whole bank, and
the two must pick the same triplets on that subsample.

    python bench/mining.py [--n 12936] [--loop 50] [--threads 2]
"""
from __future__ import annotations

import argparse
import os
import time

import torch

from reidlib.miners import mask_guided_trihard


def loop_reference(f, pids, cams, masks, anchors, num_far=10, num_mask=5):
    """Algorithm 1 one anchor at a time (fallback to any camera when a set is empty)."""
    m = masks.reshape(len(pids), -1).to(f.dtype)
    out = {}
    for a in anchors.tolist():
        same = pids == pids[a]
        P = (same & (cams != cams[a])).nonzero(as_tuple=True)[0]
        if len(P) == 0:
            P = (same & (torch.arange(len(pids)) != a)).nonzero(as_tuple=True)[0]
        N = (~same & (cams == cams[a])).nonzero(as_tuple=True)[0]
        if len(N) == 0:
            N = (~same).nonzero(as_tuple=True)[0]
        if len(P) == 0 or len(N) == 0:
            continue
        dP = torch.linalg.norm(f[P] - f[a], dim=1)
        dN = torch.linalg.norm(f[N] - f[a], dim=1)
        iP = torch.argsort(-dP, stable=True)[:num_far]
        iN = torch.argsort(dN, stable=True)[:num_far]
        iP = iP[torch.argsort(-(m[P[iP]] @ m[a]), stable=True)[:num_mask]]
        iN = iN[torch.argsort(-(m[N[iN]] @ m[a]), stable=True)[:num_mask]]
        gap = (dN[iN][None, :] - dP[iP][:, None]).abs()
        k = int(gap.flatten().argmin())
        out[a] = (int(P[iP[k // len(iN)]]), int(N[iN[k % len(iN)]]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=12936)
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--ids", type=int, default=751)
    ap.add_argument("--cams", type=int, default=6)
    ap.add_argument("--loop", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    f = torch.randn(args.n, args.dim, generator=g)
    extra = torch.randint(0, args.ids, (args.n - 2 * args.ids,), generator=g)
    pids = torch.cat([torch.arange(args.ids).repeat(2), extra])
    cams = torch.randint(0, args.cams, (args.n,), generator=g)
    masks = (torch.rand(args.n, 24, 8, generator=g) > 0.4).float()

    t0 = time.perf_counter()
    a, p, n = mask_guided_trihard(f, pids, cams, masks)
    t_vec = time.perf_counter() - t0
    fast = {x: (y, z) for x, y, z in zip(a.tolist(), p.tolist(), n.tolist())}

    sub = torch.randperm(args.n, generator=g)[:args.loop]
    t0 = time.perf_counter()
    ref = loop_reference(f, pids, cams, masks, sub)
    t_loop = time.perf_counter() - t0
    extrap = t_loop / args.loop * args.n
    agree = sum(fast.get(x) == ref.get(x) for x in sub.tolist())
    print(f"mining: vectorised {t_vec:.1f}s for {args.n} anchors; loop {t_loop:.1f}s for "
          f"{args.loop} anchors -> {extrap:.0f}s extrapolated; speedup {extrap / t_vec:.0f}x; "
          f"agree on {agree}/{args.loop}")
    if hasattr(os, "getloadavg"):
        print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus, "
              f"{args.threads} torch threads)")


if __name__ == "__main__":
    main()
