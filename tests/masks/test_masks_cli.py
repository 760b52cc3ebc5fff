"""``python -m reidlib masks``: mirrors written, resumable, corrupt images reported."""
from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from reidlib.__main__ import main
from reidlib.data.io import read_mask, read_parts
from reidlib.masks.cli import find_images, run_masks
from reidlib.masks.evaluate import mirror_grid


def _folder(root):
    rng = np.random.default_rng(0)
    for folder, n in (("bounding_box_train", 3), ("query", 2)):
        (root / folder).mkdir(parents=True)
        for i in range(n):
            img = rng.integers(0, 256, (32, 16, 3), dtype=np.uint8)
            img[8:28, 4:12] = (200, 30, 30)
            Image.fromarray(img).save(root / folder / f"000{i}_c1s1_000001_00.jpg")
    (root / "query" / "broken.jpg").write_bytes(b"not a jpeg")
    return root


def test_cli_writes_mirrors_resumes_and_reports(tmp_path, capsys):
    data = _folder(tmp_path / "data")
    out = tmp_path / "out"
    assert len(find_images(data)) == 6
    rc = main(["masks", str(data), "--out", str(out), "--parts", "--no-progress", "--batch-size", "2"])
    assert rc == 0
    assert "5 written, 0 skipped" in capsys.readouterr().out
    masks = sorted((out / "masks").rglob("*.png"))
    parts = sorted((out / "parts").rglob("*.png"))
    assert len(masks) == 5 and len(parts) == 5
    m = read_mask(out / "masks" / "query" / "0000_c1s1_000001_00.png", (32, 16))
    p = read_parts(out / "parts" / "query" / "0000_c1s1_000001_00.png", (32, 16))
    assert ((p > 0) == (m > 0)).all()  # parts live inside the mask
    rows = list(csv.DictReader(open(out / "masks" / "failures.csv")))
    assert [r["reason"] for r in rows if r["path"].endswith("broken.jpg")] == ["unreadable"]
    assert not (data / "masks").exists()  # read-only data untouched
    # second run: everything done is skipped; the corrupt image is retried and reported once
    counts = run_masks(data, out, parts=True, progress=False)
    assert counts == {"total": 6, "skipped": 5, "done": 0, "failed": 1}
    rows = list(csv.DictReader(open(out / "masks" / "failures.csv")))
    assert sum(r["path"].endswith("broken.jpg") for r in rows) == 1
    grid = mirror_grid(data, out, n=4, ncols=2, thumb=(32, 16))
    assert grid.shape == (2 * 34, 4 * 18, 3)


def test_cli_min_area_marks_tiny(tmp_path):
    data = _folder(tmp_path / "data")
    counts = run_masks(data, tmp_path / "o", progress=False, min_area=0.99, recipe="fcn")
    rows = list(csv.DictReader(open(tmp_path / "o" / "masks" / "failures.csv")))
    reasons = sorted(r["reason"] for r in rows)
    assert counts["done"] == 5 and counts["failed"] == 6
    assert reasons.count("unreadable") == 1 and set(reasons) <= {"unreadable", "tiny", "empty"}


def test_cli_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="data folder not found"):
        find_images(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no images"):
        find_images(tmp_path / "empty")
    data = _folder(tmp_path / "data")
    with pytest.raises(KeyError, match="valid"):
        run_masks(data, tmp_path / "o", segmenter="nope", progress=False)
    with pytest.raises(KeyError, match="fcn, ratio"):
        run_masks(data, tmp_path / "o", part_method="nope", progress=False)
