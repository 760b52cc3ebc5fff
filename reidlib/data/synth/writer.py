"""SynthReID writer: plan the images, render them and write the Market-1501 layout.

Layout under ``root`` (names ``PPPP_cCsS_FFFFFF_BB.jpg``, Market-1501 exactly)::

    bounding_box_train/  train ids, 1+ images per (id, camera), >= 2 cameras per id
    bounding_box_test/   gallery of the test ids + junk (-1_...) + distractors (0000_...)
    query/               one image per (test id, camera)
    gt_bbox/             multiquery_per_cam images per (test id, camera), incl. the query
    masks/<folder>/<stem>.png   binary person mask 0/255 (person minus occluders)
    parts/<folder>/<stem>.png   0 bg, 1 head, 2 upper body, 3 lower body
    meta.json            generator version, every parameter, seed, cameras, counts

Every image has its own numpy Generator seeded from ``(seed, domain, pid, cam, split,
index)``, so output bytes do not depend on rendering order or on ``workers``.
Writing is cheap by design: each JPEG is encoded once (a query is copied into
``gt_bbox`` as the same bytes) and masks/part maps are written by a minimal
grayscale PNG encoder (zlib level 1, filter 0; :func:`png_bytes`). ``workers=None``
picks 2 processes for sets of at least :data:`AUTO_WORKERS_MIN_JOBS` images.
"""
from __future__ import annotations

import io
import hashlib
import json
import multiprocessing as mp
import struct
import os
import shutil
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .config import GENERATOR_VERSION, SynthConfig, make_config
from .identity import Identity, sample_identity
from .scene import CameraScene, build_camera, render_crop

FOLDERS = ("bounding_box_train", "bounding_box_test", "query", "gt_bbox")
AUTO_WORKERS_MIN_JOBS = 1000  # workers=None: 2 processes from this many images on
_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_SPLIT_CODE = {"train": 0, "gallery": 1, "query": 2, "multiquery": 3, "junk": 4, "distractor": 5}


@dataclass(frozen=True)
class Job:
    """One image to render; ``folders`` receive identical copies (query is in gt_bbox too)."""

    folders: tuple[str, ...]
    name: str
    pid: int
    cam: int      # 0-based
    kind: str     # normal | junk | distractor
    key: tuple[int, ...]


def _rng(seed: int, cfg: SynthConfig, *key: int) -> np.random.Generator:
    code = zlib.crc32(cfg.domain.encode())
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, code, *key])))


def _name(pid: int, cam: int, seq: int, frame: int, bb: int = 0) -> str:
    p = "-1" if pid < 0 else f"{pid:04d}"
    return f"{p}_c{cam + 1}s{seq}_{frame:06d}_{bb:02d}.jpg"


def split_ids(cfg: SynthConfig, seed: int) -> tuple[list[int], list[int]]:
    """Disjoint (train pids, test pids) drawn from 1..num_train_ids+num_test_ids."""
    n = cfg.num_train_ids + cfg.num_test_ids
    if n > 9999:
        raise ValueError(f"num_train_ids + num_test_ids must be <= 9999 (4-digit pids), got {n}")
    perm = _rng(seed, cfg, 0).permutation(np.arange(1, n + 1))
    return sorted(int(p) for p in perm[: cfg.num_train_ids]), sorted(int(p) for p in perm[cfg.num_train_ids:])


