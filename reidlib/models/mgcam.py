"""Mask-guided Contrastive Attention Model (MGCAM, CVPR 2018, sec. 3.1-3.4, eq. 1-4).

On an MSCAN-body (:mod:`reidlib.models.mscan`) the stem gives ``f_stage-2``
``[B,96,40,16]`` at 160x64. The contrastive attention sub-net computes::

    Phi+ = sigmoid(W * f_stage-2 + b)         [B,1,h,w]   eq. 1 (W: 3x3 conv, as released)
    Phi- = 1 - Phi+                                       eq. 2
    f_att+ = f_stage-2 * Phi+,  f_att- = f_stage-2 * Phi- eq. 3-4 (broadcast over channels)

Three streams with **separate** weights (stages 3-4 + FC, :class:`MSCANHead`) map
``f_stage-2``, ``f_att+`` and ``f_att-`` to ``h_full``, ``h_body``, ``h_bgd`` ``[B,128]``,
each with its own ID classifier.

Output dict: ``features`` (retrieval), ``logits`` = list ``[full, body, background]``
each ``[B,C]``, ``streams`` = ``{"full","body","background"}`` features, ``attention`` =
Phi+ ``[B,1,h,w]`` (compare with :func:`resize_mask` of the mask in eq. 5) and
``attention_neg`` = Phi-.

Choices: retrieval uses the full-stream 128-d feature (sec. 3.4 and 4.1 "Evaluation
Metrics"); ``retrieval="full+body"`` concatenates full and body (256-d) instead.
``attention="hard"`` (Table 2, "MGCAM hard") replaces Phi+ by the binary mask resized to
the map: area-average then ``> 0.5`` (:func:`resize_mask`); the attention conv is then
unused. ``input_kind`` is ``rgbm`` (default, paper) or ``rgb``.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .mscan import MSCANHead, MSCANStem, check_size, make_input

STREAMS = ("full", "body", "background")
ATTENTIONS = ("soft", "hard")
RETRIEVALS = ("full", "full+body")
MGCAM_INPUTS = ("rgbm", "rgb")


def resize_mask(mask: torch.Tensor, size: tuple[int, int], binary: bool = True,
                threshold: float = 0.5) -> torch.Tensor:
    """Resize ``mask [B,1,H,W]`` to ``size`` by area averaging; ``binary`` thresholds ``> threshold``.

    Area averaging is exact block averaging when ``H, W`` are multiples of ``size``.
    """
    if mask.dim() != 4 or mask.shape[1] != 1:
        raise ValueError(f"mask must be [B,1,H,W], got {tuple(mask.shape)}")
    small = F.interpolate(mask.float(), size=tuple(size), mode="area")
    return (small > threshold).to(mask.dtype) if binary else small


class MGCAM(nn.Module):
    """MGCAM: MSCAN stem, contrastive attention, three MSCAN heads. See module docstring."""

    def __init__(self, num_classes: int, input_kind: str = "rgbm", attention: str = "soft",
                 retrieval: str = "full", branch: int = 32, feat_dim: int = 128,
                 dropout: float = 0.2) -> None:
        super().__init__()
        for name, value, valid in (("input_kind", input_kind, MGCAM_INPUTS),
                                   ("attention", attention, ATTENTIONS),
                                   ("retrieval", retrieval, RETRIEVALS)):
            if value not in valid:
                raise ValueError(f"unknown {name} {value!r}; valid: {list(valid)}")
        if num_classes < 1 or feat_dim < 1:
            raise ValueError(f"num_classes and feat_dim must be >= 1, got {num_classes}, {feat_dim}")
        self.input_kind, self.attention_kind, self.retrieval = input_kind, attention, retrieval
        self.stem = MSCANStem(4 if input_kind == "rgbm" else 3, branch)
        c = self.stem.out_channels
        self.att_conv = nn.Conv2d(c, 1, 3, padding=1) if attention == "soft" else None
        self.heads = nn.ModuleDict({s: MSCANHead(c, branch, feat_dim, dropout) for s in STREAMS})
        self.classifiers = nn.ModuleDict({s: nn.Linear(feat_dim, num_classes) for s in STREAMS})

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> dict:
        if self.attention_kind == "hard" and mask is None:
            raise ValueError("MGCAM attention='hard' needs mask [B,1,H,W]; pass mask= or use 'soft'")
        f = self.stem(make_input(x, mask, self.input_kind))
        if self.attention_kind == "soft":
            phi_pos = torch.sigmoid(self.att_conv(f))
        else:
            phi_pos = resize_mask(mask, f.shape[2:]).to(f.dtype)
        phi_neg = 1.0 - phi_pos
        inputs = {"full": f, "body": f * phi_pos, "background": f * phi_neg}
        streams = {s: self.heads[s](inputs[s]) for s in STREAMS}
        logits = [self.classifiers[s](streams[s]) for s in STREAMS]
        if self.retrieval == "full":
            feat = streams["full"]
        else:
            feat = torch.cat([streams["full"], streams["body"]], dim=1)
        return {"features": feat, "logits": logits, "streams": streams,
                "attention": phi_pos, "attention_neg": phi_neg}


def _builder(attention: str) -> Callable[..., nn.Module]:
    def build(num_classes: int, size: str = "small", **kwargs) -> MGCAM:
        params = {"attention": attention, "branch": check_size(size)}
        params.update(kwargs)
        return MGCAM(num_classes, **params)

    build.__doc__ = f"MGCAM with {attention} attention; size 'paper' | 'small'."
    return build


MODELS: dict[str, Callable[..., nn.Module]] = {"mgcam": _builder("soft"), "mgcam_hard": _builder("hard")}
