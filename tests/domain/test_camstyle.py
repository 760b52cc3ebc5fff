"""Camera-style stand-in: statistics transfer and ECN's per-image camera draw."""
import warnings

import pytest
import torch

from reidlib.domain.camstyle import FolderCamStyle, StatsCamStyle, camstyle_batch


def _images():
    g = torch.Generator().manual_seed(0)
    a = (torch.rand(6, 3, 8, 4, generator=g) * 60 + 40)   # camera 0: dark
    b = (torch.rand(5, 3, 8, 4, generator=g) * 80 + 120)  # camera 1: bright
    b[:, 2] *= 0.5                                        # and a colour cast
    return torch.cat([a, b]).round().to(torch.uint8), torch.tensor([0] * 6 + [1] * 5)


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_transfer_maps_camera_statistics(space):
    imgs, cams = _images()
    st = StatsCamStyle(space).fit(imgs, cams)
    src = imgs[cams == 0]
    out = st.transfer(src, torch.zeros(6, dtype=torch.long), torch.ones(6, dtype=torch.long))
    x = st._to(out).permute(1, 0, 2, 3).reshape(3, -1)
    tol = 0.6 if space == "rgb" else 1.0  # rounding to uint8 (and Lab round-trip)
    assert torch.allclose(x.mean(1), st.mean[1], atol=tol)
    ref = st._to(imgs[cams == 1]).permute(1, 0, 2, 3).reshape(3, -1)
    assert torch.allclose(st.mean[1], ref.mean(1), atol=1e-3)
    same = st.transfer(src, torch.zeros(6, dtype=torch.long), torch.zeros(6, dtype=torch.long))
    assert torch.equal(same, src)


def test_errors_and_one_camera_warning(tmp_path):
    with pytest.raises(ValueError, match="colour space"):
        StatsCamStyle("hsv")
    with pytest.raises(RuntimeError, match="fit"):
        StatsCamStyle().transfer(torch.zeros(1, 3, 2, 2, dtype=torch.uint8), torch.tensor([0]), torch.tensor([1]))
    imgs, cams = _images()
    with pytest.warns(RuntimeWarning, match="one camera"):
        out = camstyle_batch(imgs, torch.zeros(11, dtype=torch.long), torch.arange(11), StatsCamStyle(), 1)
    assert torch.equal(out, imgs)
    with pytest.raises(FileNotFoundError, match="camstyle folder"):
        FolderCamStyle(tmp_path / "missing", [], (8, 4))


def test_folder_camstyle_reads_camstyle_names(tmp_path):
    from PIL import Image

    Image.new("RGB", (4, 8), (10, 200, 30)).save(tmp_path / "0001_c1s1_000001_00_fake_1to2.jpg", quality=100)
    fc = FolderCamStyle(tmp_path, [{"path": "/x/0001_c1s1_000001_00.jpg"}], (8, 4))
    imgs = torch.zeros(1, 3, 8, 4, dtype=torch.uint8)
    out = fc.transfer(imgs, torch.tensor([0]), torch.tensor([1]), torch.tensor([0]))
    assert abs(int(out[0, 1, 4, 2]) - 200) < 6
    with pytest.raises(FileNotFoundError, match="fake_1to3"):
        fc.transfer(imgs, torch.tensor([0]), torch.tensor([2]), torch.tensor([0]))
