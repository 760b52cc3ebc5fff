"""SemParts eq. 3-5 losses and the part-segmentation loss vs hand-computed values."""
import pytest
import torch
import torch.nn.functional as F

from reidlib.domain.exemplar_memory import ExemplarMemory
from reidlib.domain.semparts_loss import (part_segmentation_loss, source_id_loss, stream_features,
                                          target_memory_loss)


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
    want = sum(mems[k](f, idx) for k, f in feats.items())
    assert float(target_memory_loss(feats, idx, mems).detach()) == pytest.approx(float(want.detach()))
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
