"""Semantic-parts model (SemParts sec. 3.2-3.3, eq. 1-4).

Eq. 1: global map ``M_g [B,C,h,w] = f_theta(x)`` (ResNet-50 conv1..layer4; ``C=2048``
at paper size, ``h x w = 8 x 4`` at 256x128). A semantic part classifier (1x1 conv,
``C -> 4``) gives ``part_logits [B,4,h,w]``; softmax over the 4 gives the confidence maps
``P``. Eq. 2: ``M_k = P_k o M_g`` (element-wise product), pooled to ``f_k [B,C]``::

    pooling="avg":      f_k = 1/(h w) sum_{y,x} P_k(y,x) M_g(:,y,x)       (default)
    pooling="weighted": f_k = sum P_k M_g / (sum P_k + eps)   (confidence-normalised)

The paper only writes eq. 2 and says the part features are classified; the literal
reading (product, then the backbone's global average pool) is the default.

Channel order of ``part_logits`` follows the data's part label maps (``reidlib.data``:
0 background, 1 head, 2 upper body, 3 lower body) so a cross-entropy against the part
map needs no remapping. ``parts`` = ``[head, upper, lower]`` features; eq. 3-4: one ID
classifier on the global feature ``f_g = GAP(M_g)`` and one per body part, none on the
background: ``logits = [global, head, upper, lower]``. ``features`` (retrieval) is the
concatenation ``[f_g, f_head, f_upper, f_lower]`` (``4C``; ``retrieval="global"`` gives
``f_g`` only). ``background`` holds the (unclassified) background feature.

Backbone: :class:`reidlib.models.backbones.ResNetBackbone` of ``size`` (paper = ResNet-50,
``C=2048``; small = the project's small ResNet, or ``backbone=<name>``).
``pretrained=<local torchvision .pth>`` loads ImageNet weights from a file (never
downloaded; the :class:`LoadReport` with its sha256 is kept in ``load_report``).
``last_stride`` defaults to 2: the paper says only "ResNet50", so the standard one.
"""
from __future__ import annotations

import os
from typing import Callable

import torch
from torch import nn

from .backbones import ResNetBackbone, backbone_for_size
from .weights import load_backbone_weights

PART_NAMES = ("background", "head", "upper", "lower")
POOLINGS = ("avg", "weighted")
RETRIEVALS = ("global+parts", "global")


def part_pool(global_map: torch.Tensor, confidence: torch.Tensor, pooling: str = "avg",
              eps: float = 1e-6) -> torch.Tensor:
    """Eq. 2 pooled: ``M_g [B,C,h,w]``, ``P [B,K,h,w]`` -> part features ``[B,K,C]``."""
    if pooling not in POOLINGS:
        raise ValueError(f"unknown pooling {pooling!r}; valid: {list(POOLINGS)}")
    b, c, h, w = global_map.shape
    if confidence.shape[0] != b or confidence.shape[2:] != global_map.shape[2:]:
        raise ValueError(f"confidence {tuple(confidence.shape)} does not match map {tuple(global_map.shape)}")
    summed = torch.einsum("bkhw,bchw->bkc", confidence, global_map)
    if pooling == "avg":
        return summed / (h * w)
    return summed / (confidence.sum(dim=(2, 3)).unsqueeze(-1) + eps)


class SemParts(nn.Module):
    """ResNet-50 + semantic part classifier + global/part ID classifiers (module docstring)."""

    def __init__(self, num_classes: int, size: str = "small", backbone: str | None = None,
                 pooling: str = "avg", retrieval: str = "global+parts", last_stride: int = 2,
                 pretrained: str | os.PathLike | None = None, pretrained_sha256: str | None = None) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; valid: {list(POOLINGS)}")
        if retrieval not in RETRIEVALS:
            raise ValueError(f"unknown retrieval {retrieval!r}; valid: {list(RETRIEVALS)}")
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        self.pooling, self.retrieval = pooling, retrieval
        self.backbone = ResNetBackbone(backbone_for_size(size, backbone), 3, last_stride)
        c = self.backbone.out_channels
        self.part_classifier = nn.Conv2d(c, len(PART_NAMES), 1)
        self.classifiers = nn.ModuleList(nn.Linear(c, num_classes) for _ in range(4))
        self.channels = c
        self.load_report = None
        if pretrained is not None:
            self.load_report = load_backbone_weights(self.backbone, pretrained, pretrained_sha256)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> dict:
        """``mask`` is accepted for the common API and unused."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"x must be [B,3,H,W] normalised RGB, got {tuple(x.shape)}")
        m_g = self.backbone(x)
        part_logits = self.part_classifier(m_g)
        pooled = part_pool(m_g, part_logits.softmax(dim=1), self.pooling)  # [B,4,C]
        f_g = m_g.mean(dim=(2, 3))
        parts = [pooled[:, k] for k in (1, 2, 3)]
        logits = [clf(f) for clf, f in zip(self.classifiers, [f_g, *parts])]
        feat = torch.cat([f_g, *parts], dim=1) if self.retrieval == "global+parts" else f_g
        return {"features": feat, "logits": logits, "parts": parts, "part_logits": part_logits,
                "global": f_g, "background": pooled[:, 0]}


def build_semparts(num_classes: int, size: str = "small", **kwargs) -> SemParts:
    """SemParts; size 'paper' (ResNet-50) | 'small' (the project's small ResNet)."""
    return SemParts(num_classes, size=size, **kwargs)


MODELS: dict[str, Callable[..., nn.Module]] = {"semparts": build_semparts}
