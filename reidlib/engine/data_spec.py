"""Data spec -> image datasets: which data set, which masks (true, degraded, extracted).

``cfg["data"]`` (plain data)::

    dataset      "synth" (SynthReID, ``profile.data_preset``) or a real name of
                 ``reidlib.data.readers.DATASETS`` (market1501, dukemtmcreid, cuhk03, mars,
                 cuhk01, viper) read with ``build_dataset(name, root, **kwargs)``
    domain       synth only: "market" | "duke";  synth_seed: the generator seed (0)
    root         real only: the folder (default ``data_root()/<DEFAULT_FOLDERS[name]>``)
    kwargs       real only: reader kwargs, e.g. {"split": "485/486"} for CUHK01
    masks        "true" (the data set's mirror masks), "degraded" (true masks degraded to
                 ``mask_iou`` by :func:`reidlib.masks.degrade.degrade_mask`), "extracted"
                 (a segmenter run on the images: ``segmenter`` name of
                 ``reidlib.masks.SEGMENTERS`` or of :data:`MASK_SOURCES`), or "none"
    mask_iou     target IoU for "degraded" (0 < iou <= 1);  mask_kinds: degradations mixed
    segmenter    for "extracted" (default "reidlib_fcn"); mask_recipe: "mpm_ltl" | "fcn" ...
    needs_mask   the model cannot run without a mask: records without one are an error

Degraded and extracted masks are computed once per (image, size, setting) and cached in
memory for the process (``_MASK_CACHE``); extracted ones also on disk (:func:`mask_cache_dir`,
so the runs of a study extract a data set's masks once); degradation is deterministic per image (its rng
is seeded from the image path, not from the run seed, so every run sees the same masks).
They need the decode-once image cache (``profile.cache_images=true``).
Shapes: masks are uint8 ``[N,1,H,W]`` in {0, 1} at the profile's image size.
"""
from __future__ import annotations

import functools
import io
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch

MASK_SOURCES_KINDS = ("true", "degraded", "extracted", "none")
#: extra mask extractors: name -> factory() -> fn(list of uint8 [H,W,3]) -> list of [H,W] masks
MASK_SOURCES: dict[str, Callable[[], Callable[[list[np.ndarray]], list[np.ndarray]]]] = {}
_MASK_CACHE: dict[tuple, np.ndarray] = {}


@dataclass
class DataBundle:
    """Image datasets of one run: train (relabelled pids), query, gallery, optional multi-query."""

    train: Any
    query: Any
    gallery: Any
    multiquery: Any | None
    num_classes: int
    source: Any  # the ReIDDataset (records)


@functools.lru_cache(maxsize=8)
def _read_synth(root: Any) -> Any:
    """A generated (immutable, content-keyed) SynthReID folder, read once per process."""
    from reidlib.data.synthreid import read_synthreid

    return read_synthreid(root)


def read_records(data: Mapping[str, Any], preset: str) -> Any:
    """The :class:`~reidlib.data.base.ReIDDataset` of ``data`` (synth or a real reader)."""
    if data["dataset"] == "synth":
        from reidlib.data.synth import ensure_synth

        return _read_synth(ensure_synth(preset, data.get("domain", "market"), seed=int(data.get("synth_seed", 0))))
    from reidlib.data.base import ROOT_HINT, DatasetLayoutError
    from reidlib.data.readers import DATASETS, build_dataset

    if str(data["dataset"]).lower() not in DATASETS:
        raise KeyError(f"unknown dataset {data['dataset']!r}; valid: synth, {', '.join(sorted(DATASETS))}")
    try:
        return build_dataset(data["dataset"], data.get("root"), **dict(data.get("kwargs", {}) or {}))
    except DatasetLayoutError as exc:
        if not data.get("root") or ROOT_HINT not in str(exc):
            raise
        hint = (f"data.root={str(data['root'])!r} does not hold this data set: point data.root at the "
                "folder that contains it")
        raise DatasetLayoutError(str(exc).replace(ROOT_HINT, hint)) from None


