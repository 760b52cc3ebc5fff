"""IDE baseline, its input kinds and the ResNet backbones (MPM-LTL Table 1 rows 1-3)."""
import pytest
import torch
import torch.nn.functional as F
import torchvision

from reidlib.models.backbones import BACKBONES, ResNetBackbone, backbone_for_size
from reidlib.models.ide import IDE, IDE_MODELS
from reidlib.models.inputs import InputTrunk, pixel_input


def rgbm(h=64, w=32, b=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, 3, h, w, generator=g)
    mask = (torch.rand(b, 1, h, w, generator=g) > 0.4).float()
    return x, mask


@pytest.mark.parametrize("name,tv", [("resnet50", torchvision.models.resnet50),
                                     ("resnet18", torchvision.models.resnet18)])
def test_backbone_layout_equals_torchvision(name, tv):
    ours = {k.removeprefix("stem."): tuple(v.shape) for k, v in ResNetBackbone(name).state_dict().items()}
    ref = {k: tuple(v.shape) for k, v in tv().state_dict().items() if not k.startswith("fc.")}
    assert ours == ref


@pytest.mark.parametrize("name,channels", [("resnet18_half", 256), ("resnet50_quarter", 512)])
@pytest.mark.parametrize("last_stride,grid", [(1, (8, 4)), (2, (4, 2))])
def test_small_backbones_shapes(name, channels, last_stride, grid):
    out = ResNetBackbone(name, last_stride=last_stride)(torch.randn(2, 3, 128, 64))
    assert out.shape == (2, channels, *grid)


def test_backbone_errors_name_valid_values():
    with pytest.raises(KeyError, match="resnet18_half"):
        ResNetBackbone("vgg16")
    with pytest.raises(ValueError, match="1 or 2"):
        ResNetBackbone("resnet18_half", last_stride=3)
    with pytest.raises(ValueError, match="'paper', 'small'"):
        backbone_for_size("medium")
    assert backbone_for_size("paper") == "resnet50" and backbone_for_size("small", "resnet18") == "resnet18"


@pytest.mark.parametrize("size,dim", [("small", 256), ("paper", 2048)])
@pytest.mark.parametrize("name", sorted(IDE_MODELS))
def test_every_ide_model_shapes(name, size, dim):
    x, mask = rgbm()
    model = IDE_MODELS[name](9, size=size)
    out = model(x, mask)
    assert out["features"].shape == out["bn_features"].shape == (2, dim)
    assert out["logits"].shape == (2, 9)
    assert out["feature_map"].shape == (2, dim, 4, 2)
    assert torch.allclose(out["features"], out["feature_map"].mean(dim=(2, 3)))


def test_pixel_inputs():
    # one image of 1 x 2 pixels: RGB (1, 2, 3) and (-1, -2, -3); mask (1, 0)
    x = torch.tensor([[[[1.0, -1.0]], [[2.0, -2.0]], [[3.0, -3.0]]]])
    mask = torch.tensor([[[[1.0, 0.0]]]])
    assert pixel_input("rgbm", x, mask).tolist() == [[[[1.0, -1.0]], [[2.0, -2.0]], [[3.0, -3.0]], [[1.0, 0.0]]]]
    assert pixel_input("masked_rgb", x, mask).tolist() == [[[[1.0, 0.0]], [[2.0, 0.0]], [[3.0, 0.0]]]]
    assert pixel_input("mask_only", x, mask).tolist() == [[[[1.0, 0.0]]]]
    assert pixel_input("rgb", x, mask).tolist() == [[[[1.0, -1.0]], [[2.0, -2.0]], [[3.0, -3.0]]]]
    assert InputTrunk("rgbm").backbone.stem.conv1.in_channels == 4
    assert InputTrunk("mask_only").backbone.stem.conv1.in_channels == 1


def test_rgb_ignores_mask_and_masked_rgb_uses_it():
    torch.manual_seed(0)
    x, mask = rgbm()
    rgb = IDE(3, input_kind="rgb").eval()
    assert torch.equal(rgb(x, mask)["features"], rgb(x)["features"])
    masked = IDE(3, input_kind="masked_rgb").eval()
    assert torch.allclose(masked(x, mask)["features"], masked(x * mask, torch.ones_like(mask))["features"])


def test_bnneck_off_and_input_errors():
    x, mask = rgbm()
    out = IDE(3, bnneck=False).eval()(x)
    assert torch.equal(out["features"], out["bn_features"])
    with pytest.raises(ValueError, match="needs a mask"):
        IDE(3, input_kind="rgbm")(x)
    with pytest.raises(ValueError, match=r"\[B, 1, H, W\]"):
        IDE(3, input_kind="rgbm")(x, mask[:, :, :10])
    with pytest.raises(ValueError, match=r"\[B, 3, H, W\]"):
        IDE(3)(torch.randn(2, 4, 64, 32))
    with pytest.raises(KeyError, match="masked_rgb"):
        IDE(3, input_kind="depth")
    with pytest.raises(ValueError, match="num_classes"):
        IDE(0)


def test_one_step_decreases_loss():
    torch.manual_seed(0)
    x, mask = rgbm(b=4)
    labels = torch.tensor([0, 1, 2, 1])
    model = IDE(3, input_kind="rgbm")
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    before = F.cross_entropy(model(x, mask)["logits"], labels)
    opt.zero_grad()
    before.backward()
    opt.step()
    with torch.no_grad():
        after = F.cross_entropy(model(x, mask)["logits"], labels)
    assert after.item() < before.item()
