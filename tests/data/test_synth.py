import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reidlib.data.synth import ensure_synth, generate, make_config, sample_grid
from reidlib.data.synth import writer as synth_writer

# Market-1501 naming as the readers parse it (torchreid: r'([-\d]+)_c(\d)')
MARKET_RE = re.compile(r"^([-\d]+)_c(\d)s(\d)_(\d{6})_(\d{2})\.jpg$")
FOLDERS = ("bounding_box_train", "bounding_box_test", "query", "gt_bbox")


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("synth") / "market", "smoke", "market", seed=0)


@pytest.fixture(scope="module")
def duke(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("synth") / "duke", "smoke", "duke", seed=0)


def parse(folder: Path):
    out = []
    for p in sorted(folder.glob("*.jpg")):
        m = MARKET_RE.match(p.name)
        assert m, f"bad Market name {p.name}"
        out.append((int(m.group(1)), int(m.group(2)), p))
    return out


def test_layout_names_and_mirrors(market):
    for folder in FOLDERS:
        files = list((market / folder).iterdir())
        assert files, folder
        assert all(f.suffix == ".jpg" for f in files)
        for _, _, p in parse(market / folder):
            mask = np.asarray(Image.open(market / "masks" / folder / f"{p.stem}.png"))
            parts = np.asarray(Image.open(market / "parts" / folder / f"{p.stem}.png"))
            img = Image.open(p)
            assert img.format == "JPEG" and img.mode == "RGB"
            assert mask.shape == parts.shape == (img.height, img.width) == (128, 64)
            assert set(np.unique(mask)) <= {0, 255}
            assert parts.max() <= 3
            assert np.array_equal(parts > 0, mask == 255)


def test_splits_follow_market_protocol(market):
    meta = json.loads((market / "meta.json").read_text())
    train = parse(market / "bounding_box_train")
    gallery = parse(market / "bounding_box_test")
    query = parse(market / "query")
    gt = parse(market / "gt_bbox")
    train_ids = {pid for pid, _, _ in train}
    test_ids = {pid for pid, _, _ in gallery if pid > 0}
    assert train_ids == set(meta["train_pids"]) and len(train_ids) == 15
    assert test_ids == set(meta["test_pids"]) and not train_ids & test_ids
    assert sum(pid == -1 for pid, _, _ in gallery) == 4
    assert sum(pid == 0 for pid, _, _ in gallery) == 4
    # each id in >= 2 cameras; one query per (test id, camera); query images are in gt_bbox
    for ids, recs in ((train_ids, train), (test_ids, gallery)):
        for pid in ids:
            assert len({c for p, c, _ in recs if p == pid}) >= 2
    qpairs = [(pid, cam) for pid, cam, _ in query]
    assert len(qpairs) == len(set(qpairs))
    assert set(qpairs) == {(pid, cam) for pid, cam, _ in gallery if pid > 0}
    assert {p.name for _, _, p in query} <= {p.name for _, _, p in gt}
    for pid, cam in qpairs:
        assert sum(1 for p, c, _ in gt if (p, c) == (pid, cam)) == 2  # smoke multiquery_per_cam
    assert meta["params"]["domain"] == "market" and meta["seed"] == 0 and meta["generator"]
    assert meta["counts"]["query"] == len(query)


def test_people_and_distractors_in_masks(market):
    for pid, _, p in parse(market / "bounding_box_test"):
        mask = np.asarray(Image.open(market / "masks" / "bounding_box_test" / f"{p.stem}.png"))
        if pid == 0:
            assert not mask.any()
        elif pid > 0:
            assert 0.08 < (mask > 0).mean() < 0.6
            parts = np.asarray(Image.open(market / "parts" / "bounding_box_test" / f"{p.stem}.png"))
            rows = [np.nonzero((parts == k).any(1))[0] for k in (1, 2, 3)]
            if all(len(r) for r in rows):  # head above upper body above lower body
                assert rows[0].mean() < rows[1].mean() < rows[2].mean()


def _hash_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_deterministic_and_order_independent(tmp_path):
    kw = dict(num_train_ids=3, num_test_ids=3, num_junk=1, num_distractors=1, num_cameras=3)
    a = _hash_tree(generate(tmp_path / "a", "smoke", "market", seed=5, **kw))
    b = _hash_tree(generate(tmp_path / "b", "smoke", "market", seed=5, workers=2, **kw))
    c = _hash_tree(generate(tmp_path / "c", "smoke", "market", seed=6, **kw))
    assert a == b and len(a) > 20
    assert a != c


