"""SemParts: semantic part classifier and part features (SemParts eq. 1-4)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from reidlib.models.backbones import ResNetBackbone, backbone_for_size
from reidlib.models.semparts import MODELS, part_pool
from reidlib.models.weights import file_sha256

SMALL_HW = (64, 32)


def _x(b: int, hw: tuple[int, int], seed: int = 0) -> torch.Tensor:
    return torch.randn(b, 3, *hw, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("size, hw", [("small", SMALL_HW), ("paper", (256, 128))])
def test_output_shapes(size, hw):
    c = 2048 if size == "paper" else ResNetBackbone(backbone_for_size("small")).out_channels
    model = MODELS["semparts"](5, size=size).eval()
    assert model.channels == c
    with torch.no_grad():
        out = model(_x(1, hw))
    h, w = hw[0] // 32, hw[1] // 32
    assert out["part_logits"].shape == (1, 4, h, w)
    assert [p.shape for p in out["parts"]] == [(1, c)] * 3
    assert [lg.shape for lg in out["logits"]] == [(1, 5)] * 4
    assert out["features"].shape == (1, 4 * c)
    assert out["background"].shape == (1, c)


def _brute_force_parts(m_g: torch.Tensor, part_logits: torch.Tensor, weighted: bool) -> torch.Tensor:
    """Eq. 2 by loops: f_k[c] = sum_{y,x} P_k(y,x) M_g(c,y,x) / (h w)  (or / sum P_k)."""
    b, c, h, w = m_g.shape
    k_n = part_logits.shape[1]
    out = torch.zeros(b, k_n, c, dtype=torch.float64)
    for i in range(b):
        for y in range(h):
            for x in range(w):
                z = [part_logits[i, k, y, x].item() for k in range(k_n)]
                mx = max(z)
                e = [torch.tensor(v - mx, dtype=torch.float64).exp().item() for v in z]
                p = [v / sum(e) for v in e]
                for k in range(k_n):
                    out[i, k] += p[k] * m_g[i, :, y, x].double()
        if weighted:
            for k in range(k_n):
                total = sum(torch.softmax(part_logits[i].double(), 0)[k].flatten().tolist())
                out[i, k] /= total + 1e-6
        else:
            out[i] /= h * w
    return out


@pytest.mark.parametrize("pooling", ["avg", "weighted"])
def test_part_features_equal_loop_of_eq2(pooling):
    torch.manual_seed(0)
    model = MODELS["semparts"](5, size="small", pooling=pooling).eval()
    seen = {}
    model.backbone.register_forward_hook(lambda m, i, o: seen.__setitem__("m_g", o))
    with torch.no_grad():
        out = model(_x(2, SMALL_HW))
    expected = _brute_force_parts(seen["m_g"], out["part_logits"], pooling == "weighted").float()
    for j, k in enumerate((1, 2, 3)):  # parts = head, upper, lower = label channels 1..3
        torch.testing.assert_close(out["parts"][j], expected[:, k], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(out["background"], expected[:, 0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(out["global"], seen["m_g"].mean(dim=(2, 3)))
    torch.testing.assert_close(out["features"], torch.cat([out["global"], *out["parts"]], 1), rtol=0, atol=0)


def test_logits_are_global_then_parts_classifiers():
    model = MODELS["semparts"](5, size="small", retrieval="global").eval()
    with torch.no_grad():
        out = model(_x(2, SMALL_HW))
    feats = [out["global"], *out["parts"]]
    for clf, f, lg in zip(model.classifiers, feats, out["logits"]):
        torch.testing.assert_close(lg, clf(f), rtol=0, atol=0)
    torch.testing.assert_close(out["features"], out["global"], rtol=0, atol=0)


def test_one_step_decreases_loss():
    torch.manual_seed(0)
    model = MODELS["semparts"](4, size="small")
    x = _x(8, SMALL_HW, seed=1)
    y = torch.arange(8) % 4
    parts = torch.randint(0, 4, (8, 2, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    losses = []
    for _ in range(2):
        out = model(x)
        loss = sum(F.cross_entropy(lg, y) for lg in out["logits"])
        loss = loss + F.cross_entropy(out["part_logits"], parts)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert losses[1] < losses[0]


def test_pretrained_loads_from_local_file_with_checksum(tmp_path):
    import torchvision

    with torch.device("meta"):  # key names and shapes only, no slow init
        shapes = {k: v.shape for k, v in torchvision.models.resnet50().state_dict().items()}
    g = torch.Generator().manual_seed(0)
    state = {k: (torch.randn(s, generator=g) if s else torch.tensor(7)) for k, s in shapes.items()}
    path = tmp_path / "r50.pth"
    torch.save(state, path)
    model = MODELS["semparts"](3, size="paper", pretrained=str(path))
    assert model.load_report.sha256 == file_sha256(path)
    assert not model.load_report.missing
    torch.testing.assert_close(model.backbone.stem.conv1.weight, state["conv1.weight"], rtol=0, atol=0)
    torch.testing.assert_close(model.backbone.layer4[2].bn3.running_var, state["layer4.2.bn3.running_var"],
                               rtol=0, atol=0)


def test_last_stride_one_doubles_the_map():
    model = MODELS["semparts"](3, size="small", last_stride=1).eval()
    with torch.no_grad():
        assert model(_x(1, SMALL_HW))["part_logits"].shape == (1, 4, 4, 2)


def test_bad_params_raise():
    with pytest.raises(ValueError, match="valid sizes"):
        MODELS["semparts"](3, size="huge")
    with pytest.raises(ValueError, match="valid"):
        MODELS["semparts"](3, pooling="max")
    with pytest.raises(ValueError, match="valid"):
        MODELS["semparts"](3, retrieval="parts")
    with pytest.raises(ValueError, match="last_stride"):
        MODELS["semparts"](3, last_stride=3)
    with pytest.raises(KeyError, match="valid backbones"):
        MODELS["semparts"](3, backbone="vgg16")
    with pytest.raises(ValueError, match=r"\[B,3,H,W\]"):
        MODELS["semparts"](3).eval()(torch.randn(1, 4, *SMALL_HW))
    with pytest.raises(ValueError, match="valid"):
        part_pool(torch.randn(1, 2, 3, 3), torch.rand(1, 4, 3, 3), "sum")
