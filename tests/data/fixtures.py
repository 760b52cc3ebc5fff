"""Builders of tiny data folders in each real layout (few-pixel generated images).

Each builder writes the folder and returns the specification it wrote, so a test
can re-derive the expected records independently of the reader.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

HW = (8, 4)


def tiny_rgb(seed: int, hw: tuple[int, int] = HW) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(*hw, 3), dtype=np.uint8)


def write_image(path: Path, seed: int = 0, hw: tuple[int, int] = HW) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(tiny_rgb(seed, hw)).save(path)
    return path


def write_mask(path: Path, hw: tuple[int, int] = HW, value: int = 255) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.zeros(hw, np.uint8)
    arr[: hw[0] // 2] = value
    Image.fromarray(arr).save(path)
    return path


def make_folder(root: Path, folder: str, names: list[str]) -> None:
    for i, n in enumerate(names):
        write_image(root / folder / n, seed=i)


# ---------------------------------------------------------------- Market / Duke
MARKET = {
    "bounding_box_train": ["0002_c1s1_000451_03.jpg", "0002_c2s1_000301_01.jpg",
                           "0007_c3s1_000551_01.jpg", "0007_c6s2_010101_02.jpg"],
    "bounding_box_test": ["0000_c1s1_000151_01.jpg", "-1_c1s1_000401_03.jpg",
                          "0001_c2s1_000301_01.jpg", "0001_c1s1_001151_01.jpg",
                          "0003_c5s3_065187_02.jpg"],
    "query": ["0001_c1s1_001051_00.jpg", "0003_c4s2_010101_00.jpg"],
    "gt_bbox": ["0001_c1s1_001051_00.jpg", "0001_c1s1_001101_00.jpg", "0003_c4s2_010151_00.jpg"],
}

DUKE = {
    "bounding_box_train": ["0001_c2_f0046182.jpg", "0001_c8_f0000001.jpg", "0004_c5_f0100000.jpg"],
    "bounding_box_test": ["0019_c1_f0056602.jpg", "0005_c7_f0046999.jpg"],
    "query": ["0005_c2_f0046985.jpg"],
}


def make_market_style(root: Path, spec: dict[str, list[str]], junk_file: bool = True) -> dict:
    for folder, names in spec.items():
        make_folder(root, folder, names)
    if junk_file:  # Market ships a Thumbs.db in its folders
        (root / "bounding_box_test" / "Thumbs.db").write_bytes(b"\0")
    first = spec["bounding_box_train"][0]
    write_mask(root / "masks" / "bounding_box_train" / (Path(first).stem + ".png"))
    write_mask(root / "parts" / "bounding_box_train" / (Path(first).stem + ".png"), value=2)
    return spec


# ---------------------------------------------------------------- CUHK03
def cuhk03_name(campus: int, pid: int, img: int) -> str:
    return f"{campus}_{pid:03d}_{1 if img <= 5 else 2}_{img:02d}.png"


def make_cuhk03_new(root: Path, image_type: str = "labeled") -> dict:
    """Campus 1 with 4 ids, campus 2 with 2 ids; images 1, 2 (cam A) and 6, 7 (cam B)."""
    from scipy.io import savemat

    num_pids = [4, 2]
    files, labels, cams = [], [], []
    offset = 0
    for c, n in enumerate(num_pids, start=1):
        for p in range(1, n + 1):
            for img in (1, 2, 6, 7):
                files.append(cuhk03_name(c, p, img))
                labels.append(offset + p)
                cams.append(1 if img <= 5 else 2)
        offset += n
    make_folder(root, f"images_{image_type}", files)
    labels_a, cams_a = np.array(labels), np.array(cams)
    train = [i for i, lab in enumerate(labels) if lab <= 3]
    test = [i for i, lab in enumerate(labels) if lab > 3]
    query = [i for i in test if files[i].endswith("_01.png") or files[i].endswith("_06.png")]
    gallery = [i for i in test if i not in query]
    fl = np.empty((len(files), 1), dtype=object)
    for i, f in enumerate(files):
        fl[i, 0] = f
    cfg = {"filelist": fl, "labels": labels_a[:, None].astype(float),
           "camId": cams_a[:, None].astype(float),
           "train_idx": np.array(train)[:, None] + 1.0, "query_idx": np.array(query)[:, None] + 1.0,
           "gallery_idx": np.array(gallery)[:, None] + 1.0}
    savemat(str(root / f"cuhk03_new_protocol_config_{image_type}.mat"), cfg)
    return {"files": files, "labels": labels, "cams": cams, "train": train, "query": query,
            "gallery": gallery}


def make_cuhk03_classic(mat_path: Path, num_pids: tuple[int, ...] = (3, 2),
                        testsets: tuple = (((1, 2), (2, 1)), ((1, 1), (2, 2))),
                        missing: tuple = ((1, 1, 10), (2, 2, 3))) -> dict:
    """A MATLAB-v7.3-like HDF5 file: cells as arrays of object references, data transposed.

    ``missing`` lists (campus, pid, img) 1-based cells stored empty (MATLAB's
    ``[0, 0]`` uint64 placeholder). Returns ``{(type, campus, pid, img): HxWx3 image}``.
    """
    import h5py

    mat_path.parent.mkdir(parents=True, exist_ok=True)
    images: dict[tuple, np.ndarray] = {}
    with h5py.File(mat_path, "w") as f:
        refs = f.create_group("#refs#")
        counter = [0]

        def store(arr: np.ndarray):
            counter[0] += 1
            return refs.create_dataset(f"r{counter[0]}", data=arr).ref

        for t, typ in enumerate(("labeled", "detected")):
            camp_refs = []
            for c, n in enumerate(num_pids, start=1):
                cell = np.empty((10, n), dtype=h5py.ref_dtype)  # MATLAB [n, 10], transposed
                for p in range(1, n + 1):
                    for img in range(1, 11):
                        if (c, p, img) in missing:
                            cell[img - 1, p - 1] = store(np.zeros(2, np.uint64))
                            continue
                        hw = (6 + img % 3, 3 + c)  # sizes differ, as in CUHK03
                        arr = tiny_rgb(1000 * t + 100 * c + 10 * p + img, hw)
                        images[(typ, c, p, img)] = arr
                        cell[img - 1, p - 1] = store(np.ascontiguousarray(arr.T))  # [3, W, H]
                camp_refs.append(store(cell))
            f.create_dataset(typ, data=np.array([camp_refs], dtype=h5py.ref_dtype))
        ts = [store(np.array(pairs, dtype=float).T) for pairs in testsets]  # MATLAB [100, 2]
        f.create_dataset("testsets", data=np.array([ts], dtype=h5py.ref_dtype))
    return images


# ---------------------------------------------------------------- MARS
MARS_TRAIN = [(1, 1, 1, 3), (1, 2, 1, 2), (3, 5, 2, 4)]           # pid, cam, tracklet, frames
MARS_TEST = [(2, 1, 1, 2), (2, 3, 1, 3), (0, 4, 7, 1), (-1, 6, 2, 2), (4, 2, 3, 2), (4, 1, 1, 1)]
MARS_QUERY_ROWS = [0, 4]  # 0-based rows of MARS_TEST


def mars_name(pid: int, cam: int, tracklet: int, frame: int) -> str:
    p = "00-1" if pid == -1 else f"{pid:04d}"
    return f"{p}C{cam}T{tracklet:04d}F{frame:03d}.jpg"


def make_mars(root: Path) -> dict:
    from scipy.io import savemat

    info_dir = root / "info"
    info_dir.mkdir(parents=True, exist_ok=True)
    out = {}
    for split, tracks in (("train", MARS_TRAIN), ("test", MARS_TEST)):
        names, rows = [], []
        for pid, cam, tr, nf in tracks:
            start = len(names) + 1
            names += [mars_name(pid, cam, tr, fr) for fr in range(1, nf + 1)]
            rows.append([start, len(names), pid, cam])
        for i, n in enumerate(names):
            write_image(root / f"bbox_{split}" / n[:4] / n, seed=i)
        (info_dir / f"{split}_name.txt").write_text("\n".join(names) + "\n")
        savemat(str(info_dir / f"tracks_{split}_info.mat"),
                {f"track_{split}_info": np.array(rows, dtype=float)})
        out[split] = (names, rows)
    savemat(str(info_dir / "query_IDX.mat"), {"query_IDX": np.array(MARS_QUERY_ROWS)[None] + 1.0})
    return out


# ---------------------------------------------------------------- CUHK01 / VIPeR
def make_cuhk01(root: Path, num_ids: int = 10) -> list[str]:
    names = [f"{p:04d}{i:03d}.png" for p in range(1, num_ids + 1) for i in range(1, 5)]
    make_folder(root, "campus", names)
    return names


def make_viper(root: Path, numbers: tuple[int, ...] = (0, 1, 3, 4, 7, 9)) -> None:
    for k, n in enumerate(numbers):
        write_image(root / "cam_a" / f"{n:03d}_{(45 * k) % 360}.bmp", seed=k)
        write_image(root / "cam_b" / f"{n:03d}_{(90 + 45 * k) % 360}.bmp", seed=100 + k)
