"""MaskReID network with the skipped fusing layer (MaskReID sec. 3.1, Fig. 3, Table 1).

"The two images [original and masked] are processed with three separated convolution
layers. Then the two separated feature is concatenated and fed into a shared network
with three levels [...]. The feature of these three levels is fused by a skipped fusing
layer to produce the final feature" (256-d).

Shapes (paper size, DGD input ``144 x 56``; MaskReID itself states no input size, so
DGD's [33] is used; ``input_size`` is only documentation here, any size works)::

    x [B,3,H,W] --ConvStem(32)--+
    x*mask     --ConvStem(32)---+-- concat [B,64,H,W] -- InceptionTrunk --
        low [B,384,H/4,W/4], mid [B,768,H/8,W/8], high [B,1536,H/16,W/16]
    fusion:    GAP(low) | GAP(mid) | GAP(high) -> FC -> 256   (skipped fusing layer)
    no fusion: GAP(high) -> FC -> 256                          (DGD's fc7)
    feature = ReLU(BN(FC(.)))  [B,256];  logits = Linear(Dropout(feature)) [B,C]

Variants (Table 1), read from the paper's text: sec. 1 (contributions: "masked images
[...] incorporated as an *additional* input"; "a framework [...] which accepts both the
original and the masked image as input. Besides, there is a skipped fusing layer"),
sec. 3 ("the original image is also used as an input" against bad segmentations) and
the Table 1 discussion ("Compared with DGD network, MaskReID-M has a big performance
improve. This illustrates using masked image as additional input is effective.
Moreover, MaskReID-MF has better performance than MaskReID-M. This indicates the
multiple layer feature fusion scheme is also effective"):

* ``maskreid_base`` = DGD [33]: RGB only, no fusion.
* ``maskreid_m`` = MaskReID-M: the two-input network of Fig. 3 (original and masked
  image, three separate conv layers each, concatenated into the shared trunk) *without
  the skipped fusing layer*, i.e. the 256-d feature comes from the high level only as in
  DGD's fc7. "Without the fusing layer" is read as dropping only the low/mid/high-level
  fusion, since the paper names exactly two additions to DGD (the additional masked
  input, M; the fusion, MF) and Table 1 credits M vs base to the first, MF vs M to the
  second. (Table 1's caption "only employs the masked image" is read as "employs the
  masked image but not the fusion"; the literal masked-only network is kept below.)
* ``maskreid_mf`` = MaskReID-MF: both images + fusion (the full MaskReID).
* ``maskreid_masked_only``: an extra ablation row, not in the paper: the masked image
  alone (no original image), no fusion (the caption's literal reading).

Any combination is available through ``inputs`` ("rgb" | "masked" | "both") and
``fusion``. ``backbone="efficientnet_lite0"`` replaces DGD's stems and Inception trunk by an
ImageNet EfficientNet-Lite0 cut the same way (per-input first three conv layers, shared rest,
low / mid / high levels at /4, /8, /16: :class:`reidlib.models.lite0_trunks.Lite0Levels`), for
the real-pixel arm; ``pretrained`` is then its checkpoint file.

Choices: the masked image is ``x * mask`` on the *normalised* input, so the removed
background equals the data set's mean colour (0 after normalisation); the fusing layer
global-average-pools each level before concatenation (the paper does not say how maps
of three resolutions are fused); the 256-d feature is taken after BN + ReLU as in DGD's
fc7; ``dropout`` (DGD: 0.5) sits before the classifier only.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from .inception import ConvStem, InceptionTrunk
from .lite0_trunks import LITE0, Lite0Levels

INPUTS = ("rgb", "masked", "both")
BACKBONES = ("inception", LITE0)   # DGD's (the paper's) | ImageNet EfficientNet-Lite0
SIZES = {"paper": {"stem": 32, "width": 1.0}, "small": {"stem": 16, "width": 0.25}}
PAPER_INPUT_SIZE = (144, 56)


def check_size(size: str) -> dict:
    """Return the size preset, or raise naming the valid sizes."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; valid sizes: {sorted(SIZES)}")
    return SIZES[size]


