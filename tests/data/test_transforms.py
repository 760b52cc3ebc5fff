"""Paired augmentation keeps image, mask and parts aligned; erasing/normalise by hand."""
from __future__ import annotations

import pytest
import torch

from reidlib.data.transforms import (Compose, Normalize, RandomCrop, RandomErasing,
                                     RandomHorizontalFlip, Resize, build_transforms)


def batch(b=6, h=12, w=8):
    g = torch.Generator().manual_seed(0)
    img = torch.randint(1, 256, (b, 3, h, w), generator=g, dtype=torch.uint8)
    # mask/parts derived from the image so alignment can be checked after any geometry
    mask = (img[:, :1] > 128).to(torch.uint8)
    parts = (img[:, 1:2] // 64).to(torch.uint8)
    return {"image": img, "mask": mask, "parts": parts, "pid": torch.arange(b)}


def aligned(out):
    img = out["image"]
    nonpad = img[:, :1] > 0  # the padding fill is 0; image values are >= 1
    ok_m = torch.equal(out["mask"][nonpad], (img[:, :1] > 128).to(torch.uint8)[nonpad])
    ok_p = torch.equal(out["parts"][nonpad], (img[:, 1:2] // 64).to(torch.uint8)[nonpad.expand_as(img[:, 1:2])])
    zero_m = bool((out["mask"][~nonpad] == 0).all())
    return ok_m and ok_p and zero_m


@pytest.mark.parametrize("t", [RandomCrop(3), RandomHorizontalFlip(0.5),
                               Compose([RandomCrop(2), RandomHorizontalFlip(0.5)])])
def test_geometric_transforms_are_paired(t):
    out = t(batch(), torch.Generator().manual_seed(1))
    assert out["image"].shape == (6, 3, 12, 8) and aligned(out)
    assert torch.equal(out["pid"], torch.arange(6))


def test_crop_matches_brute_force_per_sample():
    b = batch()
    g = torch.Generator().manual_seed(4)
    out = RandomCrop(2)(b, g)
    g = torch.Generator().manual_seed(4)
    torch.rand(6, generator=g)
    oy, ox = torch.randint(0, 5, (6,), generator=g), torch.randint(0, 5, (6,), generator=g)
    for i in range(6):
        padded = torch.zeros(3, 16, 12, dtype=torch.uint8)
        padded[:, 2:14, 2:10] = b["image"][i]
        assert torch.equal(out["image"][i], padded[:, oy[i]:oy[i] + 12, ox[i]:ox[i] + 8])


def test_flip_p1_flips_everything():
    b = batch()
    out = RandomHorizontalFlip(1.0)(b)
    for k in ("image", "mask", "parts"):
        assert torch.equal(out[k], b[k].flip(-1))


def test_resize_nearest_for_labels():
    b = batch()
    out = Resize((24, 16))(b)
    assert out["image"].shape == (6, 3, 24, 16) and out["image"].dtype == torch.uint8
    assert torch.equal(out["mask"], b["mask"].repeat_interleave(2, -1).repeat_interleave(2, -2))
    with pytest.raises(ValueError, match="Resize size"):
        Resize((0, 4))


def test_erasing_touches_image_only_with_mean_fill():
    b = batch(b=20, h=32, w=16)
    out = RandomErasing(p=1.0, mean=(0.5, 0.5, 0.5))(b, torch.Generator().manual_seed(0))
    changed = (out["image"] != b["image"]).any(1)
    assert changed.flatten(1).any(1).float().mean() > 0.5
    assert bool((out["image"][:, 0][changed] == 128).all())
    assert torch.equal(out["mask"], b["mask"]) and torch.equal(out["parts"], b["parts"])
    with pytest.raises(ValueError, match="fill"):
        RandomErasing(fill="blue")


def test_normalize_by_hand_and_missing_mask():
    b = batch()
    b["mask"] = None
    out = Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))(b)
    x = b["image"][0, 2, 3, 4].item()
    assert out["image"][0, 2, 3, 4].item() == pytest.approx((x / 255 - 0.5) / 0.25)
    assert out["mask"] is None and out["parts"].dtype == torch.long


def test_pipeline_deterministic_given_generator_and_bad_input():
    t = build_transforms((12, 8), train=True, erase_p=0.5)
    a = t(batch(), torch.Generator().manual_seed(7))
    c = t(batch(), torch.Generator().manual_seed(7))
    assert torch.equal(a["image"], c["image"]) and a["mask"].dtype == torch.float32
    with pytest.raises(ValueError, match=r"\[B,C,H,W\]"):
        t({"image": torch.zeros(3, 4, 4)})
