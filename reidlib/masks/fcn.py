"""reidlib's own small FCN person / body-part segmenter (the offline default).

MaskReID and MGCAM made their masks with an FCN (Long et al., CVPR 2015) trained on
person-segmentation data; we cannot ship those weights, so :class:`PersonFCN` is a
small U-Net-style FCN (width 12: 0.22 M parameters) that :mod:`reidlib.masks.train`
trains on SynthReID true part maps plus Penn-Fudan pedestrian crops. One network
serves both uses (choice: one training run on 2 CPU cores instead of two): it has
``out_channels=4`` (background, head, upper, lower body: SemParts' 4 classes), the
person probability is ``1 - P(background)``. Shipped as
``reidlib/weights/person_fcn.pt`` (fp16, ~0.45 MB, trained at 64x32); a
1-output person-only model (``out_channels=1``) is supported too.

Shapes: input ``float [B, 3, H, W]`` (RGB in [0, 1], normalised inside the
model), ``H, W`` multiples of 8; output logits ``[B, out_channels, H, W]``.

:class:`FCNSegmenter` rescales each image so that the original crop (``crop_hw``
hint, the whole image when absent) becomes ``crop_height`` pixels tall (the
training height, stored in the weights file), pads to a multiple of 8, predicts and resizes the probability map
back to the input size.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .segmenters import Segmenter

__all__ = ["PersonFCN", "FCNSegmenter", "WEIGHTS_DIR", "default_weights", "load_fcn", "save_fcn"]

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class PersonFCN(nn.Module):
    """U-Net-ish FCN: 3 poolings (stride 8), skip connections, bilinear upsampling.

    ``width`` scales every layer (16 -> 16/32/64/96 channels, ~0.3 M parameters).
    """

    def __init__(self, out_channels: int = 1, width: int = 16) -> None:
        super().__init__()
        if out_channels < 1 or width < 4:
            raise ValueError(f"out_channels must be >= 1 and width >= 4, got {out_channels}, {width}")
        c1, c2, c3, c4 = width, 2 * width, 4 * width, 6 * width
        self.out_channels, self.width = int(out_channels), int(width)
        self.enc1, self.enc2, self.enc3, self.mid = _block(3, c1), _block(c1, c2), _block(c2, c3), _block(c3, c4)
        self.dec3, self.dec2, self.dec1 = _block(c4 + c3, c3), _block(c3 + c2, c2), _block(c2 + c1, c1)
        self.head = nn.Conv2d(c1, out_channels, 1)
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != 3 or x.shape[2] % 8 or x.shape[3] % 8:
            raise ValueError(f"PersonFCN expects [B, 3, H, W] with H, W multiples of 8, got {tuple(x.shape)}")
        x = (x - self.mean) / self.std
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        e3 = self.enc3(F.max_pool2d(e2, 2))
        m = self.mid(F.max_pool2d(e3, 2))
        up = lambda t, ref: F.interpolate(t, size=ref.shape[-2:], mode="bilinear", align_corners=False)  # noqa: E731
        d3 = self.dec3(torch.cat([up(m, e3), e3], 1))
        d2 = self.dec2(torch.cat([up(d3, e2), e2], 1))
        d1 = self.dec1(torch.cat([up(d2, e1), e1], 1))
        return self.head(d1)


def default_weights(out_channels: int = 4) -> Path:
    """Path of the shipped weights (one 4-output model serves masks and parts)."""
    if out_channels not in (1, 4):
        raise ValueError(f"out_channels must be 1 (person) or 4 (parts), got {out_channels}")
    return WEIGHTS_DIR / "person_fcn.pt"


def save_fcn(model: PersonFCN, path: str | os.PathLike, meta: dict[str, Any] | None = None) -> Path:
    """Save ``{"state_dict" (fp16), "out_channels", "width", "meta"}`` for :func:`load_fcn`."""
    sd = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": sd, "out_channels": model.out_channels, "width": model.width,
                "meta": dict(meta or {})}, p)
    return p


def load_fcn(path: str | os.PathLike) -> tuple[PersonFCN, dict[str, Any]]:
    """Load a :func:`save_fcn` file (``torch.load(weights_only=True)``); eval mode."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"FCN weights not found: {p}; train them with "
                                "`python -m reidlib.masks.train` or reinstall reidlib")
    blob = torch.load(p, map_location="cpu", weights_only=True)
    model = PersonFCN(int(blob["out_channels"]), int(blob["width"]))
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()})
    return model.eval(), dict(blob.get("meta", {}))


