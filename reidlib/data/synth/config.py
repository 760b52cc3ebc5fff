"""SynthReID parameters: one dataclass holding every knob, size presets and domain priors.

Everything that changes the generated pixels lives in :class:`SynthConfig`; its
:meth:`SynthConfig.to_dict` is written to ``meta.json`` and hashed for the cache key.
Two domain styles share one generator and differ only in their :class:`DomainPrior`:

``market``  6 cameras, summer: T-shirts and shorts/skirts common, bright scenes.
``duke``    8 cameras, winter: coats and trousers, darker scenes, more occlusion.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

GENERATOR_VERSION = "synthreid-1.2"  # 1.1: noise bank, 3-sigma blur, own PNG writer; 1.2: 8-segment scenes

#: the shared clothing palette (RGB 0..255); ``palette_size`` keeps the first N so
#: that identities share colours (hard negatives) and clutter uses the same colours.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (20, 20, 24), (235, 235, 230), (200, 30, 35), (30, 60, 160), (40, 120, 60),
    (130, 130, 135), (235, 200, 40), (100, 60, 30), (240, 130, 170), (20, 140, 170),
    (240, 110, 20), (110, 50, 140), (190, 170, 130), (30, 35, 70), (120, 140, 60),
    (170, 200, 230), (140, 20, 40), (70, 70, 72), (250, 230, 180), (60, 160, 150),
)
SKIN_TONES = ((245, 205, 175), (225, 180, 140), (190, 140, 100), (140, 95, 65), (95, 65, 45))
HAIR_COLOURS = ((20, 15, 10), (60, 40, 25), (110, 75, 40), (190, 160, 100), (150, 150, 150))


@dataclass(frozen=True)
class DomainPrior:
    """Clothing, lighting and camera priors of one domain style."""

    num_cameras: int
    upper_probs: dict[str, float]      # tshirt | shirt | coat
    lower_probs: dict[str, float]      # trousers | shorts | skirt
    pattern_probs: dict[str, float]    # plain | stripes | checks | print
    bag_prob: float
    light: tuple[float, float]         # per-camera light multiplier range
    cast: float                        # max per-channel colour cast (fraction)
    blur: tuple[float, float]          # per-camera Gaussian blur sigma range (pixels at 128x64)
    jpeg_quality: tuple[int, int]      # per-camera JPEG quality range
    occlusion_scale: float             # multiplies SynthConfig.occlusion
    scene_tone: tuple[float, float]    # brightness range of scene base colours (0..1)


DOMAINS: dict[str, DomainPrior] = {
    "market": DomainPrior(
        num_cameras=6,
        upper_probs={"tshirt": 0.65, "shirt": 0.25, "coat": 0.10},
        lower_probs={"trousers": 0.45, "shorts": 0.35, "skirt": 0.20},
        pattern_probs={"plain": 0.55, "stripes": 0.17, "checks": 0.13, "print": 0.15},
        bag_prob=0.35, light=(0.95, 1.2), cast=0.08, blur=(0.0, 0.6),
        jpeg_quality=(80, 95), occlusion_scale=1.0, scene_tone=(0.45, 0.85),
    ),
    "duke": DomainPrior(
        num_cameras=8,
        upper_probs={"tshirt": 0.10, "shirt": 0.20, "coat": 0.70},
        lower_probs={"trousers": 0.85, "shorts": 0.03, "skirt": 0.12},
        pattern_probs={"plain": 0.70, "stripes": 0.10, "checks": 0.12, "print": 0.08},
        bag_prob=0.5, light=(0.55, 0.85), cast=0.12, blur=(0.3, 1.0),
        jpeg_quality=(70, 90), occlusion_scale=1.6, scene_tone=(0.25, 0.6),
    ),
}


@dataclass(frozen=True)
class SynthConfig:
    """Every parameter of a SynthReID generation (all affect the output bytes).

    Sizes: images are ``height x width`` RGB (Market native 128x64). ``clutter``,
    ``occlusion`` in [0, 1] scale the number/extent of background pedestrians and of
    occluders in front of the person; ``palette_size`` (2..len(PALETTE)) limits
    clothing colours. Each id appears in ``cams_per_id`` (min, max) cameras with
    ``images_per_cam`` (min, max) gallery/train images per camera; test ids also get
    one ``query`` image and ``multiquery_per_cam`` ``gt_bbox`` images per camera.
    """

    domain: str = "market"
    height: int = 128
    width: int = 64
    num_train_ids: int = 15
    num_test_ids: int = 15
    images_per_cam: tuple[int, int] = (1, 3)
    cams_per_id: tuple[int, int] = (2, 3)
    multiquery_per_cam: int = 3
    num_junk: int = 4
    num_distractors: int = 4
    palette_size: int = 12
    clutter: float = 0.6
    occlusion: float = 0.3
    noise: float = 0.02
    num_cameras: int = 0  # 0 = the domain's default

    def __post_init__(self) -> None:
        if self.domain not in DOMAINS:
            raise ValueError(f"unknown domain {self.domain!r}; valid domains: {sorted(DOMAINS)}")
        if self.height < 32 or self.width < 16:
            raise ValueError(f"image size {self.height}x{self.width} too small: need height >= 32 "
                             "and width >= 16 (default 128x64)")
        for name in ("num_train_ids", "num_test_ids"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("multiquery_per_cam", "num_junk", "num_distractors", "num_cameras"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("clutter", "occlusion", "noise"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v}")
        if not 2 <= self.palette_size <= len(PALETTE):
            raise ValueError(f"palette_size must be in [2, {len(PALETTE)}], got {self.palette_size}")
        object.__setattr__(self, "images_per_cam", tuple(int(v) for v in self.images_per_cam))
        object.__setattr__(self, "cams_per_id", tuple(int(v) for v in self.cams_per_id))
        lo, hi = self.images_per_cam
        if not 1 <= lo <= hi:
            raise ValueError(f"images_per_cam must be (min, max) with 1 <= min <= max, got {(lo, hi)}")
        if not 2 <= self.cameras <= 9:
            raise ValueError(f"num_cameras must be in [2, 9] (Market names use one digit), got {self.cameras}")
        lo, hi = self.cams_per_id
        hi = min(hi, self.cameras)  # fewer cameras than the preset's maximum: clamp
        object.__setattr__(self, "cams_per_id", (lo, hi))
        if not 2 <= lo <= hi <= self.cameras:
            raise ValueError(f"cams_per_id must be (min, max) with 2 <= min <= max <= {self.cameras} "
                             f"cameras, got {(lo, hi)}")

    @property
    def cameras(self) -> int:
        return self.num_cameras or DOMAINS[self.domain].num_cameras

    @property
    def prior(self) -> DomainPrior:
        return DOMAINS[self.domain]

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["images_per_cam"] = list(self.images_per_cam)
        d["cams_per_id"] = list(self.cams_per_id)
        return d


#: size presets (overrides of SynthConfig defaults)
PRESETS: dict[str, dict[str, Any]] = {
    "smoke": dict(num_train_ids=15, num_test_ids=15, images_per_cam=(1, 2), cams_per_id=(2, 3),
                  multiquery_per_cam=2, num_junk=4, num_distractors=4),
    "quick": dict(num_train_ids=100, num_test_ids=100, images_per_cam=(2, 5), cams_per_id=(2, 4),
                  multiquery_per_cam=3, num_junk=40, num_distractors=60),
    # the default study's data (profiles quick / full): half the quick preset's training
    # identities (cheaper epochs, from-scratch runs plateau sooner), as many test identities (100)
    "study": dict(num_train_ids=50, num_test_ids=100, images_per_cam=(2, 5), cams_per_id=(2, 4),
                  multiquery_per_cam=3, num_junk=40, num_distractors=60),
    "cpu": dict(num_train_ids=300, num_test_ids=300, images_per_cam=(3, 6), cams_per_id=(2, 5),
                multiquery_per_cam=3, num_junk=150, num_distractors=250),
}


def make_config(preset: str = "smoke", domain: str = "market", **overrides: Any) -> SynthConfig:
    """Resolve ``preset`` + ``domain`` + ``overrides`` into a validated :class:`SynthConfig`."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; valid presets: {sorted(PRESETS)}")
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; valid domains: {sorted(DOMAINS)}")
    valid = {f.name for f in dataclasses.fields(SynthConfig)} - {"domain"}
    bad = sorted(set(overrides) - valid)
    if bad:
        raise ValueError(f"unknown SynthReID parameter(s) {bad}; valid: {sorted(valid)}")
    kw = dict(PRESETS[preset])
    kw.update(overrides)
    return SynthConfig(domain=domain, **kw)

