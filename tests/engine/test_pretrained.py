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