def plan_jobs(cfg: SynthConfig, seed: int) -> list[Job]:
    """Every image of a generation, in a fixed order."""
    train, test = split_ids(cfg, seed)
    jobs: list[Job] = []
    for split, pids in (("train", train), ("test", test)):
        for pid in pids:
            r = _rng(seed, cfg, 1, pid)
            k = int(r.integers(cfg.cams_per_id[0], cfg.cams_per_id[1] + 1))
            cams = sorted(int(c) for c in r.choice(cfg.cameras, size=k, replace=False))
            for cam in cams:
                n = int(r.integers(cfg.images_per_cam[0], cfg.images_per_cam[1] + 1))
                base = int(r.integers(1, 900000 // 25 - 100)) * 25
                seqs = r.integers(1, 7, size=n + 1 + cfg.multiquery_per_cam)
                if split == "train":
                    for i in range(n):
                        jobs.append(Job(("bounding_box_train",), _name(pid, cam, int(seqs[i]), base + 25 * i),
                                        pid, cam, "normal", (2, pid, cam, _SPLIT_CODE["train"], i)))
                    continue
                for i in range(n):
                    jobs.append(Job(("bounding_box_test",), _name(pid, cam, int(seqs[i]), base + 25 * i),
                                    pid, cam, "normal", (2, pid, cam, _SPLIT_CODE["gallery"], i)))
                q_seq = int(seqs[n])
                jobs.append(Job(("query", "gt_bbox") if cfg.multiquery_per_cam else ("query",),
                                _name(pid, cam, q_seq, base + 25 * n), pid, cam, "normal",
                                (2, pid, cam, _SPLIT_CODE["query"], 0)))
                for i in range(1, cfg.multiquery_per_cam):
                    jobs.append(Job(("gt_bbox",), _name(pid, cam, int(seqs[n + i]), base + 25 * (n + i)),
                                    pid, cam, "normal", (2, pid, cam, _SPLIT_CODE["multiquery"], i)))
    r = _rng(seed, cfg, 5)
    for j in range(cfg.num_junk + cfg.num_distractors):
        junk = j < cfg.num_junk
        cam = int(r.integers(cfg.cameras))
        pid = -1 if junk else 0
        jobs.append(Job(("bounding_box_test",), _name(pid, cam, int(r.integers(1, 7)), 1000 + 37 * j),
                        pid, cam, "junk" if junk else "distractor",
                        (2, 0, cam, _SPLIT_CODE["junk" if junk else "distractor"], j)))
    return jobs


_CAMERAS: dict[tuple[SynthConfig, int, int], CameraScene] = {}


def camera_scene(cfg: SynthConfig, seed: int, cam: int) -> CameraScene:
    """The (cached) scene of camera ``cam`` (0-based)."""
    key = (cfg, seed, cam)
    if key not in _CAMERAS:
        if len(_CAMERAS) > 64:
            _CAMERAS.clear()
        _CAMERAS[key] = build_camera(cfg, cam, _rng(seed, cfg, 4, cam))
    return _CAMERAS[key]


@lru_cache(maxsize=4096)
def identity_of(cfg: SynthConfig, seed: int, pid: int) -> Identity:
    """The appearance of person ``pid`` (same in every camera)."""
    return sample_identity(_rng(seed, cfg, 3, pid), cfg)


def render_job(cfg: SynthConfig, seed: int, job: Job) -> tuple[np.ndarray, np.ndarray]:
    """Render one planned image: (``img`` uint8 ``[H,W,3]``, ``parts`` uint8 ``[H,W]``)."""
    rng = _rng(seed, cfg, *job.key)
    ident = identity_of(cfg, seed, job.pid) if job.pid > 0 else (
        sample_identity(rng, cfg) if job.kind == "junk" else None)
    return render_crop(cfg, camera_scene(cfg, seed, job.cam), ident, rng, job.kind)


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_bytes(arr: np.ndarray, level: int = 1) -> bytes:
    """Encode a uint8 ``[H, W]`` array as an 8-bit grayscale PNG (filter 0, zlib ``level``)."""
    if arr.dtype != np.uint8 or arr.ndim != 2:
        raise ValueError(f"png_bytes expects a uint8 [H, W] array, got {arr.dtype} {arr.shape}")
    h, w = arr.shape
    raw = np.zeros((h, w + 1), np.uint8)  # a 0 filter byte before every row
    raw[:, 1:] = arr
    return (_PNG_SIG + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), level)) + _png_chunk(b"IEND", b""))


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def _write_chunk(args: tuple[SynthConfig, int, str, list[Job]]) -> int:
    cfg, seed, root, jobs = args
    for job in jobs:
        img, parts = render_job(cfg, seed, job)
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=camera_scene(cfg, seed, job.cam).jpeg_quality)
        mask = (parts > 0).astype(np.uint8)
        mask *= 255
        jpg, mask_png, parts_png = buf.getvalue(), png_bytes(mask), png_bytes(parts)
        stem = job.name[:-4]
        for folder in job.folders:
            _write(f"{root}/{folder}/{job.name}", jpg)
            _write(f"{root}/masks/{folder}/{stem}.png", mask_png)
            _write(f"{root}/parts/{folder}/{stem}.png", parts_png)
    return len(jobs)


def resolve_workers(workers: int | None, num_jobs: int) -> int:
    """``workers`` as given (>= 1), or for ``None``: 2 processes (at most the CPU count) when
    ``num_jobs >= AUTO_WORKERS_MIN_JOBS``, else 1."""
    if workers is None:
        return max(1, min(2, os.cpu_count() or 1)) if num_jobs >= AUTO_WORKERS_MIN_JOBS else 1
    if workers < 1:
        raise ValueError(f"workers must be >= 1 (or None for automatic), got {workers}")
    return int(workers)


