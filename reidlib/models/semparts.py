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

Backbone: paper = torchvision ResNet-50 (random init; ``pretrained=<local .pth>`` loads
ImageNet weights from a file, its sha256 kept in ``pretrained_sha256``; never
downloaded); small = ResNet-50 layout at 1/4 width (``C = 512``). ``last_stride`` sets
layer4's stride (2 as in ResNet-50).
"""
from __future__ import annotations

import hashlib
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

PART_NAMES = ("background", "head", "upper", "lower")
POOLINGS = ("avg", "weighted")
RETRIEVALS = ("global+parts", "global")
SIZES = {"paper": 64, "small": 16}  # ResNet-50 base width


class _Bottleneck(nn.Module):
    def __init__(self, cin: int, planes: int, stride: int) -> None:
        super().__init__()
        cout = planes * 4
        self.body = nn.Sequential(
            nn.Conv2d(cin, planes, 1, bias=False), nn.BatchNorm2d(planes), nn.ReLU(inplace=True),
            nn.Conv2d(planes, planes, 3, stride, 1, bias=False), nn.BatchNorm2d(planes), nn.ReLU(inplace=True),
            nn.Conv2d(planes, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + (x if self.down is None else self.down(x)))


def resnet50_trunk(base: int = 64, last_stride: int = 2, pretrained: str | None = None) -> tuple[nn.Module, int, str | None]:
    """ResNet-50 conv1..layer4 at base width ``base``: ``[B,3,H,W] -> [B,32*base,H/32,W/32]``.

    Returns ``(trunk, channels, sha256 of the pretrained file or None)``.
    """
    if last_stride not in (1, 2):
        raise ValueError(f"last_stride must be 1 or 2, got {last_stride}")
    if base == 64:
        import torchvision

        net = torchvision.models.resnet50(weights=None)
        net.layer4[0].conv2.stride = (last_stride, last_stride)
        net.layer4[0].downsample[0].stride = (last_stride, last_stride)
        sha = None
        if pretrained is not None:
            with open(pretrained, "rb") as fh:
                sha = hashlib.sha256(fh.read()).hexdigest()
            state = torch.load(pretrained, map_location="cpu", weights_only=True)
            state = {k: v for k, v in state.items() if not k.startswith("fc.")}
            net.load_state_dict(state, strict=False)
        trunk = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2, net.layer3, net.layer4)
        return trunk, 2048, sha
    if pretrained is not None:
        raise ValueError("pretrained weights exist only for the paper-size ResNet-50; use size='paper'")
    layers: list[nn.Module] = [nn.Conv2d(3, base, 7, 2, 3, bias=False), nn.BatchNorm2d(base),
                               nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
    cin = base
    for i, (n, stride) in enumerate(zip((3, 4, 6, 3), (1, 2, 2, last_stride))):
        planes = base * 2 ** i
        for j in range(n):
            layers.append(_Bottleneck(cin, planes, stride if j == 0 else 1))
            cin = planes * 4
    return nn.Sequential(*layers), cin, None


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

    def __init__(self, num_classes: int, base: int = 64, pooling: str = "avg",
                 retrieval: str = "global+parts", last_stride: int = 2,
                 pretrained: str | None = None) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; valid: {list(POOLINGS)}")
        if retrieval not in RETRIEVALS:
            raise ValueError(f"unknown retrieval {retrieval!r}; valid: {list(RETRIEVALS)}")
        if num_classes < 1 or base < 1:
            raise ValueError(f"num_classes and base must be >= 1, got {num_classes}, {base}")
        self.pooling, self.retrieval = pooling, retrieval
        self.backbone, c, self.pretrained_sha256 = resnet50_trunk(base, last_stride, pretrained)
        self.part_classifier = nn.Conv2d(c, len(PART_NAMES), 1)
        self.classifiers = nn.ModuleList(nn.Linear(c, num_classes) for _ in range(4))
        self.channels = c

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
    """SemParts; size 'paper' (ResNet-50) | 'small' (ResNet-50 at 1/4 width)."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; valid sizes: {sorted(SIZES)}")
    params = {"base": SIZES[size]}
    params.update(kwargs)
    return SemParts(num_classes, **params)


MODELS: dict[str, Callable[..., nn.Module]] = {"semparts": build_semparts}
