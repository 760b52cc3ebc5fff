"""Lite0 trunks: each paper's mask entry on EfficientNet-Lite0, checked against the plain network."""
from __future__ import annotations

import pytest
import torch

from reidlib.models.efficientnet_lite import MEAN, STD, EfficientNetLite0, load_imagenet
from reidlib.models.lite0_trunks import INPUT_MEAN, INPUT_STD, Lite0Levels, Lite0Trunk, Renormalise
from reidlib.models.mask_pooling import MaskPool2d


def _imagenet_normalised(pixels: torch.Tensor) -> torch.Tensor:
    return (pixels - torch.tensor(INPUT_MEAN).view(1, 3, 1, 1)) / torch.tensor(INPUT_STD).view(1, 3, 1, 1)


def test_input_normalisation_is_the_pipelines() -> None:
    from reidlib.data.transforms import IMAGENET_MEAN, IMAGENET_STD

    assert (INPUT_MEAN, INPUT_STD) == (IMAGENET_MEAN, IMAGENET_STD)
    p = torch.rand(2, 3, 4, 4)   # pixels in [0, 1]
    want = (p * 255 - 127) / 128  # TensorFlow Lite's scaling, by hand
    assert torch.allclose(Renormalise()(_imagenet_normalised(p)), want, atol=1e-5)
    assert torch.allclose(Renormalise()(_imagenet_normalised(p)),
                          (p - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1), atol=1e-5)


def test_rgb_trunk_is_the_pretrained_network(weights) -> None:
    torch.manual_seed(0)
    p = torch.rand(2, 3, 64, 32)
    ref = load_imagenet(EfficientNetLite0(last_stride=1, num_classes=0), weights).eval()
    trunk = Lite0Trunk("rgb", pretrained=weights).eval()
    with torch.no_grad():
        want = ref.forward_features((p - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1))
        got = trunk(_imagenet_normalised(p))
    assert got.shape == (2, 1280, 4, 2)
    assert torch.allclose(got, want, atol=1e-4)


def test_mask_pool_trunk_keeps_31_kernels_and_pools_the_mask(weights) -> None:
    state = torch.load(weights, map_location="cpu", weights_only=True)
    trunk = Lite0Trunk("mask_pool", threshold=0.4, pretrained=weights).eval()
    net = trunk.net
    assert net._conv_stem.weight.shape == (31, 3, 3, 3)
    assert torch.equal(net._conv_stem.weight, state["_conv_stem.weight"][:31])
    assert torch.equal(net._bn0.running_var, state["_bn0.running_var"][:31])
    # the mask channel entering block 0 is exactly MaskPool2d(3, 2, 1, t)(mask): capture it
    seen = {}
    handle = net._blocks[0].register_forward_pre_hook(lambda mod, args: seen.setdefault("x", args[0]))
    x, mask = torch.randn(2, 3, 32, 16), (torch.rand(2, 1, 32, 16) > 0.5).float()
    with torch.no_grad():
        out = trunk(x, mask)
    handle.remove()
    assert out.shape == (2, 1280, 2, 1) and seen["x"].shape == (2, 32, 16, 8)
    assert torch.equal(seen["x"][:, 31:], MaskPool2d(3, 2, 1, 0.4)(mask))
    assert set(seen["x"][:, 31].unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="needs a mask"):
        trunk(x)
    with pytest.raises(KeyError, match="no EfficientNet-Lite0 trunk"):
        Lite0Trunk("rgbm")


def test_two_streams_on_equal_inputs_give_the_pretrained_levels(weights) -> None:
    """An all-ones mask makes the masked stream equal the original one; block 1's split kernel
    [W/2, W/2] then gives exactly the single pretrained network's activations at every level."""
    torch.manual_seed(1)
    p = torch.rand(2, 3, 64, 32)
    ref = load_imagenet(EfficientNetLite0(last_stride=1, num_classes=0), weights).eval()
    both = Lite0Levels("both", pretrained=weights).eval()
    assert both.blocks[0]._expand_conv.weight.shape[1] == 32
    with torch.no_grad():
        y = ref.act(ref._bn0(ref._conv_stem((p - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1))))
        want = {}
        for i, b in enumerate(ref._blocks):
            y = b(y)
            if i == 2:
                want["low"] = y
            if i == 4:
                want["mid"] = y
        want["high"] = ref.act(ref._bn1(ref._conv_head(y)))
        got = both(_imagenet_normalised(p), torch.ones(2, 1, 64, 32))
    assert {k: tuple(v.shape) for k, v in got.items()} == {
        "low": (2, 24, 16, 8), "mid": (2, 40, 8, 4), "high": (2, 1280, 4, 2)}
    assert both.level_channels == {"low": 24, "mid": 40, "high": 1280}
    for k in want:
        assert torch.allclose(got[k], want[k], atol=1e-4), k
    # each stream owns its first three conv layers
    assert both.streams["rgb"]._conv_stem is not both.streams["masked"]._conv_stem
    masked = Lite0Levels("masked").eval()
    with torch.no_grad():
        zero = masked(torch.randn(1, 3, 32, 16), torch.zeros(1, 1, 32, 16))["high"]
        also_zero = masked(torch.randn(1, 3, 32, 16), torch.zeros(1, 1, 32, 16))["high"]
    assert torch.allclose(zero, also_zero)   # the masked-only network sees nothing of an all-background image


def test_maskreid_and_mpm_on_lite0(weights) -> None:
    from reidlib.models.registry import build_model

    x, mask = torch.randn(4, 3, 96, 32), (torch.rand(4, 1, 96, 32) > 0.3).float()
    for name in ("maskreid_base", "maskreid_m", "maskreid_mf"):
        m = build_model(name, 7, backbone="efficientnet_lite0", pretrained=str(weights)).eval()
        out = m(x, mask)
        assert out["features"].shape == (4, 256) and out["logits"].shape == (4, 7)
        assert bool(out["levels"]) == name.endswith("mf")
    for name in ("mpm_rgb", "mpm"):
        m = build_model(name, 7, backbone="efficientnet_lite0").eval()
        out = m(x, mask)
        assert out["features"].shape == (4, 6 * 256) and out["feature_map"].shape == (4, 1280, 6, 2)
    with pytest.raises(ValueError, match="trains from scratch"):
        build_model("maskreid_mf", 7, pretrained=str(weights))
    with pytest.raises(KeyError, match="valid"):
        build_model("maskreid_mf", 7, backbone="resnet50")
    with pytest.raises(ValueError, match="checksum mismatch"):
        build_model("mpm", 7, backbone="efficientnet_lite0", pretrained=str(weights), pretrained_sha256="00" * 32)
