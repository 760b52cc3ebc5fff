"""SynthReID person renderer: an articulated pedestrian drawn with anti-aliased shapes.

Shapes are signed-distance primitives (ellipse, capsule, trapezoid) evaluated only
inside their bounding box on numpy coordinate grids; pixel coverage is
``clip(0.5 - d, 0, 1)`` (analytic 1-pixel soft edge), so no supersampling is needed.
A :class:`Canvas` holds ``img`` ``[H, W, 3]`` float32 RGB in [0, 1] and optionally
``labels`` ``[H, W]`` uint8 (0 bg, 1 head, 2 upper body, 3 lower body); a pixel takes
a shape's label when the shape covers at least half of it, so ``labels > 0`` is the
binary person mask. Arms, hands and bags count as upper body, shoes as lower body.

Proportions (fractions of the body height ``h``, from the top of the head): head
radius 0.065, shoulders 0.17, hips 0.52, knees 0.74, ankles 0.96.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .identity import Colour, Identity

HEAD, UPPER, LOWER = 1, 2, 3
VIEWS = ("front", "back", "left", "right")


def _cov(d: np.ndarray) -> np.ndarray:
    """Coverage of a pixel at signed distance ``d`` (pixels): ``clip(0.5 - d, 0, 1)``, in place."""
    np.subtract(0.5, d, out=d)
    np.maximum(d, 0.0, out=d)
    return np.minimum(d, 1.0, out=d)


def _unit(x: np.ndarray) -> np.ndarray:
    np.maximum(x, 0.0, out=x)
    return np.minimum(x, 1.0, out=x)


@lru_cache(maxsize=8)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return yy + 0.5, xx + 0.5


@lru_cache(maxsize=8)
def _axes(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates as a column ``[h, 1]`` and a row ``[1, w]`` (broadcast, not grids)."""
    return ((np.arange(h, dtype=np.float32) + 0.5)[:, None], (np.arange(w, dtype=np.float32) + 0.5)[None, :])


