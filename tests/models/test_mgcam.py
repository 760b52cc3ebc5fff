"""MSCAN-body and MGCAM (MGCAM sec. 3.1-3.2, eq. 1-4, Table 2)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from reidlib.models.mgcam import MODELS as MGCAM_MODELS
from reidlib.models.mgcam import resize_mask
from reidlib.models.mscan import INPUT_KINDS, PAPER_INPUT_SIZE
from reidlib.models.mscan import MODELS as MSCAN_MODELS

SMALL_HW = (64, 32)
ALL = {**MSCAN_MODELS, **MGCAM_MODELS}


def _batch(b: int, hw: tuple[int, int], seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, 3, *hw, generator=g)
    mask = (torch.rand(b, 1, *hw, generator=g) > 0.4).float()
    return x, mask


@pytest.mark.parametrize("size", ["small", "paper"])
@pytest.mark.parametrize("kind", sorted(INPUT_KINDS))
def test_mscan_shapes(size, kind):
    hw = PAPER_INPUT_SIZE if size == "paper" else SMALL_HW
    model = MSCAN_MODELS["mscan"](6, size=size, input_kind=kind).eval()
    x, mask = _batch(2, hw)
    with torch.no_grad():
        out = model(x, mask)
    assert out["features"].shape == (2, 128)
    assert out["logits"].shape == (2, 6)


def test_mscan_paper_stage2_map_is_96x40x16():
    model = MSCAN_MODELS["mscan"](3, size="paper", input_kind="rgbm").eval()
    with torch.no_grad():
        f = model.stem(torch.randn(1, 4, *PAPER_INPUT_SIZE))
    assert f.shape == (1, 96, 40, 16)  # f_stage-2 size given in MGCAM sec. 3.1


def test_mscan_mask_input_ignores_rgb():
    model = MSCAN_MODELS["mscan"](3, size="small", input_kind="mask").eval()
    x, mask = _batch(2, SMALL_HW)
    with torch.no_grad():
        a, b = model(x, mask)["features"], model(torch.randn_like(x), mask)["features"]
    torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("name", sorted(MGCAM_MODELS))
@pytest.mark.parametrize("size", ["small", "paper"])
def test_mgcam_shapes_and_attention(name, size):
    hw = PAPER_INPUT_SIZE if size == "paper" else SMALL_HW
    model = MGCAM_MODELS[name](6, size=size).eval()
    x, mask = _batch(2, hw)
    with torch.no_grad():
        out = model(x, mask)
    h, w = hw[0] // 4, hw[1] // 4
    assert out["features"].shape == (2, 128)
    assert [t.shape for t in out["logits"]] == [(2, 6)] * 3
    assert sorted(out["streams"]) == ["background", "body", "full"]
    assert all(v.shape == (2, 128) for v in out["streams"].values())
    torch.testing.assert_close(out["features"], out["streams"]["full"], rtol=0, atol=0)
    phi = out["attention"]
    assert phi.shape == (2, 1, h, w)
    assert phi.min() >= 0 and phi.max() <= 1
    torch.testing.assert_close(out["attention_neg"], 1 - phi, rtol=0, atol=0)


def test_hard_attention_is_block_mean_threshold_of_mask():
    model = MGCAM_MODELS["mgcam_hard"](4, size="small").eval()
    x, mask = _batch(2, SMALL_HW, seed=3)
    with torch.no_grad():
        phi = model(x, mask)["attention"]
    b, _, h, w = phi.shape
    sh, sw = SMALL_HW[0] // h, SMALL_HW[1] // w
    expected = torch.zeros(b, 1, h, w)
    for i in range(b):
        for y in range(h):
            for xx in range(w):
                block = mask[i, 0, y * sh:(y + 1) * sh, xx * sw:(xx + 1) * sw]
                expected[i, 0, y, xx] = float(block.sum().item() / block.numel() > 0.5)
    torch.testing.assert_close(phi, expected, rtol=0, atol=0)
    torch.testing.assert_close(resize_mask(mask, (h, w)), expected, rtol=0, atol=0)


@pytest.mark.parametrize("name", sorted(MGCAM_MODELS))
def test_streams_get_attended_stage2_features(name):
    model = MGCAM_MODELS[name](4, size="small").eval()
    seen = {}
    model.stem.register_forward_hook(lambda m, i, o: seen.__setitem__("f", o))
    for s in ("full", "body", "background"):
        model.heads[s].register_forward_pre_hook(lambda m, i, s=s: seen.__setitem__(s, i[0]))
    x, mask = _batch(2, SMALL_HW)
    with torch.no_grad():
        out = model(x, mask)
    f, phi = seen["f"], out["attention"]
    torch.testing.assert_close(seen["full"], f, rtol=0, atol=0)
    torch.testing.assert_close(seen["body"], f * phi)          # eq. 3
    torch.testing.assert_close(seen["background"], f * (1 - phi))  # eq. 4


def test_retrieval_full_plus_body_concatenates():
    model = MGCAM_MODELS["mgcam"](4, size="small", retrieval="full+body").eval()
    x, mask = _batch(2, SMALL_HW)
    with torch.no_grad():
        out = model(x, mask)
    expected = torch.cat([out["streams"]["full"], out["streams"]["body"]], dim=1)
    torch.testing.assert_close(out["features"], expected, rtol=0, atol=0)


def test_rgb_soft_mgcam_runs_without_mask():
    model = MGCAM_MODELS["mgcam"](4, size="small", input_kind="rgb").eval()
    x, _ = _batch(2, SMALL_HW)
    assert model(x)["features"].shape == (2, 128)


def test_one_step_decreases_loss():
    torch.manual_seed(0)
    model = MGCAM_MODELS["mgcam"](4, size="small", dropout=0.0)
    x, mask = _batch(8, SMALL_HW, seed=2)
    y = torch.arange(8) % 4
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(2):
        out = model(x, mask)
        target = resize_mask(mask, out["attention"].shape[2:])
        loss = sum(F.cross_entropy(lg, y) for lg in out["logits"]) + F.mse_loss(out["attention"], target)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert losses[1] < losses[0]


def test_bad_params_raise():
    x, mask = _batch(2, SMALL_HW)
    with pytest.raises(ValueError, match="valid"):
        MSCAN_MODELS["mscan"](3, input_kind="depth")
    with pytest.raises(ValueError, match="valid"):
        MGCAM_MODELS["mgcam"](3, attention="medium")
    with pytest.raises(ValueError, match="valid"):
        MGCAM_MODELS["mgcam"](3, input_kind="mask")
    with pytest.raises(ValueError, match="valid"):
        MGCAM_MODELS["mgcam"](3, retrieval="body")
    with pytest.raises(ValueError, match="valid sizes"):
        ALL["mgcam"](3, size="tiny")
    with pytest.raises(ValueError, match="dropout"):
        MSCAN_MODELS["mscan"](3, dropout=1.0)
    with pytest.raises(ValueError, match="needs mask"):
        MGCAM_MODELS["mgcam_hard"](3, input_kind="rgb").eval()(x)
    with pytest.raises(ValueError, match="needs mask"):
        MGCAM_MODELS["mgcam"](3).eval()(x)
    with pytest.raises(ValueError, match=r"mask must be \[B,1,H,W\]"):
        MGCAM_MODELS["mgcam"](3).eval()(x, mask[:1])


def test_soft_attention_is_sigmoid_of_a_3x3_conv_by_loop():
    # MGCAM eq. 1: Phi+ = sigmoid(W * f_stage-2 + b), W a 3x3 conv (padding 1) to one map;
    # eq. 2: Phi- = 1 - Phi+. Literal loop over channels and the zero-padded 3x3 window.
    model = MGCAM_MODELS["mgcam"](4, size="small").eval()
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        model.att_conv.weight.copy_(torch.randn(model.att_conv.weight.shape, generator=g) * 0.1)
        model.att_conv.bias.fill_(-0.3)
    seen = {}
    model.stem.register_forward_hook(lambda m, i, o: seen.__setitem__("f", o))
    x, mask = _batch(1, (32, 16), seed=4)
    with torch.no_grad():
        out = model(x, mask)
    f, w = seen["f"][0].double().tolist(), model.att_conv.weight[0].double().tolist()
    c, h, wd = len(f), len(f[0]), len(f[0][0])
    phi = torch.zeros(1, 1, h, wd, dtype=torch.float64)
    for i in range(h):
        for j in range(wd):
            s = -0.3
            for ch in range(c):
                for di in range(3):
                    for dj in range(3):
                        y, xx = i + di - 1, j + dj - 1
                        if 0 <= y < h and 0 <= xx < wd:
                            s += w[ch][di][dj] * f[ch][y][xx]
            phi[0, 0, i, j] = 1.0 / (1.0 + math.exp(-s))
    torch.testing.assert_close(out["attention"].double(), phi, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out["attention_neg"].double(), 1.0 - phi, rtol=1e-5, atol=1e-6)
