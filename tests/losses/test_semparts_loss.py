"""SemParts eq. 3-5 losses and the part-segmentation loss vs hand-computed values."""
import math

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from reidlib.data.base import ReIDDataset, make_record
from reidlib.domain import adaptation
from reidlib.domain.exemplar_memory import ExemplarMemory
from reidlib.losses.semparts import (domain_weights, part_segmentation_loss, source_id_loss,
                                          stream_features, target_memory_loss)


def test_source_id_loss_sums_global_and_parts():
    g = torch.Generator().manual_seed(0)
    logits = [torch.randn(4, 5, generator=g) for _ in range(4)]
    y = torch.tensor([0, 4, 2, 2])
    want = sum(F.cross_entropy(z, y) for z in logits)
    assert float(source_id_loss(logits, y)) == pytest.approx(float(want))
    assert float(source_id_loss(logits, y, parts=False)) == pytest.approx(float(F.cross_entropy(logits[0], y)))
    with pytest.raises(ValueError, match="global, head, upper, lower"):
        source_id_loss(logits[:2], y)


def test_target_memory_loss_one_memory_per_stream():
    g = torch.Generator().manual_seed(1)
    out = {"global": torch.randn(3, 4, generator=g), "parts": [torch.randn(3, 4, generator=g) for _ in range(3)]}
    feats = stream_features(out, parts=True)
    assert list(feats) == ["global", "head", "upper", "lower"]
    mems = {k: ExemplarMemory(6, 4, knn=2) for k in feats}
    for m in mems.values():
        m.memory.copy_(F.normalize(torch.randn(6, 4, generator=g), dim=1))
    idx = torch.tensor([0, 3, 5])
    # epoch 0: exemplar-invariance, -log softmax_j(K[j] . f/|f| / 0.05) at j = i, per stream, summed
    want = 0.0
    for k, f in feats.items():
        K = mems[k].memory.tolist()
        per_image = []
        for b in range(3):
            v = f[b].tolist()
            norm = math.sqrt(sum(t * t for t in v))
            z = [sum(K[j][d] * v[d] / norm for d in range(4)) / 0.05 for j in range(6)]
            per_image.append(-(z[int(idx[b])] - math.log(sum(math.exp(t) for t in z))))
        want += sum(per_image) / 3
    assert float(target_memory_loss(feats, idx, mems).detach()) == pytest.approx(want, rel=1e-5)
    with pytest.raises(KeyError, match="no exemplar memory"):
        target_memory_loss(feats, idx, {"global": mems["global"]})
    with pytest.raises(KeyError, match="parts"):
        stream_features({"global": out["global"]}, parts=True)


def test_part_segmentation_loss_nearest_downsampling():
    logits = torch.randn(2, 4, 2, 1)
    maps = torch.zeros(2, 1, 4, 2, dtype=torch.long)
    maps[:, :, 2:] = 3  # top half background, bottom half lower body
    want = (F.cross_entropy(logits[:, :, 0, 0], torch.zeros(2, dtype=torch.long))
            + F.cross_entropy(logits[:, :, 1, 0], torch.full((2,), 3))) / 2
    assert float(part_segmentation_loss(logits, maps)) == pytest.approx(float(want), rel=1e-6)
    with pytest.raises(ValueError, match="part labels"):
        part_segmentation_loss(logits, maps + 5)


def test_domain_weights_semparts_eq5_sum_and_ecn_split():
    # SemParts eq. 5: L = L_s + L_t; ECN eq. 8 / code: (1 - 0.3) L_s + 0.3 L_t
    assert domain_weights("ecn_parts") == (1.0, 1.0)
    assert domain_weights("ecn") == pytest.approx((0.7, 0.3))
    assert domain_weights("ecn_parts", 0.3) == pytest.approx((0.7, 0.3))  # ECN's split as a parameter
    assert domain_weights("ecn", 0.5) == (0.5, 0.5)
    with pytest.raises(ValueError, match="lambda"):
        domain_weights("ecn", 1.5)
    with pytest.raises(KeyError, match="valid"):
        domain_weights("direct")


def _tiny_domain(root, cams):
    recs = {"train": [], "query": [], "gallery": []}
    for split, folder in (("train", "bounding_box_train"), ("query", "query"), ("gallery", "bounding_box_test")):
        (root / folder).mkdir(parents=True)
        (root / "parts" / folder).mkdir(parents=True)
        for pid in (1, 2):
            for c in cams:
                p = root / folder / f"{pid:04d}_c{c + 1}s1_000000_00.jpg"
                Image.new("RGB", (16, 32), (40 * pid, 30 * c, 90)).save(p)
                pm = Image.new("L", (16, 32), 0)
                pm.paste(1, (4, 0, 12, 8)); pm.paste(2, (2, 8, 14, 20)); pm.paste(3, (3, 20, 13, 32))
                pm.save(root / "parts" / folder / f"{p.stem}.png")
                recs[split].append(make_record(root, p, pid, c, split))
    return ReIDDataset(root.name, str(root), recs["train"], recs["query"], recs["gallery"])


@pytest.mark.parametrize("method, lam, want", [("ecn_parts", None, (1.0, 1.0)), ("ecn", None, (0.7, 0.3)),
                                               ("ecn_parts", 0.3, (0.7, 0.3))])
def test_training_uses_the_papers_weighting(tmp_path, monkeypatch, method, lam, want):
    # fails on the old code, which trained ecn_parts with ECN's 0.7 / 0.3 split
    seen = {}

    class Stop(Exception):
        pass

    def capture(net, terms, *a, **kw):
        seen.update({t.name: t.weight for t in terms})
        raise Stop

    monkeypatch.setattr(adaptation, "Trainer", capture)
    src, tgt = _tiny_domain(tmp_path / "s", (0, 1)), _tiny_domain(tmp_path / "t", (0, 1))
    with pytest.raises(Stop):
        adaptation.train_cross_domain(src, tgt, method, image_size=(32, 16), epochs=1, batch_p=2, batch_k=1,
                                      knn=1, lam=lam, camstyle=None, evaluate=False)
    assert (seen["source_id"], seen["target_memory"]) == pytest.approx(want)
