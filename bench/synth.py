"""Benchmark SynthReID generation speed (images + masks + part maps written to disk).

Prints ``synth: N images in T s = X img/s (target 500)`` for the ``quick`` preset at
128x64 on the given number of workers, plus the rendering-only rate and the ratio
of full generation to rendering-only (both timed in this run).
Usage: ``python bench/synth.py [--workers 2] [--ids 40]``.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

from reidlib.data.synth import generate, make_config, plan_jobs, render_job


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--ids", type=int, default=40, help="train and test ids each (quick preset otherwise)")
    ap.add_argument("--domain", default="market")
    a = ap.parse_args()
    kw = dict(num_train_ids=a.ids, num_test_ids=a.ids)
    cfg = make_config("quick", a.domain, **kw)
    jobs = plan_jobs(cfg, 0)
    render_job(cfg, 0, jobs[0])  # build camera scenes outside the timing
    t0, p0 = time.perf_counter(), time.process_time()
    for job in jobs:
        render_job(cfg, 0, job)
    t_render, t_cpu = time.perf_counter() - t0, time.process_time() - p0
    with tempfile.TemporaryDirectory() as tmp:
        c0, t0 = os.times(), time.perf_counter()
        generate(f"{tmp}/out", "quick", a.domain, 0, workers=a.workers, **kw)
        t_gen = time.perf_counter() - t0
        c1 = os.times()
        cpu = sum(getattr(c1, f) - getattr(c0, f) for f in ("user", "system", "children_user", "children_system"))
    n = len(jobs)
    print(f"render only (1 process): {n} images in {t_render:.2f} s = {n / t_render:.0f} img/s")
    print(f"synth: {n} images in {t_gen:.2f} s = {n / t_gen:.0f} img/s (target 500) "
          f"[{a.workers} workers, jpeg+mask+parts written; {t_render / t_gen:.2f}x render-only rate]")
    print(f"synth cpu: {cpu:.2f} CPU-s = {1000 * cpu / n:.2f} CPU-ms per image (render-only {1000 * t_cpu / n:.2f}) "
          f"= {n / cpu:.0f} img per CPU-second, {a.workers * n / cpu:.0f} img/s "
          f"on {a.workers} idle cores (wall rate is lower when other jobs share the cores)")


if __name__ == "__main__":
    main()
