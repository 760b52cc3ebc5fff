"""Benchmark: k-reciprocal re-ranking, fast dense / features-first vs the published algorithm.

Usage: ``python bench/rerank.py [--ref-fraction 0.25] [--full-reference] [--msmt] [--msmt-dim 512]``

Each method runs in a fresh subprocess; peak memory is that process's ``ru_maxrss``
(numpy/torch allocations included), time is the re-ranking call only (the input distance
matrices / features are built first and count in the peak memory of every method).

Data: Market-1501 sizes (3,368 query + 15,913 gallery, 2,048-d), synthetic clustered
identities (1,501 ids, L2-normalised features). The literal reference (tests/metrics/
rerank_reference.py) is run on a subsample (``--ref-fraction`` of query and gallery) and its
time extrapolated by ``(N / n)^2`` (its cost is dominated by dense N x N passes); its peak
memory at full scale is computed from its dense arrays (inputs + float32 distances + V +
int64 argsort + its int32 copy), the same model is printed next to the measured subsample
peak to check it. ``--full-reference`` runs it at full scale instead (about 9 GB, 1 min).
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "metrics"))


def features(nq: int, ng: int, dim: int, nid: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((nid, dim), dtype=np.float32)
    def draw(n):
        x = centers[rng.integers(0, nid, n)]
        x += 1.2 * rng.standard_normal((n, dim), dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x
    return draw(nq), draw(ng)


def worker(method: str, nq: int, ng: int, dim: int, nid: int) -> dict:
    from reidlib.metrics.distance import compute_distance
    qf, gf = features(nq, ng, dim, nid)
    if method == "baseline":             # inputs only: the process floor of the dense methods
        qg, qq, gg = compute_distance(qf, gf), compute_distance(qf, qf), compute_distance(gf, gf)
        t = time.perf_counter()
        out = qg
    elif method == "features":
        from reidlib.metrics.rerank_sparse import k_reciprocal_rerank_features
        t = time.perf_counter()
        out = k_reciprocal_rerank_features(qf, gf)
    else:
        t0 = time.perf_counter()
        qg, qq, gg = compute_distance(qf, gf), compute_distance(qf, qf), compute_distance(gf, gf)
        dist_sec = time.perf_counter() - t0
        del qf, gf
        if method == "fast":
            from reidlib.metrics.rerank import k_reciprocal_rerank as fn
        else:
            from rerank_reference import reference_rerank as fn
        t = time.perf_counter()
        out = fn(qg, qq, gg)
    sec = time.perf_counter() - t
    return {"sec": sec, "dist_sec": locals().get("dist_sec", 0.0), "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "checksum": float(np.asarray(out[0] if isinstance(out, tuple) else out)[:5, :5].sum())}


def run(method: str, nq: int, ng: int, dim: int, nid: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, "--nq", str(nq), "--ng", str(ng),
           "--dim", str(dim), "--nid", str(nid)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{method} worker failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def reference_peak_model_gb(nq: int, ng: int) -> float:
    n = nq + ng
    inputs = 4 * (nq * ng + nq * nq + ng * ng)
    return (inputs + n * n * (4 + 4 + 8 + 4)) / 2**30   # distances, V, int64 argsort, int32 rank


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--nq", type=int, default=3368)
    ap.add_argument("--ng", type=int, default=15913)
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--nid", type=int, default=1501)
    ap.add_argument("--ref-fraction", type=float, default=0.25)
    ap.add_argument("--full-reference", action="store_true")
    ap.add_argument("--msmt", action="store_true", help="also run 11,659 x 82,161 (features-first)")
    ap.add_argument("--msmt-dim", type=int, default=512)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.nq, a.ng, a.dim, a.nid)))
        return
    nq, ng, n = a.nq, a.ng, a.nq + a.ng
    fast = run("fast", nq, ng, a.dim, a.nid)
    feat = run("features", nq, ng, a.dim, a.nid)
    if a.full_reference:
        ref = run("reference", nq, ng, a.dim, a.nid)
        ref_sec, ref_gb, note = ref["sec"], ref["peak_gb"], "measured at full scale"
    else:
        pts = []
        for f in (a.ref_fraction / 2, a.ref_fraction):
            sq, sg = int(nq * f), int(ng * f)
            pts.append((sq + sg, run("reference", sq, sg, a.dim, max(2, int(a.nid * f)))))
        # fit t = b n + c n^2 through the two subsample points (linear Python loops + dense passes)
        (n1, r1), (n2, r2) = pts
        c = (r2["sec"] / n2 - r1["sec"] / n1) / (n2 - n1)
        b = r1["sec"] / n1 - c * n1
        ref_sec = max(b * n + c * n * n, r2["sec"] * n / n2)
        base = run("baseline", nq, ng, a.dim, a.nid)
        extra = reference_peak_model_gb(nq, ng) - 4 * (nq * ng + nq * nq + ng * ng) / 2**30
        ref_gb = base["peak_gb"] + extra
        sub_base = run("baseline", sq, sg, a.dim, max(2, int(a.nid * a.ref_fraction)))
        sub_extra = reference_peak_model_gb(sq, sg) - 4 * (sq * sg + sq * sq + sg * sg) / 2**30
        note = (f"time fitted b*n + c*n^2 through n={n1} ({r1['sec']:.1f} s) and n={n2} "
                f"({r2['sec']:.1f} s) and extrapolated; peak = measured inputs-only process "
                f"({base['peak_gb']:.2f} GB) + its dense arrays (model); model at n={n2}: "
                f"{sub_base['peak_gb'] + sub_extra:.2f} GB, measured there {r2['peak_gb']:.2f} GB")
    print(f"market-scale {nq}+{ng}, {a.dim}-d; reference: {ref_sec:.1f} s, {ref_gb:.2f} GB peak ({note})")
    print(f"fast dense     : {fast['sec']:.1f} s, {fast['peak_gb']:.2f} GB peak; speed-up "
          f"x{ref_sec / fast['sec']:.1f}, memory {fast['peak_gb'] / ref_gb:.3f} of reference "
          f"(both given the 3 distance matrices)")
    e2e = ref_sec + fast["dist_sec"]
    print(f"features-first : {feat['sec']:.1f} s, {feat['peak_gb']:.2f} GB peak; from features: speed-up "
          f"x{e2e / feat['sec']:.1f} vs reference + its distance matrices ({fast['dist_sec']:.1f} s), "
          f"memory {feat['peak_gb'] / ref_gb:.3f} of reference")
    if a.msmt:
        m = run("features", 11659, 82161, a.msmt_dim, 4101)
        print(f"msmt17-scale 11659+82161, {a.msmt_dim}-d, features-first: {m['sec']:.1f} s, "
              f"{m['peak_gb']:.2f} GB peak")


if __name__ == "__main__":
    main()
