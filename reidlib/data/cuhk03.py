"""CUHK03 reader: the new 767/700 protocol and the classic 20-split protocol.

CUHK03 (Li et al., CVPR 2014; MPM-LTL, MGCAM, MaskReID): 1,467 ids from five
campus camera pairs, up to 10 images per id (1-5 camera A, 6-10 camera B), in a
``labeled`` (hand-drawn boxes) and a ``detected`` (DPM) version::

    <root>/                                  e.g. cuhk03
      cuhk03_release/cuhk-03.mat             (or <root>/cuhk-03.mat) MATLAB v7.3 / HDF5
      cuhk03_new_protocol_config_labeled.mat new protocol (Zhong et al., CVPR 2017)
      cuhk03_new_protocol_config_detected.mat
      images_labeled/1_001_1_01.png ...      extracted from cuhk-03.mat on first use
      images_detected/1_001_1_01.png ...

Image names (torchreid convention) ``C_PPP_V_II.png``: campus, person within
campus, view (1 = camera A, 2 = camera B), image 01..10.

* ``protocol="new"``: train / query / gallery from the config file (keys
  ``train_idx, query_idx, gallery_idx`` (1-based), ``labels``, ``filelist``,
  ``camId`` (1-based)); 767 train ids, 700 test ids.
* ``protocol="classic"``: ``testsets`` of ``cuhk-03.mat`` holds 20 splits of 100
  (campus, pid) pairs (1-based). Test = those 100 ids, train = the other 1,367
  (no validation ids held out). Query = the test images of camera ``query_cam``
  (0 = A), gallery = the other camera; the single-gallery-shot sampling is done
  by the evaluator. Global pid = ids of earlier campuses + pid in campus (1-based),
  the numbering of the new protocol's ``labels``.

Extraction (needs ``h5py``) is deterministic, skips files already present, writes
each PNG atomically and leaves a ``.extracted`` marker when complete.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from .base import DatasetLayoutError, ReIDDataset, Record, make_record, require_dir
from .io import write_png_atomic

__all__ = ["CUHK03_LAYOUT", "IMAGE_TYPES", "PROTOCOLS", "find_raw_mat",
           "extract_cuhk03_images", "read_cuhk03"]

IMAGE_TYPES = ("labeled", "detected")
PROTOCOLS = ("new", "classic")
NAME_RE = re.compile(r"^(?P<campus>\d)_(?P<pid>\d{3})_(?P<view>[12])_(?P<img>\d{2})\.png$")
CUHK03_LAYOUT = (
    "  <root>/ (cuhk03)\n"
    "    cuhk03_release/cuhk-03.mat   (or <root>/cuhk-03.mat; MATLAB v7.3, keys labeled, detected, testsets)\n"
    "    cuhk03_new_protocol_config_labeled.mat / ..._detected.mat   (new 767/700 protocol)\n"
    "    images_labeled/1_001_1_01.png ...   (campus_pid_view_img; extracted on first use)\n"
    "    images_detected/1_001_1_01.png ..."
)
MARKER = ".extracted"


def _h5py() -> Any:
    try:
        import h5py  # noqa: PLC0415  (lazy: only classic CUHK03 needs it)
    except ImportError as exc:  # pragma: no cover - h5py is a declared dependency
        raise ImportError(
            "reading cuhk-03.mat (MATLAB v7.3) needs h5py: pip install h5py"
        ) from exc
    return h5py


def _check_choice(value: str, valid: tuple[str, ...], what: str) -> None:
    if value not in valid:
        raise KeyError(f"unknown CUHK03 {what} {value!r}; valid: {', '.join(valid)}")


def find_raw_mat(root: str | os.PathLike) -> Path | None:
    """``cuhk-03.mat`` under ``root`` or ``root/cuhk03_release``, or ``None``."""
    for cand in (Path(root) / "cuhk03_release" / "cuhk-03.mat", Path(root) / "cuhk-03.mat"):
        if cand.is_file():
            return cand
    return None


def _campus_refs(f: Any, image_type: str) -> np.ndarray:
    return np.asarray(f[image_type]).ravel()


def extract_cuhk03_images(mat_path: str | os.PathLike, out_dir: str | os.PathLike,
                          image_type: str = "labeled") -> int:
    """Write every image of ``image_type`` in ``cuhk-03.mat`` to ``out_dir`` as PNG.

    Returns the number of images written now (0 when the marker says it is done).
    MATLAB v7.3 stores an ``H x W x 3`` image as an HDF5 array ``[3, W, H]`` and the
    per-campus cell ``num_pids x 10`` as ``[10, num_pids]`` of object references;
    both are transposed back. Empty cells (missing images) are skipped.
    """
    _check_choice(image_type, IMAGE_TYPES, "image_type")
    out = Path(out_dir)
    if (out / MARKER).is_file():
        return 0
    h5py = _h5py()
    written = 0
    with h5py.File(mat_path, "r") as f:
        for campid, camp_ref in enumerate(_campus_refs(f, image_type)):
            camp = np.asarray(f[camp_ref]).T  # [num_pids, 10] references
            for pid in range(camp.shape[0]):
                for imgid, ref in enumerate(camp[pid]):
                    img = np.asarray(f[ref]).T
                    if img.size == 0 or img.ndim != 3:
                        continue
                    view = 1 if imgid < 5 else 2
                    dst = out / f"{campid + 1}_{pid + 1:03d}_{view}_{imgid + 1:02d}.png"
                    if not dst.is_file():
                        write_png_atomic(dst, img.astype(np.uint8))
                        written += 1
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(f"extracted from {mat_path}\n")
    return written


def _image_dir(root: Path, image_type: str) -> Path:
    img_dir = root / f"images_{image_type}"
    if not (img_dir / MARKER).is_file():
        mat = find_raw_mat(root)
        if mat is not None:
            extract_cuhk03_images(mat, img_dir, image_type)
    return require_dir(img_dir, CUHK03_LAYOUT)


def _cellstr(x: Any) -> str:
    while isinstance(x, np.ndarray):
        x = x.ravel()[0] if x.size else ""
    return str(x).strip()


def _read_new(root: Path, image_type: str) -> tuple[dict[str, list[Record]], dict[str, Any]]:
    from scipy.io import loadmat  # noqa: PLC0415

    cfg_path = root / f"cuhk03_new_protocol_config_{image_type}.mat"
    if not cfg_path.is_file():
        raise DatasetLayoutError(f"missing file: {cfg_path}\nexpected layout:\n{CUHK03_LAYOUT}")
    cfg = loadmat(str(cfg_path))
    missing = [k for k in ("train_idx", "query_idx", "gallery_idx", "labels", "filelist", "camId")
               if k not in cfg]
    if missing:
        raise DatasetLayoutError(f"{cfg_path} lacks keys {missing}; is it the official config file?")
    img_dir = _image_dir(root, image_type)
    files = [_cellstr(x) for x in cfg["filelist"].ravel()]
    labels = cfg["labels"].ravel().astype(int)
    cams = cfg["camId"].ravel().astype(int)
    out: dict[str, list[Record]] = {}
    for split in ("train", "query", "gallery"):
        idx = cfg[f"{split}_idx"].ravel().astype(int) - 1
        if idx.size == 0:
            raise DatasetLayoutError(f"empty split {split!r} in {cfg_path}")
        if idx.min() < 0 or idx.max() >= len(files):
            raise DatasetLayoutError(
                f"{cfg_path}: {split}_idx has values outside 1..{len(files)} (1-based filelist)")
        recs = []
        for i in idx:
            path = img_dir / files[i]
            recs.append(make_record(root, path, labels[i], cams[i] - 1, split))
        absent = [r["path"] for r in recs if not os.path.isfile(r["path"])]
        if absent:
            raise DatasetLayoutError(
                f"{len(absent)} images of split {split!r} listed in {cfg_path} are missing, "
                f"e.g. {absent[0]}; extract them from cuhk-03.mat (put it in {root / 'cuhk03_release'})"
                f"\nexpected layout:\n{CUHK03_LAYOUT}")
        out[split] = recs
    return out, {"protocol": "new 767/700", "config": str(cfg_path)}


def _read_classic(root: Path, image_type: str, split_id: int,
                  query_cam: int) -> tuple[dict[str, list[Record]], dict[str, Any]]:
    mat = find_raw_mat(root)
    if mat is None:
        raise DatasetLayoutError(
            f"missing file: {root / 'cuhk03_release' / 'cuhk-03.mat'} (classic protocol needs its "
            f"testsets)\nexpected layout:\n{CUHK03_LAYOUT}")
    h5py = _h5py()
    with h5py.File(mat, "r") as f:
        num_pids = [int(f[ref].shape[-1]) for ref in _campus_refs(f, image_type)]
        testsets = [np.asarray(f[ref]).T for ref in np.asarray(f["testsets"]).ravel()]
    if not 0 <= split_id < len(testsets):
        raise ValueError(f"split_id={split_id} out of range: {mat} has {len(testsets)} splits "
                         f"(use 0..{len(testsets) - 1})")
    test_pairs = {(int(c), int(p)) for c, p in testsets[split_id].reshape(-1, 2)}
    offsets = np.concatenate([[0], np.cumsum(num_pids)])
    img_dir = _image_dir(root, image_type)
    out: dict[str, list[Record]] = {"train": [], "query": [], "gallery": []}
    for name in sorted(os.listdir(img_dir)):
        if not name.endswith(".png"):
            continue
        m = NAME_RE.match(name)
        if m is None:
            raise DatasetLayoutError(
                f"cannot parse image name {img_dir / name}: expected {NAME_RE.pattern} "
                f"(e.g. 1_001_1_01.png)\nexpected layout:\n{CUHK03_LAYOUT}")
        campus, cpid, cam = int(m["campus"]), int(m["pid"]), int(m["view"]) - 1
        if not 1 <= campus <= len(num_pids) or not 1 <= cpid <= num_pids[campus - 1]:
            raise DatasetLayoutError(f"{img_dir / name}: campus/pid not in {mat}")
        pid = int(offsets[campus - 1]) + cpid
        if (campus, cpid) in test_pairs:
            split = "query" if cam == query_cam else "gallery"
        else:
            split = "train"
        out[split].append(make_record(root, img_dir / name, pid, cam, split,
                                      campus=campus, campus_pid=cpid))
    for split, recs in out.items():
        if not recs:
            raise DatasetLayoutError(f"empty split {split!r} for CUHK03 classic split {split_id} "
                                     f"in {img_dir}\nexpected layout:\n{CUHK03_LAYOUT}")
    meta = {"protocol": "classic single-shot", "split_id": split_id, "num_splits": len(testsets),
            "query_cam": query_cam, "num_pids_per_campus": num_pids}
    return out, meta


def read_cuhk03(root: str | os.PathLike, image_type: str = "labeled", protocol: str = "new",
                split_id: int = 0, query_cam: int = 0) -> ReIDDataset:
    """Read CUHK03 ``image_type`` (labeled/detected) under ``protocol`` (new/classic).

    ``split_id`` (0..19) and ``query_cam`` (0 = camera A) apply to the classic protocol.
    """
    _check_choice(image_type, IMAGE_TYPES, "image_type")
    _check_choice(protocol, PROTOCOLS, "protocol")
    if query_cam not in (0, 1):
        raise ValueError(f"query_cam must be 0 (camera A) or 1 (camera B), got {query_cam}")
    root = require_dir(root, CUHK03_LAYOUT)
    if protocol == "new":
        splits, meta = _read_new(root, image_type)
    else:
        splits, meta = _read_classic(root, image_type, split_id, query_cam)
    meta.update(image_type=image_type, num_cams=2)
    return ReIDDataset(f"cuhk03_{image_type}", str(root), splits["train"], splits["query"],
                       splits["gallery"], {}, meta)
