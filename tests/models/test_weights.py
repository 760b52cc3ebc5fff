"""Local pretrained weights: checksum, corrupt files, partial and adapted loading."""
import hashlib

import pytest
import torch
import torchvision

from reidlib.models.backbones import ResNetBackbone
from reidlib.models.ide import IDE
from reidlib.models.inputs import InputTrunk
from reidlib.models.mpm import MPM
from reidlib.models.weights import adapt_tensor, load_backbone_weights, load_weights, read_state_dict


@pytest.fixture()
def tv18(tmp_path):
    torch.manual_seed(0)
    net = torchvision.models.resnet18()
    path = tmp_path / "resnet18.pth"
    torch.save(net.state_dict(), path)
    return net.state_dict(), path


def test_torchvision_checkpoint_loads_fully(tv18):
    ref, path = tv18
    backbone = ResNetBackbone("resnet18")
    report = load_backbone_weights(backbone, path)
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not report.missing and not report.mismatched and not report.adapted
    assert report.unexpected == ["fc.bias", "fc.weight"]
    got = backbone.state_dict()
    for k, v in ref.items():
        if not k.startswith("fc."):
            assert torch.equal(got["stem." + k if k.split(".")[0] in ("conv1", "bn1") else k], v)


@pytest.fixture()
def small_file(tmp_path):
    path = tmp_path / "small.pth"
    torch.save(ResNetBackbone("resnet18_half").state_dict(), path)
    return path


def test_checksum_given_and_from_torchvision_name(small_file, tmp_path):
    path = small_file
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    load_backbone_weights(ResNetBackbone("resnet18_half"), path, sha256=digest.upper())
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_backbone_weights(ResNetBackbone("resnet18_half"), path, sha256="0" * 64)
    named = tmp_path / f"resnet18-{digest[:8]}.pth"
    named.write_bytes(path.read_bytes())
    read_state_dict(named)
    wrong = tmp_path / "resnet18-deadbeef.pth"
    wrong.write_bytes(path.read_bytes())
    with pytest.raises(ValueError, match="deadbeef"):
        read_state_dict(wrong)


def test_missing_and_corrupt_files(tmp_path, small_file):
    with pytest.raises(FileNotFoundError, match="never downloads"):
        read_state_dict(tmp_path / "nope.pth")
    good = small_file
    bad = tmp_path / "bad.pth"
    bad.write_bytes(good.read_bytes()[:5000])
    with pytest.raises(ValueError, match="corrupt"):
        read_state_dict(bad)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="corrupt"):
        read_state_dict(junk)


def test_adapt_to_mpm_stem_rgbm_and_mask_only(tv18):
    ref, path = tv18
    w = ref["conv1.weight"]
    mpm = MPM(5, backbone="resnet18", pretrained=str(path))
    assert mpm.load_report.adapted["stem.conv1.weight"] == ((64, 3, 7, 7), (63, 3, 7, 7))
    assert torch.equal(mpm.trunk.backbone.stem.conv1.weight, w[:63])
    assert torch.equal(mpm.trunk.backbone.stem.bn1.running_var, ref["bn1.running_var"][:63])
    assert torch.equal(mpm.trunk.backbone.layer1[0].conv1.weight, ref["layer1.0.conv1.weight"])
    rgbm = IDE(5, backbone="resnet18", input_kind="rgbm", pretrained=path)
    w4 = rgbm.trunk.backbone.stem.conv1.weight
    assert torch.equal(w4[:, :3], w) and torch.count_nonzero(w4[:, 3]) == 0
    only = InputTrunk("mask_only", "resnet18")
    load_backbone_weights(only.backbone, path)
    assert torch.allclose(only.backbone.stem.conv1.weight, w.sum(1, keepdim=True))


def test_mismatched_and_strict(tmp_path):
    src = IDE(7, backbone="resnet18_half")
    path = tmp_path / "ide.pth"
    torch.save({"state_dict": {"module." + k: v for k, v in src.state_dict().items()}}, path)
    dst = IDE(3, backbone="resnet18_half")
    report = load_weights(dst, path)
    assert set(report.mismatched) == {"classifier.weight", "classifier.bias"}
    assert torch.equal(dst.trunk.backbone.layer4[1].conv2.weight, src.trunk.backbone.layer4[1].conv2.weight)
    with pytest.raises(ValueError, match="strict load failed"):
        load_weights(IDE(3, backbone="resnet18_half"), path, strict=True)
    assert adapt_tensor(torch.zeros(3, 3), (4, 4)) is None
    assert adapt_tensor(torch.arange(5.0), (3,), slice_1d=False) is None