class MaskReID(nn.Module):
    """MaskReID / DGD network. ``forward(x [B,3,H,W], mask [B,1,H,W] | None) -> dict``.

    Output: ``features [B,feat_dim]``, ``logits [B,num_classes]``, ``levels`` (dict of
    the pooled low/mid/high vectors, empty without fusion).
    """

    def __init__(self, num_classes: int, inputs: str = "both", fusion: bool = True,
                 stem_channels: int = 32, width: float = 1.0, feat_dim: int = 256,
                 dropout: float = 0.5, backbone: str = "inception", pretrained: str | None = None,
                 pretrained_sha256: str | None = None) -> None:
        super().__init__()
        if inputs not in INPUTS:
            raise ValueError(f"unknown inputs {inputs!r}; valid: {list(INPUTS)}")
        if backbone not in BACKBONES:
            raise KeyError(f"unknown MaskReID backbone {backbone!r}; valid: {list(BACKBONES)}")
        if pretrained is not None and backbone != LITE0:
            raise ValueError("MaskReID's DGD trunk trains from scratch (MaskReID sec. 4); pretrained= needs "
                             f"backbone={LITE0!r}")
        if num_classes < 1 or feat_dim < 1 or stem_channels < 1:
            raise ValueError(f"num_classes, feat_dim and stem_channels must be >= 1, got "
                             f"{num_classes}, {feat_dim}, {stem_channels}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.inputs, self.fusion = inputs, bool(fusion)
        self.stem_rgb = self.stem_masked = None
        if backbone == LITE0:
            self.trunk: nn.Module = Lite0Levels(inputs, 1, pretrained, pretrained_sha256)
        else:
            self.stem_rgb = ConvStem(3, stem_channels) if inputs in ("rgb", "both") else None
            self.stem_masked = ConvStem(3, stem_channels) if inputs in ("masked", "both") else None
            self.trunk = InceptionTrunk((2 if inputs == "both" else 1) * stem_channels, width)
        lc = self.trunk.level_channels
        fused_in = lc["low"] + lc["mid"] + lc["high"] if self.fusion else lc["high"]
        self.fuse = nn.Sequential(nn.Linear(fused_in, feat_dim, bias=False),
                                  nn.BatchNorm1d(feat_dim), nn.ReLU(inplace=True))
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(feat_dim, num_classes)
        self.feat_dim = feat_dim

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> dict:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"x must be [B,3,H,W] normalised RGB, got {tuple(x.shape)}")
        if self.inputs != "rgb":
            if mask is None:
                raise ValueError(f"MaskReID with inputs={self.inputs!r} needs mask [B,1,H,W]; "
                                 "pass mask= or use inputs='rgb'")
            if mask.shape != (x.shape[0], 1, *x.shape[2:]):
                raise ValueError(f"mask must be [B,1,H,W] = {(x.shape[0], 1, *x.shape[2:])}, "
                                 f"got {tuple(mask.shape)}")
        if isinstance(self.trunk, Lite0Levels):
            levels = self.trunk(x, mask)
        else:
            streams = [self.stem_rgb(x)] if self.stem_rgb is not None else []
            if self.stem_masked is not None:
                streams.append(self.stem_masked(x * mask))
            levels = self.trunk(torch.cat(streams, dim=1))
        pooled = {k: v.mean(dim=(2, 3)) for k, v in levels.items()}
        if self.fusion:
            z = torch.cat([pooled["low"], pooled["mid"], pooled["high"]], dim=1)
        else:
            z = pooled["high"]
        feat = self.fuse(z)
        return {"features": feat, "logits": self.classifier(self.dropout(feat)),
                "levels": pooled if self.fusion else {}}


def _builder(inputs: str, fusion: bool) -> Callable[..., nn.Module]:
    def build(num_classes: int, size: str = "small", **kwargs) -> MaskReID:
        preset = check_size(size)
        params = {"inputs": inputs, "fusion": fusion, "stem_channels": preset["stem"],
                  "width": preset["width"]}
        params.update(kwargs)
        return MaskReID(num_classes, **params)

    build.__doc__ = f"MaskReID (inputs={inputs!r}, fusion={fusion}); size 'paper' | 'small'."
    return build


MODELS: dict[str, Callable[..., nn.Module]] = {
    "maskreid_base": _builder("rgb", False),
    "maskreid_m": _builder("both", False),
    "maskreid_mf": _builder("both", True),
    "maskreid_masked_only": _builder("masked", False),
}
