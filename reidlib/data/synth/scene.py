"""SynthReID camera scenes and the rendering of one crop.

Each camera has its own scene: a background texture ``[1.4 H, 8 W, 3]`` (``SEGMENTS``
walls and floors, each of its own colour and brightness, with bricks/panels, windows,
posters and signs in clothing-palette colours, poles, plants, floor tiles), a light
level, a colour cast, a blur and a JPEG quality, drawn once from the domain prior.
One crop (:func:`render_crop`) is: a random window of the camera texture (detector
box position), background pedestrians drawn with the person renderer and the same
clothing palette (``clutter``: partly visible people beside and behind), the person
(the only thing in the label map), occluders in front that are NOT in the mask
(``occlusion``: barriers, poles, passers-by), then camera lighting, blur (separable
Gaussian truncated at 3 sigma) and sensor noise (a random window of a shared,
fixed-seed noise bank, so no per-image noise draw). Output ``img`` ``[H, W, 3]``
uint8 and ``parts`` ``[H, W]`` uint8.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.ndimage import correlate1d

from .config import PALETTE, SynthConfig
from .identity import Identity, sample_identity
from .render import VIEWS, Canvas, Pose, draw_person


@dataclass(frozen=True)
class Sprite:
    """A pre-rendered pedestrian: premultiplied ``rgb`` ``[h, w, 3]``, ``alpha`` ``[h, w]``."""

    rgb: np.ndarray
    alpha: np.ndarray
    height: float            # body height in pixels (head top at row 2)


@dataclass(frozen=True)
class CameraScene:
    """Everything fixed for one camera (``texture`` float32 ``[TH, TW, 3]``).

    ``sprites`` are this camera's crowd: other pedestrians drawn once with the person
    renderer and the identities' palette, sorted by height, pasted as clutter and as
    occluding passers-by (rendering them per crop would cost most of the time).
    """

    cam: int                 # 0-based
    texture: np.ndarray
    sprites: tuple[Sprite, ...]
    light: float
    gains: tuple[float, float, float]
    blur: float
    jpeg_quality: int


#: a camera's scene is SEGMENTS walls (each SEGMENT_WIDTH crop widths wide) of their own
#: colour and brightness, so crops of one camera do not all share one background colour
SEGMENTS, SEGMENT_WIDTH = 8, 1


def _palette_colour(rng: np.random.Generator, cfg: SynthConfig) -> np.ndarray:
    return np.array(PALETTE[int(rng.integers(cfg.palette_size))], dtype=np.float32) / 255.0


def make_sprite(ident: Identity, height: float, rng: np.random.Generator) -> Sprite:
    """Render ``ident`` (random view and phase) ``height`` pixels tall into an RGBA sprite."""
    h, w = int(math.ceil(height * 1.06)) + 4, int(math.ceil(height * 0.7)) + 4
    rgb = np.zeros((h, w, 3), np.float32)
    alpha = np.zeros((h, w), np.float32)
    pose = Pose(cx=w / 2, top=2.0, height=height, view=VIEWS[int(rng.integers(4))],
                phase=float(rng.uniform(0, 2 * math.pi)))
    draw_person(Canvas(rgb, None, alpha), ident, pose, labelled=False)
    return Sprite(rgb=rgb, alpha=alpha, height=float(height))


def paste_sprite(img: np.ndarray, sp: Sprite, cx: float, top: float, flip: bool = False,
                 labels: np.ndarray | None = None) -> None:
    """Composite ``sp`` with its head top at ``top`` and centre at ``cx`` (pixels).

    With ``labels`` the pasted person occludes: labels under it (alpha >= 0.5) become 0.
    """
    H, W = img.shape[:2]
    sh, sw = sp.alpha.shape
    y0, x0 = int(round(top)) - 2, int(round(cx - sw / 2))
    r0, r1, c0, c1 = max(y0, 0), min(y0 + sh, H), max(x0, 0), min(x0 + sw, W)
    if r0 >= r1 or c0 >= c1:
        return
    rgb, alpha = (sp.rgb[:, ::-1], sp.alpha[:, ::-1]) if flip else (sp.rgb, sp.alpha)
    a = alpha[r0 - y0:r1 - y0, c0 - x0:c1 - x0]
    region = img[r0:r1, c0:c1]
    region *= (1.0 - a)[..., None]
    region += rgb[r0 - y0:r1 - y0, c0 - x0:c1 - x0]
    if labels is not None:
        labels[r0:r1, c0:c1][a >= 0.5] = 0


def build_camera(cfg: SynthConfig, cam: int, rng: np.random.Generator, num_sprites: int = 24) -> CameraScene:
    """Draw camera ``cam``'s scene and optics from the domain prior of ``cfg``."""
    prior = cfg.prior
    H, W = cfg.height, cfg.width
    th, tw = int(round(1.4 * H)), SEGMENT_WIDTH * SEGMENTS * W
    tone = rng.uniform(*prior.scene_tone)
    neutral = np.array([1.0, 0.97, 0.92]) * tone + rng.normal(0, 0.06, 3)
    floor_c = np.clip(neutral * rng.uniform(0.6, 0.9) + rng.normal(0, 0.04, 3), 0, 1)
    tex = np.empty((th, tw, 3), np.float32)
    horizon = int(th * rng.uniform(0.5, 0.68))
    seg_w = tw // SEGMENTS
    walls = []
    for k in range(SEGMENTS):  # shop fronts / walls of their own colour and brightness along the scene
        seg_tone = tone * rng.uniform(0.8, 1.2)
        seg_neutral = np.array([1.0, 0.97, 0.92]) * seg_tone + rng.normal(0, 0.06, 3)
        wall = np.clip(0.7 * seg_neutral + 0.3 * _palette_colour(rng, cfg) * seg_tone, 0, 1)
        floor_k = np.clip(floor_c * rng.uniform(0.75, 1.25) + rng.normal(0, 0.05, 3), 0, 1)
        cols = slice(k * seg_w, (k + 1) * seg_w if k < SEGMENTS - 1 else tw)
        tex[:horizon, cols] = wall
        tex[horizon:, cols] = floor_k  # pavement / shop floor in front of it
        walls.append(wall)
    cv = Canvas(tex)
    yy, xx = cv.yy, cv.xx
    # wall structure: bricks, panels or horizontal bands
    kind = int(rng.integers(3))
    period = rng.uniform(0.04, 0.09) * H
    if kind == 0:
        line = ((yy % period) < 1.0) | (((xx + (yy // period) % 2 * period) % (2.2 * period)) < 1.0)
    elif kind == 1:
        line = (xx % (period * 3)) < 1.5
    else:
        line = (yy % (period * 2.5)) < 2.0
    line &= yy < horizon
    tex[line] *= 0.75
    # windows and doors
    for _ in range(int(rng.integers(1, 4)) * SEGMENTS // 2):
        x0 = rng.uniform(0, tw)
        wall = walls[min(int(x0) // seg_w, SEGMENTS - 1)]
        wx, wy = rng.uniform(0.3, 0.9) * W, rng.uniform(0.15, 0.4) * H
        y0 = rng.uniform(0.05, 0.3) * horizon
        glass = np.clip(np.array([0.55, 0.65, 0.75]) * rng.uniform(0.6, 1.3), 0, 1)
        cv.paint(cv.trapezoid(x0, y0 - 2, y0 + wy + 2, wx / 2 + 2, wx / 2 + 2), wall * 0.5)
        cv.paint(cv.trapezoid(x0, y0, y0 + wy, wx / 2, wx / 2), glass)
    # posters and signs in clothing colours, poles, plants
    for _ in range(int(rng.integers(3, 7)) * SEGMENTS // 2):
        x0, y0 = rng.uniform(0, tw), rng.uniform(0.1, 0.9) * horizon
        w, h = rng.uniform(0.1, 0.4) * W, rng.uniform(0.08, 0.3) * H
        cv.paint(cv.trapezoid(x0, y0, y0 + h, w, w), _palette_colour(rng, cfg) * rng.uniform(0.7, 1.0))
    for _ in range(int(rng.integers(1, 4)) * SEGMENTS // 2):
        x0 = rng.uniform(0, tw)
        cv.paint(cv.trapezoid(x0, rng.uniform(0, 0.3) * th, horizon + rng.uniform(0, 0.3) * th,
                              rng.uniform(0.03, 0.08) * W, rng.uniform(0.03, 0.08) * W),
                 np.full(3, rng.uniform(0.1, 0.4)))
    for _ in range(int(rng.integers(0, 3)) * SEGMENTS // 2):
        x0 = rng.uniform(0, tw)
        cv.paint(cv.ellipse(x0, horizon - 0.05 * H, rng.uniform(0.15, 0.3) * W, rng.uniform(0.1, 0.2) * H),
                 np.array([0.2, 0.45, 0.15]) * rng.uniform(0.6, 1.1))
    # floor tiles and a darker foreground
    fl = (yy >= horizon) & (((yy - horizon) % (period * 3) < 1.0) | (xx % (period * 6) < 1.0))
    tex[fl] *= 0.8
    tex[horizon:] *= np.linspace(1.0, 0.8, th - horizon, dtype=np.float32)[:, None, None]
    gains = tuple(float(g) for g in 1.0 + rng.uniform(-prior.cast, prior.cast, 3))
    sprites = tuple(sorted((make_sprite(sample_identity(rng, cfg), rng.uniform(0.6, 1.35) * H, rng)
                            for _ in range(num_sprites)), key=lambda sp: sp.height))
    return CameraScene(cam=cam, texture=np.clip(tex, 0, 1), sprites=sprites, light=float(rng.uniform(*prior.light)),
                       gains=gains, blur=float(rng.uniform(*prior.blur)),  # type: ignore[arg-type]
                       jpeg_quality=int(rng.integers(prior.jpeg_quality[0], prior.jpeg_quality[1] + 1)))


@lru_cache(maxsize=8)
def noise_bank(height: int, width: int, noise: float) -> np.ndarray:
    """Fixed-seed Gaussian noise ``[2H, 2W, 3]`` float32 of std ``noise * 255``, plus 0.5 (rounding).

    A crop adds the ``[H, W]`` window at a random offset (``H * W`` distinct windows).
    """
    rng = np.random.Generator(np.random.PCG64(0x5EED))
    bank = rng.standard_normal((2 * height, 2 * width, 3), dtype=np.float32)
    bank *= np.float32(noise * 255.0)
    bank += np.float32(0.5)
    return bank


def gaussian_blur(img: np.ndarray, sigma: float, truncate: float = 3.0) -> np.ndarray:
    """Separable Gaussian blur of ``img`` ``[H, W, C]`` over H and W (edges: nearest)."""
    r = max(int(truncate * sigma + 0.5), 1)
    x = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    k /= k.sum()
    out = correlate1d(img, k, axis=0, mode="nearest")
    return correlate1d(out, k, axis=1, mode="nearest")


def _person_pose(rng: np.random.Generator, H: int, W: int, kind: str) -> Pose:
    if kind == "junk":  # a bad detection: too close, only a part of the body visible
        height = H * rng.uniform(1.3, 2.2)
        top = rng.uniform(-0.9 * height + 0.4 * H, 0.2 * H)
        cx = W * (0.5 + rng.uniform(-0.45, 0.45))
    else:
        height = H * rng.uniform(0.8, 0.94)
        top = H * rng.uniform(0.97, 1.02) - height
        cx = W * (0.5 + rng.normal(0, 0.05))
    return Pose(cx=cx, top=top, height=height, view=VIEWS[int(rng.integers(4))],
                phase=float(rng.uniform(0, 2 * math.pi)))


def _passer_by(rng: np.random.Generator, cfg: SynthConfig, scene: CameraScene,
               scale: tuple[float, float], img: np.ndarray, labels: np.ndarray | None = None) -> None:
    """Paste a crowd sprite of height in ``scale`` (x H) beside/behind/in front of the person."""
    H, W = cfg.height, cfg.width
    heights = [sp.height / H for sp in scene.sprites]
    lo = int(np.searchsorted(heights, scale[0]))
    hi = max(int(np.searchsorted(heights, scale[1])), lo + 1)
    sp = scene.sprites[min(int(rng.integers(lo, hi)), len(scene.sprites) - 1)]
    side = 1.0 if rng.random() < 0.5 else -1.0
    cx = W * (0.5 + side * rng.uniform(0.3, 0.85))
    top = H * rng.uniform(0.95, 1.08) - sp.height
    paste_sprite(img, sp, cx, top, flip=bool(rng.random() < 0.5), labels=labels)


def _occluder(cv: Canvas, rng: np.random.Generator, cfg: SynthConfig, scene: CameraScene) -> None:
    H, W = cfg.height, cfg.width
    kind = int(rng.integers(3))
    if kind == 0:  # barrier / bench / car from the bottom
        h = H * rng.uniform(0.12, 0.35)
        cx = W * rng.uniform(0.2, 0.8)
        col = _palette_colour(rng, cfg) * rng.uniform(0.5, 1.0)
        cv.paint(cv.trapezoid(cx, H - h, H + 2, W * rng.uniform(0.3, 0.7), W * rng.uniform(0.3, 0.7)), col, 0)
    elif kind == 1:  # pole / pillar / sign at the side
        hw = W * rng.uniform(0.05, 0.14)
        cx = W * (0.5 + (1 if rng.random() < 0.5 else -1) * rng.uniform(0.2, 0.45))
        cv.paint(cv.trapezoid(cx, -2, H + 2, hw, hw), np.full(3, rng.uniform(0.15, 0.7), np.float32), 0)
    else:  # a passer-by in front (not in the mask)
        _passer_by(rng, cfg, scene, (1.0, 1.35), cv.img, cv.labels)


def render_crop(cfg: SynthConfig, scene: CameraScene, ident: Identity | None, rng: np.random.Generator,
                kind: str = "normal") -> tuple[np.ndarray, np.ndarray]:
    """Render one crop: ``kind`` normal | junk (partial body) | distractor (no person).

    Returns ``img`` uint8 ``[H, W, 3]`` and ``parts`` uint8 ``[H, W]`` (0..3; all 0 for
    a distractor).
    """
    H, W = cfg.height, cfg.width
    th, tw = scene.texture.shape[:2]
    oy, ox = int(rng.integers(0, th - H + 1)), int(rng.integers(0, tw - W + 1))
    img = scene.texture[oy:oy + H, ox:ox + W].copy()
    parts = np.zeros((H, W), np.uint8)
    cv = Canvas(img, parts)
    for _ in range(min(int(rng.poisson(cfg.clutter * 3.0)), 5)):
        _passer_by(rng, cfg, scene, (0.6, 1.05), img)
    if kind != "distractor":
        if ident is None:
            raise ValueError("render_crop needs an identity unless kind='distractor'")
        draw_person(cv, ident, _person_pose(rng, H, W, kind), labelled=True)
    p = cfg.occlusion * cfg.prior.occlusion_scale
    n_occ = int(rng.random() < p) + int(rng.random() < p * p)
    for _ in range(n_occ):
        _occluder(cv, rng, cfg, scene)
    # camera optics: light, cast, per-image exposure (x 255), blur, noise (+0.5 rounding)
    gain = np.asarray(scene.gains, np.float32) * np.float32(255.0 * scene.light * rng.uniform(0.88, 1.12))
    img *= gain
    sigma = scene.blur * (H / 128.0) + rng.uniform(0, 0.3)
    if sigma > 0.25:
        img = gaussian_blur(img, sigma)
    if cfg.noise > 0:
        oy, ox = int(rng.integers(H)), int(rng.integers(W))
        img += noise_bank(H, W, cfg.noise)[oy:oy + H, ox:ox + W]
    else:
        img += np.float32(0.5)
    np.clip(img, 0.0, 255.0, out=img)
    return img.astype(np.uint8), parts
