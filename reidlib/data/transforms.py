"""Paired, batched augmentation for re-ID batches (image + mask + part map).

Every *geometric* transform (resize, random crop with padding, horizontal flip)
is applied identically to the image, its person mask and its body-part map, so
the mask stays aligned with the pixels it describes (MPM-LTL sec. III-A feeds
the mask as a 4th channel; MGCAM eq. 5 regresses attention to it; SemParts
sec. III-B supervises the part classifier with the part map). Photometric
transforms (random erasing, normalisation) touch the image only.

Transforms work on a *batch dict* of tensors, the format produced by
:class:`reidlib.data.image_dataset.ImageDataset`:

``image`` uint8 ``[B,3,H,W]``  ``mask`` uint8 ``[B,1,H,W]`` (0/1)
``parts`` uint8 ``[B,1,H,W]`` (labels 0..3); ``mask``/``parts`` may be absent/None.

After :class:`Normalize`: ``image`` float ``[B,3,H,W]`` (ImageNet-normalised),
``mask`` float ``[B,1,H,W]`` in {0,1}, ``parts`` long ``[B,1,H,W]``.

Randomness comes only from the ``generator`` argument, so a training loop that
seeds it per step gets bit-identical augmentation after a resume.

Choices where the papers are vague: random crop pads with zeros by ``padding``
pixels (torchreid convention, 10 px at 256x128) and crops back to the input
size; random erasing (Zhong et al., used by SemParts) fills with the dataset
mean, i.e. zero after normalisation, with area in [0.02, 0.4] and aspect in
[0.3, 3.3] (the original paper's defaults), one rectangle per image.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

Batch = dict[str, Any]
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PAIRED_KEYS = ("mask", "parts")


def _check_image(batch: Batch) -> torch.Tensor:
    img = batch.get("image")
    if not isinstance(img, torch.Tensor) or img.dim() != 4:
        shape = getattr(img, "shape", None)
        raise ValueError(f"batch['image'] must be a [B,C,H,W] tensor, got {type(img).__name__} {shape}")
    return img


def _paired(batch: Batch) -> list[str]:
    return [k for k in PAIRED_KEYS if isinstance(batch.get(k), torch.Tensor)]


class Resize:
    """Resize to ``size=(H, W)``: bilinear for the image, nearest for mask and parts."""

    def __init__(self, size: Sequence[int]):
        if len(size) != 2 or min(size) <= 0:
            raise ValueError(f"Resize size must be (H, W) with positive ints, got {size}")
        self.size = (int(size[0]), int(size[1]))

    def __call__(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        img = _check_image(batch)
        if tuple(img.shape[-2:]) == self.size:
            return batch
        out = dict(batch)
        x = F.interpolate(img.float(), size=self.size, mode="bilinear", align_corners=False,
                          antialias=True)
        out["image"] = x.round().clamp(0, 255).to(img.dtype) if img.dtype == torch.uint8 else x
        for k in _paired(batch):
            out[k] = F.interpolate(batch[k].float(), size=self.size, mode="nearest").to(batch[k].dtype)
        return out


class RandomCrop:
    """Zero-pad by ``padding`` px on each side, then crop each sample back to H x W at a
    random offset; the same offset is used for that sample's mask and parts."""

    def __init__(self, padding: int = 10, p: float = 1.0):
        if padding < 0 or not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomCrop needs padding >= 0 and 0 <= p <= 1, got {padding}, {p}")
        self.padding, self.p = int(padding), float(p)

    def __call__(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        img = _check_image(batch)
        if self.padding == 0 or self.p == 0.0:
            return batch
        b, _, h, w = img.shape
        pad = self.padding
        apply = torch.rand(b, generator=generator) < self.p
        oy = torch.randint(0, 2 * pad + 1, (b,), generator=generator)
        ox = torch.randint(0, 2 * pad + 1, (b,), generator=generator)
        out = dict(batch)
        for k in ["image", *_paired(batch)]:
            x = batch[k]
            xp = F.pad(x, (pad, pad, pad, pad))
            res = x.clone()
            for i in torch.nonzero(apply).flatten().tolist():
                y0, x0 = int(oy[i]), int(ox[i])
                res[i] = xp[i, :, y0:y0 + h, x0:x0 + w]
            out[k] = res
        return out


class RandomHorizontalFlip:
    """Flip each sample left-right with probability ``p`` (image, mask and parts together)."""

    def __init__(self, p: float = 0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip p must be in [0, 1], got {p}")
        self.p = float(p)

    def __call__(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        img = _check_image(batch)
        flip = (torch.rand(img.shape[0], generator=generator) < self.p).view(-1, 1, 1, 1).to(img.device)
        out = dict(batch)
        for k in ["image", *_paired(batch)]:
            out[k] = torch.where(flip, batch[k].flip(-1), batch[k])
        return out


class RandomErasing:
    """Random erasing (Zhong et al. 2020; SemParts sec. IV-A) on the image only.

    With probability ``p`` one rectangle of area ``U(area)`` x H x W and aspect ratio
    log-uniform in ``ratio`` is filled with ``fill`` (``"mean"``: the normalisation mean,
    i.e. 0 after :class:`Normalize`; ``"random"``: uniform noise; or a number 0..255).
    Up to 10 tries per image to fit the rectangle, as in the original.
    """

    def __init__(self, p: float = 0.5, area: tuple[float, float] = (0.02, 0.4),
                 ratio: tuple[float, float] = (0.3, 3.3), fill: str | float = "mean",
                 mean: Sequence[float] = IMAGENET_MEAN):
        if not 0.0 <= p <= 1.0 or not 0 < area[0] <= area[1] <= 1 or not 0 < ratio[0] <= ratio[1]:
            raise ValueError(f"RandomErasing got p={p}, area={area}, ratio={ratio}; need 0<=p<=1, "
                             "0<area_lo<=area_hi<=1, 0<ratio_lo<=ratio_hi")
        if isinstance(fill, str) and fill not in ("mean", "random"):
            raise ValueError(f"RandomErasing fill must be 'mean', 'random' or a number, got {fill!r}")
        self.p, self.area, self.ratio, self.fill, self.mean = p, area, ratio, fill, tuple(mean)

    def __call__(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        img = _check_image(batch)
        b, c, h, w = img.shape
        scale = 255.0 if img.dtype == torch.uint8 else 1.0
        res = img.clone()
        lr = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for i in range(b):
            if float(torch.rand(1, generator=generator)) >= self.p:
                continue
            for _ in range(10):
                u = torch.rand(3, generator=generator).tolist()
                target = (self.area[0] + u[0] * (self.area[1] - self.area[0])) * h * w
                aspect = math.exp(lr[0] + u[1] * (lr[1] - lr[0]))
                eh, ew = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
                if 0 < eh < h and 0 < ew < w:
                    y0 = int(torch.randint(0, h - eh + 1, (1,), generator=generator))
                    x0 = int(torch.randint(0, w - ew + 1, (1,), generator=generator))
                    res[i, :, y0:y0 + eh, x0:x0 + ew] = self._patch(c, eh, ew, scale, img.dtype, generator)
                    break
        out = dict(batch)
        out["image"] = res
        return out

    def _patch(self, c: int, eh: int, ew: int, scale: float, dtype: torch.dtype,
               generator: torch.Generator | None) -> torch.Tensor:
        if self.fill == "random":
            v = torch.rand(c, eh, ew, generator=generator) * scale
        elif self.fill == "mean":
            v = torch.tensor(self.mean[:c]).view(c, 1, 1).expand(c, eh, ew) * scale
        else:
            v = torch.full((c, eh, ew), float(self.fill) * scale / 255.0)
        return v.round().to(dtype) if dtype == torch.uint8 else v.to(dtype)


class Normalize:
    """uint8 -> float: image ``(x/255 - mean)/std``, mask to {0,1} float, parts to long."""

    def __init__(self, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD):
        if len(mean) != len(std) or min(std) <= 0:
            raise ValueError(f"Normalize needs mean/std of equal length and std > 0, got {mean}, {std}")
        self.mean, self.std = tuple(mean), tuple(std)

    def __call__(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        img = _check_image(batch)
        out = dict(batch)
        x = img.float() / 255.0 if img.dtype == torch.uint8 else img.float()
        mean = torch.tensor(self.mean, device=x.device).view(1, -1, 1, 1)
        std = torch.tensor(self.std, device=x.device).view(1, -1, 1, 1)
        out["image"] = (x - mean) / std
        if isinstance(batch.get("mask"), torch.Tensor):
            out["mask"] = (batch["mask"] > 0).float()
        if isinstance(batch.get("parts"), torch.Tensor):
            out["parts"] = batch["parts"].long()
        return out


class Compose:
    """Apply transforms in order with one shared generator."""

    def __init__(self, transforms: Sequence[Callable[..., Batch]]):
        self.transforms = list(transforms)

    def __call__(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        for t in self.transforms:
            batch = t(batch, generator)
        return batch


def build_transforms(size: Sequence[int], train: bool = True, padding: int = 10,
                     flip_p: float = 0.5, erase_p: float = 0.0,
                     mean: Sequence[float] = IMAGENET_MEAN,
                     std: Sequence[float] = IMAGENET_STD) -> Compose:
    """Standard pipeline: resize, [random crop, flip, erasing when ``train``], normalise.

    SemParts uses crop + flip + erasing (``erase_p=0.5``); the other papers crop and flip.
    """
    ts: list[Callable[..., Batch]] = [Resize(size)]
    if train:
        if padding > 0:
            ts.append(RandomCrop(padding))
        if flip_p > 0:
            ts.append(RandomHorizontalFlip(flip_p))
        if erase_p > 0:
            ts.append(RandomErasing(erase_p, mean=mean))
    ts.append(Normalize(mean, std))
    return Compose(ts)
