"""Benchmark: reidlib's evaluator against a straightforward per-query numpy loop.

Market-1501 scale: 3,368 queries, 15,913 gallery images, 2,048-d features; 750
identities as cluster centres plus noise (so matches are correlated and realistic),
6 cameras, 2,793 pid-0 distractors and 500 pid -1 junk images in the gallery.
Both evaluators run in the same process; the loop runs on a subsample of queries
and its time is extrapolated (printed as such). They must agree to 1e-6.

Run: ``.venv/bin/python bench/eval.py [--loop-queries 300] [--seed 0]``
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from reidlib.metrics import compute_distance, evaluate_rank


def make_market_like(seed: int, dim: int = 2048, noise: float = 2.6):
    rng = np.random.default_rng(seed)
    n_ids, n_cams, n_q, n_g, n_distr, n_junk = 750, 6, 3368, 15913, 2793, 500
    centres = rng.standard_normal((n_ids + 1, dim)).astype(np.float32)
    cam_shift = 0.6 * rng.standard_normal((n_cams, dim)).astype(np.float32)
    q_pids = np.concatenate([np.arange(1, n_ids + 1), rng.integers(1, n_ids + 1, n_q - n_ids)])
    q_cams = rng.integers(0, n_cams, n_q)
    n_real = n_g - n_distr - n_junk
    g_pids = np.concatenate([np.repeat(np.arange(1, n_ids + 1), 2),
                             rng.integers(1, n_ids + 1, n_real - 2 * n_ids),
                             np.zeros(n_distr, int), -np.ones(n_junk, int)])
    g_cams = rng.integers(0, n_cams, n_g)
    perm = rng.permutation(n_g)
    g_pids, g_cams = g_pids[perm], g_cams[perm]

    def feats(pids, cams, noise):
        c = centres[np.clip(pids, 0, None)]
        c[pids <= 0] = rng.standard_normal(((pids <= 0).sum(), dim)).astype(np.float32)
        return c + cam_shift[cams] + noise * rng.standard_normal(c.shape).astype(np.float32)

    return (feats(q_pids, q_cams, noise), feats(g_pids, g_cams, noise),
            q_pids, g_pids, q_cams, g_cams)


def loop_eval(distmat, q_pids, g_pids, q_cams, g_cams, rows, max_rank=50):
    """Plain per-query reference: full stable argsort of a row, filter junk, AP."""
    cmc_sum, aps = np.zeros(max_rank), []
    for i in rows:
        order = np.argsort(distmat[i], kind="stable")
        junk = ((g_pids[order] == q_pids[i]) & (g_cams[order] == q_cams[i])) | (g_pids[order] == -1)
        matches = (g_pids[order] == q_pids[i])[~junk]
        if not matches.any():
            continue
        hits = np.flatnonzero(matches)
        cmc = np.zeros(max_rank)
        cmc[min(hits[0], max_rank):] = 1
        cmc_sum += cmc
        aps.append(np.mean(np.arange(1, len(hits) + 1) / (hits + 1)))
    return cmc_sum / len(aps), float(np.mean(aps))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loop-queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--noise", type=float, default=2.6,
                    help="feature noise; 2.6 gives trained-model-like rank-1/mAP, 4 a near-random ranking")
    args = ap.parse_args()
    torch.set_num_threads(2)
    qf, gf, q_pids, g_pids, q_cams, g_cams = make_market_like(args.seed, noise=args.noise)

    t0 = time.perf_counter()
    distmat = compute_distance(qf, gf, "euclidean")
    t_dist = time.perf_counter() - t0

    evaluate_rank(distmat[:64], q_pids[:64], g_pids, q_cams[:64], g_cams)  # warm-up
    t0 = time.perf_counter()
    res = evaluate_rank(distmat, q_pids, g_pids, q_cams, g_cams, max_rank=50)
    t_eval = time.perf_counter() - t0

    rng = np.random.default_rng(args.seed + 1)
    rows = np.sort(rng.choice(len(q_pids), size=min(args.loop_queries, len(q_pids)), replace=False))
    t0 = time.perf_counter()
    cmc_loop, map_loop = loop_eval(distmat, q_pids, g_pids, q_cams, g_cams, rows)
    t_loop = (time.perf_counter() - t0) * len(q_pids) / len(rows)

    sub = evaluate_rank(distmat[rows], q_pids[rows], g_pids, q_cams[rows], g_cams, max_rank=50)
    d_map = abs(sub["mAP"] - map_loop)
    d_cmc = float(np.max(np.abs(sub["cmc"] - cmc_loop)))
    assert d_map < 1e-6 and d_cmc < 1e-6, f"reidlib and loop disagree: dmAP {d_map}, dCMC {d_cmc}"
    print(f"distance: compute_distance euclidean {distmat.shape[0]}x{distmat.shape[1]}x"
          f"{qf.shape[1]} {t_dist:.2f}s")
    print(f"result: rank-1 {100 * res['cmc'][0]:.2f}, mAP {100 * res['mAP']:.2f}, "
          f"{res['num_valid_queries']} valid queries")
    print(f"eval: reidlib {t_eval:.2f}s, loop {t_loop:.1f}s (extrapolated from {len(rows)} "
          f"queries), speedup {t_loop / t_eval:.0f}x, max |dmAP| {d_map:.1e}, max |dCMC| {d_cmc:.1e}")


if __name__ == "__main__":
    main()