class Canvas:
    """Image (+ optional label map) that shapes are painted on, back to front.

    Primitives broadcast a row of x and a column of y coordinates, so each costs a few
    numpy calls on the shape's bounding box only.
    """

    def __init__(self, img: np.ndarray, labels: np.ndarray | None = None,
                 alpha: np.ndarray | None = None) -> None:
        self.img = img
        self.labels = labels
        self.alpha = alpha  # when given, accumulates coverage (premultiplied RGBA sprite)
        self.h, self.w = img.shape[:2]
        self.ys, self.xs = _axes(self.h, self.w)

    @property
    def yy(self) -> np.ndarray:
        return _grid(self.h, self.w)[0]

    @property
    def xx(self) -> np.ndarray:
        return _grid(self.h, self.w)[1]

    def _box(self, x0: float, x1: float, y0: float, y1: float):
        c0, c1 = max(int(x0) - 1, 0), min(int(math.ceil(x1)) + 1, self.w)
        r0, r1 = max(int(y0) - 1, 0), min(int(math.ceil(y1)) + 1, self.h)
        if c0 >= c1 or r0 >= r1:
            return None
        return slice(r0, r1), slice(c0, c1)

    # --- primitives: return (slices, coverage) or None when off-canvas -------------
    def ellipse(self, cx: float, cy: float, rx: float, ry: float):
        sl = self._box(cx - rx, cx + rx, cy - ry, cy + ry)
        if sl is None:
            return None
        dx = (self.xs[:, sl[1]] - cx) * (1.0 / rx)
        dy = (self.ys[sl[0]] - cy) * (1.0 / ry)
        d = np.sqrt(dx * dx + dy * dy)
        d -= 1.0
        d *= min(rx, ry)
        return sl, _cov(d)

    def capsule(self, ax: float, ay: float, bx: float, by: float, r: float):
        sl = self._box(min(ax, bx) - r, max(ax, bx) + r, min(ay, by) - r, max(ay, by) + r)
        if sl is None:
            return None
        px, py = self.xs[:, sl[1]] - ax, self.ys[sl[0]] - ay
        vx, vy = bx - ax, by - ay
        inv = 1.0 / max(vx * vx + vy * vy, 1e-6)
        t = _unit(px * (vx * inv) + py * (vy * inv))
        ex, ey = px - t * vx, py - t * vy
        ex *= ex
        ey *= ey
        ex += ey
        d = np.sqrt(ex, out=ex)
        d -= r
        return sl, _cov(d)

    def trapezoid(self, cx: float, y0: float, y1: float, hw0: float, hw1: float):
        """Horizontal trapezoid: half width ``hw0`` at ``y0`` (top), ``hw1`` at ``y1``."""
        hw = max(hw0, hw1)
        sl = self._box(cx - hw, cx + hw, y0, y1)
        if sl is None:
            return None
        y = self.ys[sl[0]]
        t = _unit((y - y0) * (1.0 / max(y1 - y0, 1e-6)))
        d = np.maximum(np.maximum(y0 - y, y - y1), np.abs(self.xs[:, sl[1]] - cx) - (hw0 + t * (hw1 - hw0)))
        return sl, _cov(d)

    # --- painting ----------------------------------------------------------------
    def paint(self, shape, colour, label: int | None = None, alpha: np.ndarray | float = 1.0) -> None:
        """Alpha-blend ``colour`` (RGB or an ``[h, w, 3]`` array) where ``shape`` covers.

        ``label``: written where coverage >= 0.5 (``0`` erases, e.g. for occluders);
        ``None`` leaves the label map alone (background pedestrians, scene objects).
        """
        if shape is None:
            return
        sl, a = shape
        if not isinstance(alpha, float):
            a = a * alpha
        col = np.asarray(colour, dtype=np.float32)
        region = self.img[sl]
        region += (col - region) * a[..., None]
        if self.alpha is not None:
            ar = self.alpha[sl]
            ar += (1.0 - ar) * a
        if label is not None and self.labels is not None:
            self.labels[sl][a >= 0.5] = label


@dataclass(frozen=True)
class Pose:
    """Where and how a person stands in the crop (pixels)."""

    cx: float        # horizontal centre
    top: float       # top of the head
    height: float    # head top to sole
    view: str        # front | back | left | right
    phase: float     # walking phase in radians


def _shade(c: Colour, f: float) -> tuple[float, float, float]:
    return (c[0] * f, c[1] * f, c[2] * f)


def _pattern_alpha(cv: Canvas, shape, ident: Identity, y0: float, y1: float, cx: float,
                   hw: float, view: str):
    """Soft 0..1 map of the secondary garment colour inside a torso shape."""
    if shape is None or ident.pattern == "plain":
        return None
    sl, _ = shape
    period = max((y1 - y0) / ident.pattern_freq, 2.0)
    sy = np.clip(np.sin((cv.ys[sl[0]] - y0) * (2 * math.pi / period)) * 2.0 + 0.5, 0.0, 1.0)  # soft stripes
    if ident.pattern == "stripes":
        return sy
    if ident.pattern == "checks":
        sx = np.clip(np.sin((cv.xs[:, sl[1]] - cx) * (2 * math.pi / period)) * 2.0 + 0.5, 0.0, 1.0)
        return np.abs(sx - sy)
    if view != "front":  # a print is on the front only
        return None
    dx = (cv.xs[:, sl[1]] - cx) / (0.55 * hw)
    dy = (cv.ys[sl[0]] - (y0 + 0.4 * (y1 - y0))) / (0.2 * (y1 - y0))
    dist = (np.sqrt(dx * dx + dy * dy) - 1.0) * min(0.55 * hw, 0.2 * (y1 - y0))
    return _cov(dist)