def check_data_spec(data: Mapping[str, Any]) -> None:
    """Cheap checks of ``cfg["data"]`` before anything is read: the data set
    name, the mask source, ``mask_iou`` in (0, 1], ``needs_mask`` a bool."""
    from reidlib.data.readers import DATASETS

    name = str(data.get("dataset"))
    if name != "synth" and name.lower() not in DATASETS:
        raise KeyError(f"unknown data.dataset {data.get('dataset')!r}; valid: synth, {', '.join(sorted(DATASETS))}")
    if data.get("masks", "true") not in MASK_SOURCES_KINDS:
        raise ValueError(f"unknown data.masks {data.get('masks')!r}; valid: {', '.join(MASK_SOURCES_KINDS)}")
    iou = data.get("mask_iou", 0.7)
    if isinstance(iou, bool) or not isinstance(iou, (int, float)) or not 0.0 < iou <= 1.0:
        raise ValueError(f"data.mask_iou must be a number in (0, 1], got {iou!r}")
    if not isinstance(data.get("needs_mask", False), bool):
        raise TypeError(f"data.needs_mask expects a bool (true/false), got {data.get('needs_mask')!r}")


def data_fingerprint(data: Mapping[str, Any], preset: str = "quick") -> str | None:
    """A digest of the files a real data set's records point at
    (:func:`reidlib.data.fingerprint.records_fingerprint`: every split's image / mask / part-map
    paths, sizes and mtimes), so an edited, added or removed file changes the run identity.
    None when the data set cannot be read here (training it fails later with the reader's error)."""
    from reidlib.data.fingerprint import records_fingerprint

    try:
        ds = read_records(data, preset)
    except FileNotFoundError:  # DatasetLayoutError included
        return None
    return records_fingerprint(ds)


def _degrade(masks: torch.Tensor, records: list, data: Mapping[str, Any]) -> torch.Tensor:
    from reidlib.masks.degrade import KINDS, degrade_mask

    iou = float(data.get("mask_iou", 0.7))
    if not 0.0 < iou <= 1.0:
        raise ValueError(f"data.mask_iou must be in (0, 1], got {iou}")
    kinds = tuple(data.get("mask_kinds") or KINDS)
    out = masks.clone()
    for i, rec in enumerate(records):
        key = ("degraded", rec["path"], tuple(masks.shape[-2:]), iou, kinds)
        if key not in _MASK_CACHE:
            # seeded by the image's folder and name, not its absolute path: the same
            # degradation in every checkout (a path-seeded one differed between clones)
            name = "/".join(Path(rec["path"]).parts[-2:])
            rng = np.random.default_rng([zlib.crc32(name.encode()), int(iou * 1000)])
            _MASK_CACHE[key] = degrade_mask(masks[i, 0].numpy(), iou, rng, kinds=kinds).astype(np.uint8)
        out[i, 0] = torch.from_numpy(_MASK_CACHE[key])
    return out


def _extractor(name: str, recipe: str) -> Callable[[list[np.ndarray]], list[np.ndarray]]:
    if name in MASK_SOURCES:
        return MASK_SOURCES[name]()
    try:
        from reidlib.masks import SEGMENTERS, build_segmenter, extract_masks
    except ImportError as exc:  # pragma: no cover - reidlib.masks is optional
        raise ImportError(f"data.masks='extracted' needs reidlib.masks ({exc}); or register an "
                          "extractor in reidlib.engine.data_spec.MASK_SOURCES") from exc
    if name not in SEGMENTERS:
        raise KeyError(f"unknown segmenter {name!r}; valid: {', '.join(sorted({*SEGMENTERS, *MASK_SOURCES}))}")
    seg = build_segmenter(name)
    return lambda images: extract_masks(images, seg, recipe)


def mask_cache_dir(name: str, recipe: str, size: tuple[int, int]) -> Path:
    """Where extracted masks of segmenter ``name`` (its fingerprint: weights digest) with
    ``recipe`` at ``size`` are kept on disk: ``<cache>/masks/<fingerprint>/<recipe>-<H>x<W>/``."""
    from reidlib import paths
    from reidlib.masks.segmenters import segmenter_fingerprint

    fp = segmenter_fingerprint(name).replace(":", "-")
    return paths.cache_dir() / "masks" / fp / f"{recipe}-{size[0]}x{size[1]}"


def _disk_name(path: str) -> str | None:
    """Cache file name of the mask of the image at ``path``: a digest of its absolute path, size
    and mtime (an edited image gets a new mask); None when it is not a file."""
    p = Path(path)
    if not p.is_file():
        return None
    st = p.stat()
    return zlib.crc32(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).to_bytes(4, "big").hex() + \
        f"-{p.stem}.png"


