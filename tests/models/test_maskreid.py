"""MaskReID / DGD inception network (MaskReID sec. 3.1, Table 1)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from reidlib.models.inception import InceptionTrunk
from reidlib.models.maskreid import MODELS, PAPER_INPUT_SIZE, MaskReID

SMALL_HW = (64, 32)


def _batch(b: int, hw: tuple[int, int], seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, 3, *hw, generator=g)
    mask = torch.zeros(b, 1, *hw)
    mask[:, :, hw[0] // 4: 3 * hw[0] // 4, hw[1] // 4: 3 * hw[1] // 4] = 1.0
    return x, mask


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("size", ["small", "paper"])
def test_output_shapes(name, size):
    hw = PAPER_INPUT_SIZE if size == "paper" else SMALL_HW
    model = MODELS[name](7, size=size).eval()
    x, mask = _batch(2, hw)
    with torch.no_grad():
        out = model(x, mask)
    assert out["features"].shape == (2, 256)
    assert out["logits"].shape == (2, 7)
    assert bool(out["levels"]) == (name == "maskreid_mf")


def test_paper_trunk_levels_match_dgd_table():
    # DGD table at 144x56: 4b 384x36x14, 5b 768x18x7, 6b 1536x9x4
    trunk = InceptionTrunk(64, width=1.0).eval()
    with torch.no_grad():
        levels = trunk(torch.randn(1, 64, *PAPER_INPUT_SIZE))
    assert levels["low"].shape == (1, 384, 36, 14)
    assert levels["mid"].shape == (1, 768, 18, 7)
    assert levels["high"].shape == (1, 1536, 9, 4)


def test_fusion_layer_sees_all_three_levels():
    mf = MODELS["maskreid_mf"](3, size="small")
    m = MODELS["maskreid_m"](3, size="small")
    lc = mf.trunk.level_channels
    assert mf.fuse[0].in_features == lc["low"] + lc["mid"] + lc["high"]
    assert m.fuse[0].in_features == m.trunk.level_channels["high"]


@pytest.mark.parametrize("name, stems, fusion", [
    ("maskreid_base", ("rgb",), False), ("maskreid_m", ("rgb", "masked"), False),
    ("maskreid_mf", ("rgb", "masked"), True), ("maskreid_masked_only", ("masked",), False)])
def test_variants_match_table_1(name, stems, fusion):
    # MaskReID sec. 1/3 and the Table 1 discussion: M = DGD + the masked image as an
    # *additional* input (two stems), MF = M + the skipped fusing layer.
    model = MODELS[name](3, size="small")
    assert (model.stem_rgb is not None, model.stem_masked is not None) == ("rgb" in stems, "masked" in stems)
    assert model.fusion is fusion
    mf = MODELS["maskreid_mf"](3, size="small")
    if name == "maskreid_m":  # M and MF differ only in the fusing layer
        assert model.trunk.level_channels == mf.trunk.level_channels
        assert sum(p.numel() for n, p in model.named_parameters() if not n.startswith("fuse")) == \
            sum(p.numel() for n, p in mf.named_parameters() if not n.startswith("fuse"))


def _background_changes_features(name):
    torch.manual_seed(0)
    model = MODELS[name](5, size="small").eval()
    x, mask = _batch(2, SMALL_HW)
    x2 = torch.where(mask > 0, x, torch.randn_like(x) * 3)
    assert not torch.equal(x, x2)
    with torch.no_grad():
        a, b = model(x, mask), model(x2, mask)
    return a, b


def test_masked_only_variant_ignores_unmasked_background():
    a, b = _background_changes_features("maskreid_masked_only")
    torch.testing.assert_close(a["features"], b["features"], rtol=0, atol=0)
    torch.testing.assert_close(a["logits"], b["logits"], rtol=0, atol=0)


@pytest.mark.parametrize("name", ["maskreid_m", "maskreid_mf"])
def test_m_and_mf_see_the_original_image_too(name):
    # fails on the old maskreid_m (masked image only): the background never reached it
    a, b = _background_changes_features(name)
    assert not torch.allclose(a["features"], b["features"])


@pytest.mark.parametrize("name", ["maskreid_m", "maskreid_mf", "maskreid_masked_only"])
def test_m_and_mf_use_the_mask(name):
    torch.manual_seed(0)
    model = MODELS[name](5, size="small").eval()
    x, mask = _batch(2, SMALL_HW)
    with torch.no_grad():
        a, b = model(x, mask)["features"], model(x, torch.ones_like(mask))["features"]
    assert not torch.allclose(a, b)


def test_base_needs_no_mask_and_masked_variants_do():
    x, _ = _batch(2, SMALL_HW)
    MODELS["maskreid_base"](3, size="small").eval()(x)
    for name in ("maskreid_m", "maskreid_mf", "maskreid_masked_only"):
        with pytest.raises(ValueError, match="needs mask"):
            MODELS[name](3, size="small").eval()(x)


def test_one_step_decreases_loss():
    torch.manual_seed(0)
    model = MODELS["maskreid_mf"](4, size="small", dropout=0.0)
    x, mask = _batch(8, SMALL_HW, seed=1)
    y = torch.arange(8) % 4
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(2):
        loss = F.cross_entropy(model(x, mask)["logits"], y)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert losses[1] < losses[0]


@pytest.mark.parametrize("kwargs, match", [
    ({"inputs": "depth"}, "valid"),
    ({"dropout": 1.5}, "dropout"),
    ({"feat_dim": 0}, ">= 1"),
    ({"width": 0.0}, "width"),
])
def test_bad_params_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MODELS["maskreid_mf"](3, size="small", **kwargs)


def test_bad_size_and_shapes_raise():
    with pytest.raises(ValueError, match="valid sizes"):
        MODELS["maskreid_mf"](3, size="huge")
    model = MaskReID(3, width=0.25, stem_channels=8).eval()
    x, mask = _batch(2, SMALL_HW)
    with pytest.raises(ValueError, match=r"mask must be \[B,1,H,W\]"):
        model(x, mask[:, :, :10])
    with pytest.raises(ValueError, match=r"\[B,3,H,W\]"):
        model(x[:, :2], mask)