def test_domains_differ(market, duke):
    def stats(root):
        files = sorted((root / "bounding_box_train").glob("*.jpg"))
        bright = np.mean([np.asarray(Image.open(p)).mean() for p in files])
        cams = {int(MARKET_RE.match(p.name).group(2)) for f in FOLDERS for p in (root / f).glob("*.jpg")}
        return bright, max(cams)
    (bm, cm), (bd, cd) = stats(market), stats(duke)
    assert bm > bd + 10
    assert cm <= 6 and cd > 6 and cd <= 8


def test_cache_reuse(tmp_path, monkeypatch):
    kw = dict(num_train_ids=2, num_test_ids=2, num_junk=0, num_distractors=0, num_cameras=2,
              multiquery_per_cam=1, height=64, width=32)
    first = ensure_synth("smoke", "market", 0, cache_dir=tmp_path, **kw)
    assert (first / "meta.json").is_file() and first.parent == tmp_path / "synth"
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".tmp")]

    def boom(*a, **k):
        raise AssertionError("regenerated a cached data set")
    monkeypatch.setattr(synth_writer, "_generate_into", boom)
    assert ensure_synth("smoke", "market", 0, cache_dir=tmp_path, **kw) == first
    with pytest.raises(AssertionError):  # another parameter -> another folder
        ensure_synth("smoke", "market", 0, cache_dir=tmp_path, **{**kw, "clutter": 0.1})


def test_bad_parameters(tmp_path):
    with pytest.raises(ValueError, match="valid presets.*cpu.*quick.*smoke"):
        make_config("huge")
    with pytest.raises(ValueError, match="valid domains.*duke.*market"):
        make_config("smoke", "cuhk")
    with pytest.raises(ValueError, match="too small"):
        make_config("smoke", height=-8)
    with pytest.raises(ValueError, match="num_train_ids"):
        make_config("smoke", num_train_ids=0)
    with pytest.raises(ValueError, match="clutter"):
        make_config("smoke", clutter=1.5)
    with pytest.raises(ValueError, match="valid:"):
        make_config("smoke", colour_count=3)
    with pytest.raises(ValueError, match="cams_per_id"):
        make_config("smoke", cams_per_id=(1, 2))
    with pytest.raises(ValueError, match="num_cameras"):
        make_config("smoke", num_cameras=12)
    assert make_config("smoke", num_cameras=2).cams_per_id == (2, 2)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "f").write_text("")
    with pytest.raises(FileExistsError, match="not empty"):
        generate(tmp_path / "x")


def test_sample_grid(market):
    g = sample_grid(market, per_cam=3)
    cams = {int(MARKET_RE.match(p.name).group(2)) for p in (market / "bounding_box_train").glob("*.jpg")}
    assert g.dtype == np.uint8 and g.shape == (len(cams) * 130, 3 * (3 * 64 + 2), 3)
    # the mask tile of the first sample is the stored mask of the first image of the first camera
    first = sorted((market / "bounding_box_train").glob(f"*_c{min(cams)}s*.jpg"))[0]
    mask = np.asarray(Image.open(market / "masks" / "bounding_box_train" / f"{first.stem}.png"))
    assert np.array_equal(g[:128, 64:128, 0], mask)
    with pytest.raises(FileNotFoundError, match="generate"):
        sample_grid(market / "nope")


def test_cli(tmp_path, capsys):
    from reidlib.__main__ import main
    out = tmp_path / "cli"
    rc = main(["synth", "--preset", "smoke", "--domain", "market", "--seed", "1", "--set", "num_train_ids=2",
               "--set", "num_test_ids=2", "--set", "num_cameras=2", str(out)])
    assert rc == 0 and (out / "meta.json").is_file()
    assert json.loads((out / "meta.json").read_text())["params"]["num_train_ids"] == 2


def test_png_writer_round_trip_and_workers(tmp_path):
    import io
    arr = np.random.default_rng(0).integers(0, 256, (7, 5), dtype=np.uint8)
    back = np.asarray(Image.open(io.BytesIO(synth_writer.png_bytes(arr))))
    assert back.dtype == np.uint8 and np.array_equal(back, arr)
    with pytest.raises(ValueError, match="uint8"):
        synth_writer.png_bytes(arr.astype(np.int32))
    n = synth_writer.AUTO_WORKERS_MIN_JOBS
    assert synth_writer.resolve_workers(None, n - 1) == 1
    assert synth_writer.resolve_workers(None, n) == min(2, __import__("os").cpu_count() or 1)
    assert synth_writer.resolve_workers(3, 5) == 3
    with pytest.raises(ValueError, match="workers"):
        generate(tmp_path / "w", workers=0)


def test_cache_key_follows_the_generator_source(monkeypatch) -> None:
    """A change to the generator's code changes the cache key, so no cache goes stale."""
    from reidlib.data.synth import writer

    before = writer.cache_key("smoke", "market", 0)
    monkeypatch.setattr(writer, "source_digest", lambda: "0" * 16)
    assert writer.cache_key("smoke", "market", 0) != before
