"""Model registry and build_model (CONTRIBUTING.md, models)."""
import inspect

import pytest
import torch

from reidlib.models import MODELS, build_model, list_models
from reidlib.models.ide import IDE_MODELS
from reidlib.models.mpm import MPM_MODELS


def test_families_merged():
    for family in (IDE_MODELS, MPM_MODELS):
        assert set(family) <= set(MODELS)
    for name in ("mpm", "ide_rgb", "maskreid_mf", "mgcam", "mscan", "semparts"):
        assert name in MODELS
    assert list_models() == sorted(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_small_on_rgbm(name):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 96, 32)
    mask = (torch.rand(2, 1, 96, 32) > 0.5).float()
    out = build_model(name, 4, size="small")(x, mask)
    assert out["features"].dim() == 2 and out["features"].shape[0] == 2
    logits = out["logits"] if isinstance(out["logits"], list) else [out["logits"]]
    assert all(lg.shape == (2, 4) for lg in logits)


def test_unknown_name_lists_valid():
    with pytest.raises(KeyError) as err:
        build_model("resnet1000", 4)
    assert "mpm" in str(err.value) and "ide_rgb" in str(err.value)


def test_unknown_kwargs_and_size():
    with pytest.raises(TypeError, match=r"\['treshold'\].*'threshold'"):
        build_model("mpm", 4, treshold=0.5)
    with pytest.raises(ValueError, match="'small', 'paper'"):
        build_model("mpm", 4, size="tiny")


def test_kwargs_reach_the_model():
    model = build_model("mpm", 4, parts=3, threshold=0.7, dim=32)
    assert model.head.num_parts == 3 and model.head.dim == 32
    assert model.trunk.backbone.stem.mask_pool1.threshold == 0.7
    assert "input_kind" in inspect.signature(MODELS["ide_rgb"]).parameters
