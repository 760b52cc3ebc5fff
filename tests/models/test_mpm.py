"""MPM stem, part head and MPM models (MPM-LTL III-A, III-C, Fig. 4 and 6)."""
import pytest
import torch
import torch.nn.functional as F

from reidlib.models.inputs import MaskChannelStem
from reidlib.models.mask_pooling import MaskPool2d
from reidlib.models.mpm import MPM, MPM_MODELS, PART_GRIDS, MPMStem, PartHead


def rgbm(h=96, w=32, b=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, 3, h, w, generator=g)
    mask = torch.zeros(b, 1, h, w)
    mask[:, :, h // 8: -h // 8, w // 4: -w // 4] = 1.0  # a person-shaped box
    mask[:, :, : h // 4] *= (torch.rand(b, 1, h // 4, w, generator=g) > 0.3).float()
    return x, mask


@pytest.mark.parametrize("channels,threshold", [(64, 0.5), (32, 0.4), (64, 0.0)])
def test_stem_shapes_and_binary_mask_channel(channels, threshold):
    x, mask = rgbm(64, 32)
    stem = MPMStem(channels, threshold)
    out = stem(x, mask)
    assert out.shape == (2, channels, 16, 8)
    assert stem.conv1.out_channels == channels - 1
    m = out[:, -1:]
    assert set(m.unique().tolist()) <= {0.0, 1.0}
    expected = MaskPool2d(3, 2, 1, threshold)(MaskPool2d(7, 2, 3, threshold)(mask))
    assert torch.equal(m, expected)
    rgb = stem.maxpool(stem.relu(stem.bn1(stem.conv1(x))))
    assert torch.equal(out[:, :-1], rgb)


def test_bilinear_stem_uses_interpolation():
    x, mask = rgbm(64, 32)
    out = MaskChannelStem(32, "bilinear")(x, mask)
    m1 = F.interpolate(mask, size=(32, 16), mode="bilinear", align_corners=False)
    m2 = F.interpolate(m1, size=(16, 8), mode="bilinear", align_corners=False)
    assert torch.allclose(out[:, -1:], m2)
    with pytest.raises(ValueError, match="mask_pool"):
        MaskChannelStem(32, "nearest")


@pytest.mark.parametrize("parts", [1, 3, 6, 12, 18, (2, 2)])
def test_part_head_matches_brute_force(parts):
    torch.manual_seed(0)
    head = PartHead(8, num_classes=5, parts=parts, dim=4).eval()
    fmap = torch.randn(2, 8, 12, 6)
    out = head(fmap)
    rows, cols = PART_GRIDS[parts] if isinstance(parts, int) else parts
    ph, pw = 12 // rows, 6 // cols
    assert len(out["parts"]) == len(out["logits"]) == rows * cols
    i = 0
    for r in range(rows):
        for c in range(cols):
            g = fmap[:, :, r * ph:(r + 1) * ph, c * pw:(c + 1) * pw].mean(dim=(2, 3))
            conv, bn = head.reductions[i][0], head.reductions[i][1]
            z = g @ conv.weight.view(4, 8).T
            h = torch.relu((z - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias)
            assert torch.allclose(out["parts"][i], h, atol=1e-5)
            assert torch.allclose(out["logits"][i], head.classifiers[i](h))
            i += 1
    assert torch.equal(out["features"], torch.cat(out["parts"], dim=1))


def test_part_count_must_divide_map():
    head = PartHead(8, 5, parts=6)
    with pytest.raises(ValueError, match=r"8x4 feature map; valid part counts for this map: \[1\]"):
        head(torch.randn(2, 8, 8, 4))
    with pytest.raises(ValueError, match="do not divide the 24x8"):
        PartHead(8, 5, parts=18)(torch.randn(2, 8, 24, 8))
    adaptive = PartHead(8, 5, parts=18, uneven="adaptive").eval()
    assert adaptive(torch.randn(2, 8, 24, 8))["features"].shape == (2, 18 * 256)


def test_bad_parameters_name_valid_values():
    with pytest.raises(ValueError, match=r"valid: \[1, 3, 6, 12, 18\]"):
        PartHead(8, 5, parts=5)
    with pytest.raises(ValueError, match="'error', 'adaptive'"):
        PartHead(8, 5, uneven="pad")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        MPM(5, threshold=1.2)
    with pytest.raises(ValueError, match="'paper'"):
        MPM(5, size="large")
    with pytest.raises(KeyError, match="mask_pool"):
        MPM(5, input_kind="depth")
    with pytest.raises(ValueError, match="needs a mask"):
        MPM(5)(torch.randn(2, 3, 96, 32))


@pytest.mark.parametrize("size,dim_map", [("small", 256), ("paper", 2048)])
@pytest.mark.parametrize("name", sorted(MPM_MODELS))
def test_every_mpm_model_shapes(name, size, dim_map):
    x, mask = rgbm(96, 32)  # -> 6x2 map, divisible by k = 6
    model = MPM_MODELS[name](7, size=size)
    out = model(x, mask)
    assert out["features"].shape == (2, 6 * 256)
    assert out["feature_map"].shape == (2, dim_map, 6, 2)
    assert len(out["parts"]) == 6 and all(p.shape == (2, 256) for p in out["parts"])
    assert len(out["logits"]) == 6 and all(lg.shape == (2, 7) for lg in out["logits"])


def test_threshold_reaches_the_stem():
    model = MPM(5, threshold=0.3)
    assert model.trunk.backbone.stem.mask_pool1.threshold == 0.3
    assert model.trunk.backbone.stem.mask_pool2.threshold == 0.3


def test_one_step_decreases_loss():
    torch.manual_seed(0)
    x, mask = rgbm(96, 32, b=4)
    labels = torch.tensor([0, 1, 2, 0])
    model = MPM(3, size="small", parts=3)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.0)

    def loss_fn():
        return sum(F.cross_entropy(lg, labels) for lg in model(x, mask)["logits"]) / 3

    before = loss_fn()
    opt.zero_grad()
    before.backward()
    opt.step()
    with torch.no_grad():
        after = loss_fn()
    assert after.item() < before.item()