def draw_person(cv: Canvas, ident: Identity, pose: Pose, labelled: bool | int = True) -> None:
    """Draw ``ident`` in ``pose`` on ``cv``.

    ``labelled``: ``True`` writes part labels (the crop's person), ``False`` leaves the
    label map alone (background pedestrians), an ``int`` writes that label everywhere
    the person covers (``0``: a passer-by in front that occludes the mask).
    """
    h, cx, top, view = pose.height * ident.stature, pose.cx, pose.top, pose.view
    top = top + (pose.height - h)  # shorter people: same feet, lower head
    if labelled is True:
        lab = (lambda v: v)
    elif labelled is False:
        lab = (lambda v: None)
    else:
        lab = (lambda v: int(labelled))
    side = view in ("left", "right")
    d = -1.0 if view == "left" else 1.0
    b = ident.build
    y_sh, y_hip, y_knee, y_ank = (top + f * h for f in (0.17, 0.52, 0.74, 0.96))
    sh_hw = (0.075 if side else 0.12) * h * b
    hip_hw = (0.07 if side else 0.095) * h * b
    arm_r, leg_r = 0.028 * h * b, 0.042 * h * b
    s = math.sin(pose.phase)
    # legs: (hip x, knee x, foot x) for far and near leg
    if side:
        stride = 0.14 * h
        legs = [(cx, cx - d * s * stride * 0.5, cx - d * s * stride),
                (cx, cx + d * s * stride * 0.5, cx + d * s * stride)]
        arms = [(cx, cx + d * s * 0.06 * h, cx + d * s * 0.11 * h),
                (cx, cx - d * s * 0.06 * h, cx - d * s * 0.11 * h)]
    else:
        lx = 0.05 * h * b
        legs = [(cx - lx, cx - lx - 0.01 * h * s, cx - lx - 0.015 * h),
                (cx + lx, cx + lx + 0.01 * h * s, cx + lx + 0.015 * h)]
        arms = [(cx - sh_hw + arm_r * 0.6, cx - sh_hw - 0.01 * h, cx - sh_hw - 0.005 * h),
                (cx + sh_hw - arm_r * 0.6, cx + sh_hw + 0.01 * h, cx + sh_hw + 0.005 * h)]
    y_elb, y_hand = top + 0.36 * h, top + 0.50 * h
    knee_lift = [0.0, 0.0] if not side else [max(0.0, s) * 0.02 * h, max(0.0, -s) * 0.02 * h]
    lower_len = {"shorts": 0.68, "skirt": 0.72, "trousers": 0.96}[ident.lower]
    coat = ident.upper == "coat"
    y_torso_end = top + (0.64 if coat else 0.54) * h

    def leg(i: int, shade: float) -> None:
        hx, kx, fx = legs[i]
        ky = y_knee - knee_lift[i]
        skin = _shade(ident.skin, shade)
        cloth = _shade(ident.lower_colour, shade)
        thigh = cloth if ident.lower != "skirt" else skin
        shin = cloth if ident.lower == "trousers" else skin
        cv.paint(cv.capsule(hx, y_hip, kx, ky, leg_r), thigh, lab(LOWER))
        if ident.lower == "shorts":
            cv.paint(cv.capsule(hx, y_hip, hx + (kx - hx) * 0.7, y_hip + (ky - y_hip) * 0.7, leg_r * 1.1),
                     cloth, lab(LOWER))
        cv.paint(cv.capsule(kx, ky, fx, y_ank, leg_r * 0.85), shin, lab(LOWER))
        cv.paint(cv.ellipse(fx + (0.02 * h * d if side else 0.0), y_ank + 0.015 * h,
                            0.045 * h if side else 0.03 * h, 0.022 * h), _shade(ident.shoes, shade), lab(LOWER))

    def arm(i: int, shade: float) -> None:
        sx, ex, hx = arms[i]
        sleeve = _shade(ident.upper_colour, shade)
        skin = _shade(ident.skin, shade)
        cv.paint(cv.capsule(sx, y_sh + arm_r, ex, y_elb, arm_r), sleeve, lab(UPPER))
        cv.paint(cv.capsule(ex, y_elb, hx, y_hand, arm_r * 0.9),
                 skin if ident.upper == "tshirt" else sleeve, lab(UPPER))
        cv.paint(cv.ellipse(hx, y_hand + arm_r * 0.5, arm_r * 0.9, arm_r * 1.1), skin, lab(UPPER))

    def bag_behind() -> None:
        if ident.bag == "backpack" and side:
            cv.paint(cv.trapezoid(cx - d * (sh_hw + 0.04 * h), y_sh + 0.02 * h, y_sh + 0.24 * h,
                                  0.045 * h, 0.05 * h), ident.bag_colour, lab(UPPER))

    # far limbs first (side view), then torso, near limbs, head
    if side:
        leg(0, 0.8)
        arm(0, 0.8)
        bag_behind()
    else:
        leg(0, 1.0)
        leg(1, 1.0)
    # lower garment block (hips / skirt)
    if ident.lower == "skirt":
        cv.paint(cv.trapezoid(cx, y_hip - 0.02 * h, top + lower_len * h, hip_hw, hip_hw * 1.6),
                 ident.lower_colour, lab(LOWER))
    else:
        cv.paint(cv.trapezoid(cx, y_hip - 0.02 * h, y_hip + 0.06 * h, hip_hw, hip_hw * 1.05),
                 ident.lower_colour, lab(LOWER))
    if side:
        leg(1, 1.0)
    torso = cv.trapezoid(cx, y_sh, y_torso_end, sh_hw, hip_hw * (1.15 if coat else 1.0))
    cv.paint(torso, ident.upper_colour, lab(UPPER))
    pa = _pattern_alpha(cv, torso, ident, y_sh, y_torso_end, cx, sh_hw, view)
    if pa is not None:
        cv.paint(torso, ident.pattern_colour, None, alpha=pa)
    if ident.bag == "backpack" and view == "back":
        cv.paint(cv.trapezoid(cx, y_sh + 0.03 * h, y_sh + 0.25 * h, sh_hw * 0.7, sh_hw * 0.75),
                 ident.bag_colour, lab(UPPER))
    elif ident.bag == "backpack" and view == "front":
        for sgn in (-1.0, 1.0):
            cv.paint(cv.capsule(cx + sgn * sh_hw * 0.55, y_sh, cx + sgn * sh_hw * 0.6, y_sh + 0.15 * h,
                                0.012 * h + 0.3), _shade(ident.bag_colour, 0.7), lab(UPPER))
    if side:
        arm(1, 1.0)
    else:
        arm(0, 1.0)
        arm(1, 1.0)
    if ident.bag == "shoulder" and view != "back":
        bx = cx + (d * 0.02 * h if side else sh_hw * 1.05)
        cv.paint(cv.trapezoid(bx, y_hip - 0.05 * h, y_hip + 0.06 * h, 0.04 * h, 0.045 * h),
                 ident.bag_colour, lab(UPPER))
    # neck + head
    hr = 0.065 * h * ident.head
    hy = top + hr
    cv.paint(cv.capsule(cx, hy, cx, y_sh + 0.01 * h, 0.025 * h), ident.skin, lab(HEAD))
    face = cv.ellipse(cx + (d * 0.01 * h if side else 0.0), hy, hr * 0.85, hr)
    cv.paint(face, ident.hair if view == "back" else ident.skin, lab(HEAD))
    hair_y1 = hy - hr * (0.15 if view != "back" else -0.9)
    cv.paint(cv.trapezoid(cx - (d * hr * 0.2 if side else 0.0), top - 0.5, hair_y1, hr * 0.6, hr * 0.9),
             ident.hair, lab(HEAD))
    if ident.long_hair and view != "front":
        cv.paint(cv.trapezoid(cx - (d * hr * 0.3 if side else 0.0), hy, y_sh + 0.06 * h, hr * 0.8, hr * 0.7),
                 ident.hair, lab(HEAD))