def _extract(images: torch.Tensor, records: list, data: Mapping[str, Any]) -> torch.Tensor:
    """Extracted masks of ``images`` ``uint8 [N,3,H,W]``: from memory, else from the disk cache
    (:func:`mask_cache_dir`, PNG per image, written atomically), else from the segmenter."""
    from PIL import Image

    from .checkpoint import atomic_write_bytes

    name, recipe = data.get("segmenter", "reidlib_fcn"), data.get("mask_recipe", "mpm_ltl")
    size = tuple(images.shape[-2:])
    keys = [("extracted", r["path"], size, name, recipe) for r in records]
    todo = [i for i, k in enumerate(keys) if k not in _MASK_CACHE]
    disk = mask_cache_dir(name, recipe, size) if todo and name not in MASK_SOURCES else None
    files = {i: _disk_name(records[i]["path"]) for i in todo} if disk is not None else {}
    for i in list(todo):
        f = disk / files[i] if files.get(i) else None
        if f is not None and f.is_file():
            m = np.asarray(Image.open(f)) > 0
            if m.shape == size:
                _MASK_CACHE[keys[i]] = m.astype(np.uint8)
                todo.remove(i)
    if todo:
        fn = _extractor(name, recipe)
        for s in range(0, len(todo), 64):
            idx = todo[s:s + 64]
            outs = fn([images[i].permute(1, 2, 0).numpy() for i in idx])
            for i, m in zip(idx, outs):
                _MASK_CACHE[keys[i]] = (np.asarray(m) > 0).astype(np.uint8)
                if files.get(i):
                    buf = io.BytesIO()
                    Image.fromarray(_MASK_CACHE[keys[i]] * 255).save(buf, format="PNG")
                    atomic_write_bytes(disk / files[i], buf.getvalue())
    return torch.stack([torch.from_numpy(_MASK_CACHE[k]) for k in keys])[:, None]


def apply_mask_source(ds: Any, data: Mapping[str, Any]) -> Any:
    """Replace the cached masks of an ImageDataset by degraded or extracted ones (in place)."""
    kind = data.get("masks", "true")
    if kind in ("true", "none"):
        return ds
    if ds._cache is None:
        raise ValueError(f"data.masks={kind!r} needs the image cache: set profile.cache_images=true")
    if kind == "degraded":
        ds._cache["mask"] = _degrade(ds._cache["mask"], ds.records, data)
    else:
        ds._cache["mask"] = _extract(ds._cache["image"], ds.records, data)
        ds.has_mask = True
    return ds


def build_data(data: Mapping[str, Any], profile: Mapping[str, Any]) -> DataBundle:
    """Read the records and build the cached ImageDatasets of ``data`` at ``profile``'s size."""
    from reidlib.data.base import relabel
    from reidlib.data.image_dataset import ImageDataset

    kind = data.get("masks", "true")
    if kind not in MASK_SOURCES_KINDS:
        raise ValueError(f"unknown data.masks {kind!r}; valid: {', '.join(MASK_SOURCES_KINDS)}")
    ds = read_records(data, profile["data_preset"])
    if kind == "none":
        mode = "none"
    elif kind == "degraded" or (kind == "true" and data.get("needs_mask", False)):
        mode = "required"
    else:
        mode = "optional"
    mk = dict(size=tuple(profile["image_size"]), masks=mode, cache=bool(profile["cache_images"]))
    lm = relabel(ds.train)
    train = apply_mask_source(ImageDataset(ds.train, label_map=lm, **mk), data)
    query = apply_mask_source(ImageDataset(ds.query, **mk), data)
    gallery = apply_mask_source(ImageDataset(ds.gallery, **mk), data)
    mq_records = ds.extra.get("multiquery") or []
    mq = apply_mask_source(ImageDataset(mq_records, **mk), data) if mq_records else None
    if data.get("needs_mask", False) and kind != "none" and not train.has_mask:
        raise FileNotFoundError(f"data set {data['dataset']!r} has no masks and this model needs them: set "
                                "data.masks='extracted' (a segmenter) or run `python -m reidlib masks` first")
    return DataBundle(train, query, gallery, mq, len(lm), ds)
