"""Camera-style transfer for ECN's camera-invariance (ECN sec. 3.3, CamStyle).

ECN learns camera-invariance from target images re-rendered in the style of every
other target camera by a StarGAN/CycleGAN (CamStyle). **This module's default is a
stand-in, not a GAN**: :class:`StatsCamStyle` transfers per-camera colour and tone
statistics, i.e. for an image of camera ``c`` sent to camera ``d``, per channel::

    y = (x - mu_c) / sigma_c * sigma_d + mu_d          (clamped to [0, 255])

with ``mu``, ``sigma`` the per-channel mean / std of all target *training* pixels of
each camera (``space="rgb"``; ``space="lab"`` does the same in CIE Lab, Reinhard et al.
2001). It changes illumination and colour cast, not the viewpoint or the background.

Pluggable: :class:`FolderCamStyle` reads GAN-generated images with CamStyle's naming
``<stem>_fake_<c+1>to<d+1>.jpg`` from a folder (ECN's ``bounding_box_train_camstyle``);
any object with ``transfer(images, src_cams, dst_cams, indices) -> images`` works.
:func:`camstyle_batch` applies ECN's sampling: each target image is replaced by its
version in a camera drawn uniformly from all cameras (its own = unchanged).
Images are uint8 ``[B,3,H,W]`` (before normalisation).
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np
import torch
from torch import Tensor

SPACES = ("rgb", "lab")
_M = torch.tensor([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                   [0.019334, 0.119193, 0.950227]])
_WHITE = _M.sum(dim=1)


def _srgb_to_lab(x: Tensor) -> Tensor:
    """``[B,3,H,W]`` in [0,1] -> CIE Lab (D65)."""
    lin = torch.where(x > 0.04045, ((x + 0.055) / 1.055) ** 2.4, x / 12.92)
    xyz = torch.einsum("ij,bjhw->bihw", _M, lin) / _WHITE.view(1, 3, 1, 1)
    f = torch.where(xyz > 0.008856, xyz.clamp_min(1e-12) ** (1 / 3), 7.787 * xyz + 16 / 116)
    return torch.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], 1)


def _lab_to_srgb(lab: Tensor) -> Tensor:
    fy = (lab[:, 0] + 16) / 116
    f = torch.stack([fy + lab[:, 1] / 500, fy, fy - lab[:, 2] / 200], 1)
    xyz = torch.where(f > 0.206893, f ** 3, (f - 16 / 116) / 7.787) * _WHITE.view(1, 3, 1, 1)
    lin = torch.einsum("ij,bjhw->bihw", torch.linalg.inv(_M), xyz).clamp(0, 1)
    return torch.where(lin > 0.0031308, 1.055 * lin ** (1 / 2.4) - 0.055, 12.92 * lin)


class CamStyle(Protocol):
    def transfer(self, images: Tensor, src_cams: Tensor, dst_cams: Tensor, indices: Tensor) -> Tensor: ...


class StatsCamStyle:
    """Per-camera channel mean/std transfer (a stand-in for CamStyle's GAN; module docstring)."""

    def __init__(self, space: str = "rgb", eps: float = 1e-3) -> None:
        if space not in SPACES:
            raise ValueError(f"unknown colour space {space!r}; valid: {', '.join(SPACES)}")
        self.space, self.eps = space, float(eps)
        self.mean: Tensor | None = None
        self.std: Tensor | None = None

    def _to(self, images: Tensor) -> Tensor:
        x = images.float()
        return _srgb_to_lab(x / 255.0) if self.space == "lab" else x

    def _from(self, x: Tensor) -> Tensor:
        x = _lab_to_srgb(x) * 255.0 if self.space == "lab" else x
        return x.round().clamp(0, 255).to(torch.uint8)

    def fit(self, images: Tensor, camids: Tensor | Sequence[int], num_cams: int | None = None) -> "StatsCamStyle":
        """Per-camera statistics from target training images uint8 ``[N,3,H,W]``."""
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"images must be [N,3,H,W] uint8, got {tuple(images.shape)}")
        cams = torch.as_tensor(camids, dtype=torch.long)
        c = int(num_cams if num_cams is not None else int(cams.max()) + 1)
        self.mean, self.std = torch.zeros(c, 3), torch.ones(c, 3)
        for cam in range(c):
            sel = cams == cam
            if not bool(sel.any()):
                continue  # a camera without training images keeps the identity statistics
            x = self._to(images[sel]).permute(1, 0, 2, 3).reshape(3, -1)
            self.mean[cam], self.std[cam] = x.mean(1), x.std(1, unbiased=False).clamp_min(self.eps)
        return self

    def transfer(self, images: Tensor, src_cams: Tensor, dst_cams: Tensor, indices: Tensor | None = None) -> Tensor:
        if self.mean is None or self.std is None:
            raise RuntimeError("StatsCamStyle is not fitted: call fit(target_train_images, camids) first")
        s, d = src_cams.long(), dst_cams.long()
        if int(torch.maximum(s, d).max()) >= self.mean.shape[0]:
            raise IndexError(f"camera id beyond the {self.mean.shape[0]} fitted cameras")
        x = self._to(images)
        ms, ss = self.mean[s].view(-1, 3, 1, 1), self.std[s].view(-1, 3, 1, 1)
        md, sd = self.mean[d].view(-1, 3, 1, 1), self.std[d].view(-1, 3, 1, 1)
        y = self._from((x - ms) / ss * sd + md)
        same = (s == d).view(-1, 1, 1, 1)
        return torch.where(same, images, y)


class FolderCamStyle:
    """GAN-generated images named ``<stem>_fake_<c+1>to<d+1>.jpg`` (CamStyle/ECN layout)."""

    def __init__(self, root: str | os.PathLike, records: Sequence[dict[str, Any]], size: Sequence[int]) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"camstyle folder not found: {self.root}; generate it with CamStyle "
                                    "(<stem>_fake_<c+1>to<d+1>.jpg) or use camstyle='stats'")
        self.stems = [Path(r["path"]).stem for r in records]
        self.size = (int(size[0]), int(size[1]))

    def path(self, index: int, src: int, dst: int) -> Path:
        return self.root / f"{self.stems[index]}_fake_{src + 1}to{dst + 1}.jpg"

    def transfer(self, images: Tensor, src_cams: Tensor, dst_cams: Tensor, indices: Tensor) -> Tensor:
        from PIL import Image

        out = images.clone()
        for b, (i, s, d) in enumerate(zip(indices.tolist(), src_cams.tolist(), dst_cams.tolist())):
            if s == d:
                continue
            p = self.path(i, s, d)
            if not p.is_file():
                raise FileNotFoundError(f"camstyle image missing: {p} (expected for every image and camera pair)")
            with Image.open(p) as im:
                im = im.convert("RGB").resize((self.size[1], self.size[0]), Image.BILINEAR)
                out[b] = torch.from_numpy(np.asarray(im, dtype=np.uint8).transpose(2, 0, 1).copy())
        return out


def camstyle_batch(images: Tensor, camids: Tensor, indices: Tensor, style: CamStyle, num_cams: int,
                   generator: torch.Generator | None = None) -> Tensor:
    """ECN's camera-invariance input: each image in a uniformly drawn camera's style."""
    if num_cams < 2:
        warnings.warn("target domain has one camera: camera-invariance is skipped (ECN needs >= 2 "
                      "cameras to transfer styles); only exemplar/neighbourhood invariance remain",
                      RuntimeWarning, stacklevel=2)
        return images
    dst = torch.randint(0, num_cams, (images.shape[0],), generator=generator)
    return style.transfer(images, camids.long(), dst, indices)