def _generate_into(root: Path, cfg: SynthConfig, seed: int, preset: str, workers: int | None) -> None:
    for sub in ("", "masks", "parts"):
        for folder in FOLDERS:
            (root / sub / folder).mkdir(parents=True, exist_ok=True)
    jobs = plan_jobs(cfg, seed)
    workers = resolve_workers(workers, len(jobs))
    for cam in range(cfg.cameras):  # build scenes once; forked workers inherit them
        camera_scene(cfg, seed, cam)
    if workers > 1:
        chunks = [(cfg, seed, str(root), jobs[i::workers * 4]) for i in range(workers * 4)]
        with mp.get_context("fork").Pool(workers) as pool:
            pool.map(_write_chunk, chunks)
    else:
        _write_chunk((cfg, seed, str(root), jobs))
    counts: dict[str, int] = {f: 0 for f in FOLDERS}
    for job in jobs:
        for f in job.folders:
            counts[f] += 1
    train, test = split_ids(cfg, seed)
    cams = [camera_scene(cfg, seed, c) for c in range(cfg.cameras)]
    meta: dict[str, Any] = {
        "generator": GENERATOR_VERSION, "preset": preset, "seed": seed, "params": cfg.to_dict(),
        "num_cameras": cfg.cameras, "counts": counts, "train_pids": train, "test_pids": test,
        "cameras": [{"cam": c.cam + 1, "light": round(c.light, 6), "gains": [round(g, 6) for g in c.gains],
                     "blur": round(c.blur, 6), "jpeg_quality": c.jpeg_quality} for c in cams],
    }
    (root / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True))


def generate(out_dir: str | os.PathLike, preset: str = "smoke", domain: str = "market", seed: int = 0,
             workers: int | None = None, **overrides: Any) -> Path:
    """Generate a SynthReID data set into ``out_dir`` (must be absent or empty); returns it.

    ``workers`` > 1 renders in that many processes (same bytes as ``workers=1``);
    ``None`` picks 1 or 2 (:func:`resolve_workers`).
    ``overrides`` are :class:`SynthConfig` fields (e.g. ``clutter=0.9, height=256``).
    """
    cfg = make_config(preset, domain, **overrides)
    resolve_workers(workers, 0)  # validate before touching the disk
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"output folder {out} is not empty: pick a new folder or delete it")
    _generate_into(out, cfg, int(seed), preset, workers)
    return out


def source_digest() -> str:
    """sha256 of the generator's own source files: any change to how images are drawn
    changes the cache key, so a cached folder can never be stale (a version number
    bumped by hand once was)."""
    h = hashlib.sha256()
    for f in sorted(Path(__file__).parent.glob("*.py")):
        h.update(f.name.encode() + b"\0" + f.read_bytes().replace(b"\r\n", b"\n"))
    return h.hexdigest()[:16]


def cache_key(preset: str, domain: str, seed: int, **overrides: Any) -> str:
    """Folder name for a generation: readable prefix + hash of version, generator source,
    seed and every parameter."""
    cfg = make_config(preset, domain, **overrides)
    blob = json.dumps({"v": GENERATOR_VERSION, "src": source_digest(), "seed": int(seed),
                       "params": cfg.to_dict()}, sort_keys=True)
    return f"{domain}-{preset}-s{seed}-{zlib.adler32(blob.encode()):08x}{zlib.crc32(blob.encode()):08x}"


def ensure_synth(preset: str = "smoke", domain: str = "market", seed: int = 0,
                 cache_dir: str | os.PathLike | None = None, workers: int | None = None, **overrides: Any) -> Path:
    """Generate once into ``cache_dir`` (default :func:`reidlib.paths.cache_dir`)/synth and reuse.

    The folder is keyed by a hash of every parameter; it is written to a temporary
    folder and renamed, so a folder with ``meta.json`` is always complete.
    """
    from reidlib.paths import cache_dir as default_cache

    resolve_workers(workers, 0)
    base = Path(cache_dir) if cache_dir is not None else default_cache()
    base = base / "synth"
    final = base / cache_key(preset, domain, seed, **overrides)
    if (final / "meta.json").is_file():
        return final
    base.mkdir(parents=True, exist_ok=True)
    tmp = base / f".tmp-{final.name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    _generate_into(tmp, make_config(preset, domain, **overrides), int(seed), preset, workers)
    if (final / "meta.json").is_file():  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
        return final
    try:
        if final.exists():  # an incomplete leftover (no meta.json)
            shutil.rmtree(final)
        os.replace(tmp, final)
    except OSError:
        if not (final / "meta.json").is_file():
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # another process won the race
    return final
