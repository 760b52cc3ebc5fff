"""Benchmark: k-reciprocal re-ranking, fast dense / features-first vs the published algorithm.

Usage: ``python bench/rerank.py [--ref-fraction 0.25] [--full-reference] [--msmt] [--msmt-dim 512]``

Inputs are built once by a ``prepare`` process and saved as ``.npy`` files in a temporary
folder; every method then runs in a fresh subprocess that loads them, so a method's peak
memory (its process's ``ru_maxrss``) is the inputs plus what the method itself allocates,
never the transient peak of building the distance matrices. Floors: an ``inputs`` process that
loads them and imports reidlib.metrics (torch, scipy: about 0.5 GB of RSS that the numpy-only
reference does not pay) and an ``inputs_numpy`` one; "above the floor" is a method's own working
memory. The memory ratio printed is of peaks (the target's measure). Time is the re-ranking call only.

Data: Market-1501 sizes (3,368 query + 15,913 gallery, 2,048-d), synthetic clustered
identities (1,501 ids, L2-normalised features). The literal reference (tests/metrics/
rerank_reference.py, the published numpy code) runs at full scale with ``--full-reference``
(about 9 GB, 70 s); otherwise on two subsamples (``--ref-fraction`` and half of it), its time
fitted by ``b n + c n^2`` and extrapolated, its memory modelled from its dense arrays (say so).
``--msmt`` also runs the features-first version at MSMT17 size (11,659 + 82,161 images,
``--msmt-dim`` features, 4,101 ids), which no dense method fits in 24 GiB.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "metrics"))

GB = 2**30


def features(nq: int, ng: int, dim: int, nid: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((nid, dim), dtype=np.float32)

    def draw(n):
        x = centers[rng.integers(0, nid, n)]
        x += 1.2 * rng.standard_normal((n, dim), dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x
    return draw(nq), draw(ng)


def worker(method: str, folder: Path, nq: int, ng: int, dim: int, nid: int, dense: bool) -> dict:
    """One process: ``prepare`` writes the inputs; the others load them and run one method."""
    if method == "prepare":
        from reidlib.metrics.distance import compute_distance
        qf, gf = features(nq, ng, dim, nid)
        np.save(folder / "qf.npy", qf)
        np.save(folder / "gf.npy", gf)
        t = time.perf_counter()
        if dense:
            for name, (a, b) in {"qg": (qf, gf), "qq": (qf, qf), "gg": (gf, gf)}.items():
                np.save(folder / f"{name}.npy", compute_distance(a, b))
        return {"dist_sec": time.perf_counter() - t}
    if method == "features":
        from reidlib.metrics.rerank_sparse import k_reciprocal_rerank_features
        qf, gf = np.load(folder / "qf.npy"), np.load(folder / "gf.npy")
        t = time.perf_counter()
        out = k_reciprocal_rerank_features(qf, gf)
    else:
        qg, qq, gg = (np.load(folder / f"{n}.npy") for n in ("qg", "qq", "gg"))
        t = time.perf_counter()
        if method == "inputs":    # the floor: inputs + the libraries the fast methods import
            import reidlib.metrics.rerank  # noqa: F401  (torch, scipy: ~0.5 GB of RSS)
            out = qg
        elif method == "inputs_numpy":   # the reference's floor: inputs + numpy only
            out = qg
        elif method == "fast":
            from reidlib.metrics.rerank import k_reciprocal_rerank
            out = k_reciprocal_rerank(qg, qq, gg)
        else:
            from rerank_reference import reference_rerank
            out = reference_rerank(qg, qq, gg)
    sec = time.perf_counter() - t
    return {"sec": sec, "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB,
            "checksum": float(np.asarray(out)[:5, :5].sum())}


def run(method: str, folder: Path, nq: int, ng: int, dim: int, nid: int, dense: bool = True) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, "--folder", str(folder), "--nq", str(nq),
           "--ng", str(ng), "--dim", str(dim), "--nid", str(nid)] + (["--dense"] if dense else [])
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{method} worker failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def scale(nq: int, ng: int, dim: int, nid: int, methods: list[str], dense: bool = True) -> dict:
    """Prepare inputs of one size in a temporary folder and run ``methods`` on them."""
    with tempfile.TemporaryDirectory(prefix="reidlib-rerank-") as tmp:
        folder = Path(tmp)
        out = {"prepare": run("prepare", folder, nq, ng, dim, nid, dense)}
        for m in methods:
            out[m] = run(m, folder, nq, ng, dim, nid, dense)
        return out


def reference_dense_gb(nq: int, ng: int) -> float:
    """The published code's dense N x N arrays beyond its inputs (float32 distances, V, V_qe,
    int64 argsort + its int32 copy)."""
    n = nq + ng
    return n * n * (4 + 4 + 4 + 8 + 4) / GB


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--folder")
    ap.add_argument("--dense", action="store_true")
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
        print(json.dumps(worker(a.worker, Path(a.folder), a.nq, a.ng, a.dim, a.nid, a.dense)))
        return
    nq, ng, n = a.nq, a.ng, a.nq + a.ng
    methods = ["inputs", "inputs_numpy", "fast", "features"] + (["reference"] if a.full_reference else [])
    res = scale(nq, ng, a.dim, a.nid, methods)
    floor, floor_np, fast, feat = res["inputs"]["peak_gb"], res["inputs_numpy"]["peak_gb"], res["fast"], res["features"]
    if a.full_reference:
        ref = res["reference"]
        ref_sec, ref_gb, note = ref["sec"], ref["peak_gb"], "measured at full scale"
    else:
        pts = []
        for f in (a.ref_fraction / 2, a.ref_fraction):
            sq, sg = int(nq * f), int(ng * f)
            pts.append((sq + sg, scale(sq, sg, a.dim, max(2, int(a.nid * f)), ["inputs_numpy", "reference"])))
        (n1, r1), (n2, r2) = pts
        t1, t2 = r1["reference"]["sec"], r2["reference"]["sec"]
        c = (t2 / n2 - t1 / n1) / (n2 - n1)
        b = t1 / n1 - c * n1
        ref_sec = max(b * n + c * n * n, t2 * n / n2)
        ref_gb = floor_np + reference_dense_gb(nq, ng)
        model2 = r2["inputs_numpy"]["peak_gb"] + reference_dense_gb(int(nq * a.ref_fraction), int(ng * a.ref_fraction))
        note = (f"time fitted b*n + c*n^2 through n={n1} ({t1:.1f} s) and n={n2} ({t2:.1f} s) and "
                f"extrapolated; peak = inputs ({floor_np:.2f} GB) + its dense arrays (model; at n={n2} the "
                f"model gives {model2:.2f} GB, measured {r2['reference']['peak_gb']:.2f} GB)")
    dist_sec = res["prepare"]["dist_sec"]
    print(f"market-scale {nq}+{ng}, {a.dim}-d; floors: inputs + numpy {floor_np:.2f} GB, inputs + torch/scipy/"
          f"reidlib.metrics {floor:.2f} GB; distance matrices take {dist_sec:.1f} s to build")
    print(f"reference      : {ref_sec:.1f} s, {ref_gb:.2f} GB peak ({ref_gb - floor_np:.2f} GB above its floor; {note})")
    print(f"fast dense     : {fast['sec']:.1f} s, {fast['peak_gb']:.2f} GB peak ({fast['peak_gb'] - floor:.2f} GB above "
          f"its floor); speed-up x{ref_sec / fast['sec']:.1f}, memory {fast['peak_gb'] / ref_gb:.3f} of reference's peak "
          f"(working memory {(fast['peak_gb'] - floor) / (ref_gb - floor_np):.3f} of its) (both given the 3 distance matrices)")
    e2e = ref_sec + dist_sec
    print(f"features-first : {feat['sec']:.1f} s, {feat['peak_gb']:.2f} GB peak; from features: speed-up "
          f"x{e2e / feat['sec']:.1f} vs reference + its distance matrices ({dist_sec:.1f} s), "
          f"memory {feat['peak_gb'] / ref_gb:.3f} of reference")
    if a.msmt:
        m = scale(11659, 82161, a.msmt_dim, 4101, ["features"], dense=False)["features"]
        print(f"msmt17-scale 11659+82161, {a.msmt_dim}-d, features-first: {m['sec']:.1f} s, "
              f"{m['peak_gb']:.2f} GB peak (the 3 dense distance matrices alone would take "
              f"{(11659 * 82161 + 11659 ** 2 + 82161 ** 2) * 4 / GB:.1f} GB)")


if __name__ == "__main__":
    main()
