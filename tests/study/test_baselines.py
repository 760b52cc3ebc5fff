import numpy as np
import pytest
from PIL import Image

from reidlib.data.base import ReIDDataset
from reidlib.study.baselines import evaluate_histogram, histogram_distance, histogram_features, stripe_histogram


def brute_hist(hsv, mask, stripes, bins):
    H, W = hsv.shape[:2]
    nb = bins[0] * bins[1] * bins[2]
    out = np.zeros((stripes, nb))
    for y in range(H):
        for x in range(W):
            if mask is not None and not mask[y, x]:
                continue
            h, s, v = (int(hsv[y, x, c]) * bins[c] // 256 for c in range(3))
            out[y * stripes // H, (h * bins[1] + s) * bins[2] + v] += 1
    for k in range(stripes):
        if out[k].sum() > 0:
            out[k] /= out[k].sum()
    return np.sqrt(out).ravel()


def test_stripe_histogram_matches_loop():
    rng = np.random.default_rng(0)
    hsv = rng.integers(0, 256, (12, 5, 3), dtype=np.uint8)
    mask = rng.random((12, 5)) < 0.5
    mask[8:] = False  # last stripes empty -> zero histogram
    for m in (None, mask):
        got = stripe_histogram(hsv, m, stripes=3, bins=(4, 2, 3))
        assert got.shape == (3 * 24,)
        np.testing.assert_allclose(got, brute_hist(hsv, m, 3, (4, 2, 3)), rtol=1e-6)
    assert not stripe_histogram(hsv, mask, stripes=3, bins=(4, 2, 3))[48:].any()


def test_histogram_distance_metrics():
    rng = np.random.default_rng(1)
    p = rng.random((3, 6))
    q = rng.random((4, 6))
    p /= p.sum(1, keepdims=True)
    q /= q.sum(1, keepdims=True)
    q[0, :3] = 0
    q[0] /= q[0].sum()
    qf, gf = np.sqrt(p), np.sqrt(q)
    for metric in ("euclidean", "l1", "chi2"):
        d = histogram_distance(qf, gf, metric, chunk_size=2)
        for i in range(3):
            for j in range(4):
                if metric == "euclidean":
                    ref = np.sqrt(((qf[i] - gf[j]) ** 2).sum())
                elif metric == "l1":
                    ref = np.abs(p[i] - q[j]).sum()
                else:
                    ref = 0.5 * sum((a - b) ** 2 / (a + b) for a, b in zip(p[i], q[j]) if a + b > 0)
                assert d[i, j] == pytest.approx(ref, rel=1e-5, abs=1e-6)
    with pytest.raises(ValueError, match="valid metrics: euclidean, l1, chi2"):
        histogram_distance(qf, gf, "cosine")


def _write(tmp_path, name, person_rgb, bg_rgb, with_mask=True):
    img = np.zeros((32, 16, 3), np.uint8)
    img[:] = bg_rgb
    img[8:28, 4:12] = person_rgb
    path = tmp_path / f"{name}.png"
    Image.fromarray(img).save(path)
    mpath = None
    if with_mask:
        mask = np.zeros((32, 16), np.uint8)
        mask[8:28, 4:12] = 255
        mpath = tmp_path / f"{name}_mask.png"
        Image.fromarray(mask).save(mpath)
    return str(path), (str(mpath) if mpath else None)


def test_mask_removes_misleading_background(tmp_path):
    # person colour decides identity; the background colour follows the camera, so the
    # full-image histogram matches the wrong person of the same background.
    red, blue, yellow = (200, 30, 30), (30, 30, 200), (220, 200, 30)
    grey, green = (128, 128, 128), (30, 160, 30)
    recs = []
    for name, pid, cam, person, bg, split in (("q1", 1, 0, red, grey, "query"), ("q2", 2, 0, blue, grey, "query"),
                                               ("g1", 1, 1, red, green, "gallery"),
                                               ("g2", 2, 1, blue, green, "gallery"),
                                               ("g3", 3, 1, yellow, grey, "gallery")):
        path, mpath = _write(tmp_path, name, person, bg)
        recs.append({"path": path, "pid": pid, "camid": cam, "mask_path": mpath, "parts_path": None,
                     "split": split})
    ds = ReIDDataset("toy", str(tmp_path), [], recs[:2], recs[2:])
    full = evaluate_histogram(ds, use_mask=False, stripes=2, bins=(8, 2, 2), size=(32, 16))
    masked = evaluate_histogram(ds, use_mask=True, stripes=2, bins=(8, 2, 2), size=(32, 16))
    assert full["rank1"] == 0.0
    assert masked["rank1"] == 1.0 and masked["mAP"] == 1.0
    fq = histogram_features(ds.query, use_mask=True, stripes=2, bins=(8, 2, 2), size=(32, 16))
    fg = histogram_features(ds.gallery, use_mask=True, stripes=2, bins=(8, 2, 2), size=(32, 16))
    np.testing.assert_allclose(fq, fg[:2])  # same person colour, other background: same feature


def test_bad_inputs(tmp_path):
    path, _ = _write(tmp_path, "a", (1, 2, 3), (4, 5, 6), with_mask=False)
    rec = {"path": path, "pid": 1, "camid": 0, "mask_path": None, "parts_path": None, "split": "query"}
    with pytest.raises(FileNotFoundError, match="use_mask=False"):
        histogram_features([rec], use_mask=True)
    with pytest.raises(ValueError, match="stripes"):
        histogram_features([rec], stripes=0)
    with pytest.raises(ValueError, match="bins"):
        stripe_histogram(np.zeros((8, 4, 3), np.uint8), bins=(8, 4))
    with pytest.raises(ValueError, match="mask shape"):
        stripe_histogram(np.zeros((8, 4, 3), np.uint8), np.ones((4, 4), bool), stripes=2)