class FCNSegmenter(Segmenter):
    """Semantic segmenter around :class:`PersonFCN` (see the module docstring).

    ``weights``: a file from :func:`save_fcn` (default the shipped ``person_fcn.pt``).
    ``crop_height``: the crop height the model was trained at (default: the
``size`` stored in the weights' meta, else 128). With a 4-output
    (part) model, :meth:`predict` returns ``P(not background)`` and
    :meth:`predict_parts` the label map.
    """

    kind = "semantic"

    def __init__(self, weights: str | os.PathLike | None = None, crop_height: int | None = None,
                 batch_size: int = 64, model: PersonFCN | None = None) -> None:
        if model is None:
            model, self.meta = load_fcn(weights if weights is not None else default_weights())
        else:
            self.meta = {}
        self.model = model.eval()
        size = self.meta.get("size", (128, 64))
        self.crop_height = int(crop_height if crop_height is not None else size[0])
        self.batch_size = int(batch_size)

    def _prepare(self, image: np.ndarray, crop_hw: tuple[int, int] | None) -> tuple[torch.Tensor, tuple[int, int]]:
        h, w = image.shape[:2]
        ch = crop_hw[0] if crop_hw is not None else h
        s = self.crop_height / float(ch)
        nh, nw = max(8, int(round(h * s / 8)) * 8), max(8, int(round(w * s / 8)) * 8)
        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 255.0
        if (nh, nw) != (h, w):
            x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False, antialias=s < 1)
        return x, (h, w)

    @torch.no_grad()
    def probabilities(self, images: Sequence[np.ndarray],
                      crop_hw: Sequence[tuple[int, int]] | None = None) -> list[torch.Tensor]:
        """Per image ``float [C, H, W]`` softmax (C=4) or sigmoid (C=1) at the input size."""
        hws = list(crop_hw) if crop_hw is not None else [None] * len(images)
        prepared = [self._prepare(np.asarray(im), hw) for im, hw in zip(images, hws)]
        out: list[torch.Tensor | None] = [None] * len(prepared)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, (x, _) in enumerate(prepared):
            groups.setdefault(tuple(x.shape[-2:]), []).append(i)
        for idx in groups.values():
            for s in range(0, len(idx), self.batch_size):
                chunk = idx[s:s + self.batch_size]
                logits = self.model(torch.cat([prepared[i][0] for i in chunk]))
                prob = torch.sigmoid(logits) if logits.shape[1] == 1 else torch.softmax(logits, 1)
                for j, i in enumerate(chunk):
                    hw = prepared[i][1]
                    p = prob[j:j + 1]
                    if tuple(p.shape[-2:]) != hw:
                        p = F.interpolate(p, size=hw, mode="bilinear", align_corners=False)
                    out[i] = p[0]
        return out  # type: ignore[return-value]

    def predict_batch(self, images: Sequence[np.ndarray],
                      crop_hw: Sequence[tuple[int, int]] | None = None) -> list[np.ndarray]:
        probs = self.probabilities(images, crop_hw)
        return [(p[0] if p.shape[0] == 1 else 1.0 - p[0]).numpy().astype(np.float32) for p in probs]

    def predict(self, image: np.ndarray, crop_hw: tuple[int, int] | None = None) -> np.ndarray:
        return self.predict_batch([image], None if crop_hw is None else [crop_hw])[0]

    def predict_parts(self, images: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Label maps ``uint8 [H, W]`` (0 bg, 1 head, 2 upper, 3 lower); needs a 4-output model."""
        if self.model.out_channels != 4:
            raise ValueError("predict_parts needs a 4-output part FCN (the shipped person_fcn.pt), "
                             f"this model has {self.model.out_channels} output(s)")
        return [p.argmax(0).numpy().astype(np.uint8) for p in self.probabilities(images)]
