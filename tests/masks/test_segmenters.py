"""Segmenter registry, the FCN (shapes, shipped weights quality) and Mask R-CNN anchors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from reidlib.masks.evaluate import load_synth_arrays, mask_iou
from reidlib.masks.fcn import FCNSegmenter, PersonFCN, default_weights, load_fcn, save_fcn
from reidlib.masks.pipeline import extract_masks
from reidlib.masks.segmenters import SEGMENTERS, build_segmenter


def test_registry_unknown_lists_names():
    with pytest.raises(KeyError) as exc:
        build_segmenter("deeplab")
    for name in SEGMENTERS:
        assert name in str(exc.value)


def test_maskrcnn_needs_local_weights(tmp_path):
    with pytest.raises(ValueError, match="local weights file"):
        build_segmenter("maskrcnn")
    with pytest.raises(FileNotFoundError, match="not found"):
        build_segmenter("maskrcnn", weights=tmp_path / "none.pt")


def test_mediapipe_missing_names_extra():
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"reidlib\[mediapipe\]"):
            build_segmenter("mediapipe_selfie")
    else:  # pragma: no cover - only in the mediapipe environment
        pytest.skip("mediapipe is installed here")


@pytest.mark.parametrize("out_channels", [1, 4])
def test_fcn_forward_shapes(out_channels):
    model = PersonFCN(out_channels, width=4).eval()
    with torch.no_grad():
        y = model(torch.rand(2, 3, 32, 16))
    assert y.shape == (2, out_channels, 32, 16)
    with pytest.raises(ValueError, match="multiples of 8"):
        model(torch.rand(1, 3, 30, 16))


def test_fcn_save_load_round_trip(tmp_path):
    torch.manual_seed(0)
    model = PersonFCN(4, width=4).eval()
    path = save_fcn(model, tmp_path / "m.pt", {"size": [32, 16]})
    loaded, meta = load_fcn(path)
    x = torch.rand(1, 3, 32, 16)
    with torch.no_grad():  # fp16 storage: close, not equal
        assert torch.allclose(model(x), loaded(x), atol=0.05)
    seg = FCNSegmenter(path)
    assert seg.crop_height == 32 and meta["size"] == [32, 16]
    img = np.random.default_rng(0).integers(0, 256, (60, 24, 3), dtype=np.uint8)
    prob = seg.predict(img)  # odd size: resized to the model scale and back
    assert prob.shape == (60, 24) and prob.min() >= 0 and prob.max() <= 1
    assert seg.predict_parts([img])[0].shape == (60, 24)
    with pytest.raises(FileNotFoundError, match="train them"):
        load_fcn(tmp_path / "missing.pt")


@pytest.fixture(scope="module")
def synth_smoke(tmp_path_factory):
    from reidlib.data.synth import ensure_synth

    return ensure_synth("smoke", "market", 7, cache_dir=tmp_path_factory.mktemp("synth"),
                        num_train_ids=1, num_test_ids=3, num_junk=0, num_distractors=0)


def test_shipped_weights_segment_synth(synth_smoke):
    assert default_weights().is_file() and default_weights().stat().st_size < 2_000_000
    x, gt = load_synth_arrays(synth_smoke, "bounding_box_test", limit=8)
    seg = build_segmenter("reidlib_fcn")
    pred = extract_masks(list(x), seg, "fcn")
    ious = [mask_iou(p, g) for p, g in zip(pred, gt)]
    assert np.mean(ious) > 0.6, ious
    # an all-foreground guess is much worse: the floor means something
    assert np.mean([mask_iou(np.ones_like(g), g) for g in gt]) < 0.5


def test_maskrcnn_builds_with_mpm_ltl_anchors(tmp_path):
    from reidlib.masks.maskrcnn import MaskRCNNSegmenter, build_maskrcnn

    torch.manual_seed(0)
    model = build_maskrcnn(num_classes=2, min_size=64, max_size=96)
    gen = model.rpn.anchor_generator
    assert gen.sizes[0] == (32, 64) and tuple(gen.aspect_ratios[0]) == (0.5, 1.0, 2.0)
    assert gen.num_anchors_per_location() == [6] * 5
    path = tmp_path / "w.pt"
    torch.save(model.state_dict(), path)
    seg = MaskRCNNSegmenter(path, num_classes=2, score_threshold=0.0, min_size=64, max_size=96)
    masks, scores = seg.predict(np.zeros((48, 24, 3), np.uint8))
    assert masks.ndim == 3 and masks.shape[1:] == (48, 24) and len(scores) == len(masks)


def test_person_logit_is_one_minus_background():
    from reidlib.masks.train import person_logit

    logits = torch.randn(2, 4, 3, 5)
    p_bg = torch.softmax(logits, 1)[:, 0]
    assert torch.allclose(torch.sigmoid(person_logit(logits)), 1 - p_bg, atol=1e-6)


def test_train_person_fcn_tiny(synth_smoke, tmp_path):
    from reidlib.masks.train import train_person_fcn

    model, facts = train_person_fcn(synth_smoke, None, tmp_path / "t.pt", epochs=1, batch_size=2,
                                    width=4, size=(32, 16), synth_limit=2, log=False)
    assert facts["synth_crops"] == 2 and facts["size"] == [32, 16] and np.isfinite(facts["final_loss"])
    seg = FCNSegmenter(tmp_path / "t.pt")
    assert seg.crop_height == 32 and seg.model.out_channels == 4
    with pytest.raises(ValueError, match="synth_root and/or pennfudan_root"):
        train_person_fcn(None, None)
