"""SynthReID identities: what stays the same for one person across cameras.

An identity is a body shape (height, build, head size), skin and hair, an upper
garment (kind + colour + pattern: plain, stripes, checks, print), a lower garment
(trousers, shorts, skirt) + colour, shoes and an optional bag. Clothing colours
come from the first ``palette_size`` entries of :data:`config.PALETTE`, so identities
share colours and background pedestrians (drawn from the same sampler) look like them.
Colours are RGB floats in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import HAIR_COLOURS, PALETTE, SKIN_TONES, SynthConfig

Colour = tuple[float, float, float]


@dataclass(frozen=True)
class Identity:
    """Appearance of one person (see module docstring)."""

    stature: float        # body height relative to the average (0.9..1.1)
    build: float          # width multiplier (0.8..1.25)
    head: float           # head size multiplier (0.9..1.15)
    skin: Colour
    hair: Colour
    long_hair: bool
    upper: str            # tshirt | shirt | coat
    upper_colour: Colour
    pattern: str          # plain | stripes | checks | print
    pattern_colour: Colour
    pattern_freq: float   # stripes/checks per torso height
    lower: str            # trousers | shorts | skirt
    lower_colour: Colour
    shoes: Colour
    bag: str              # none | backpack | shoulder
    bag_colour: Colour


def _rgb(c: tuple[int, int, int]) -> Colour:
    return (c[0] / 255.0, c[1] / 255.0, c[2] / 255.0)


def _choice(rng: np.random.Generator, probs: dict[str, float]) -> str:
    names = sorted(probs)
    p = np.array([probs[n] for n in names], dtype=float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def sample_identity(rng: np.random.Generator, cfg: SynthConfig) -> Identity:
    """Draw one identity from the domain prior of ``cfg`` using ``rng``."""
    prior = cfg.prior
    pal = PALETTE[: cfg.palette_size]

    def colour() -> Colour:
        base = np.array(pal[int(rng.integers(len(pal)))], dtype=float)
        # small shade jitter: same named colour, not byte-identical
        return _rgb(tuple(np.clip(base + rng.normal(0, 6, 3), 0, 255)))  # type: ignore[arg-type]

    upper_colour = colour()
    pattern_colour = colour()
    for _ in range(4):  # a pattern needs two visibly different colours
        if np.abs(np.subtract(pattern_colour, upper_colour)).sum() > 0.4:
            break
        pattern_colour = colour()
    bag = "none"
    if rng.random() < prior.bag_prob:
        bag = "backpack" if rng.random() < 0.6 else "shoulder"
    return Identity(
        stature=float(rng.uniform(0.9, 1.1)),
        build=float(rng.uniform(0.8, 1.25)),
        head=float(rng.uniform(0.9, 1.15)),
        skin=_rgb(SKIN_TONES[int(rng.integers(len(SKIN_TONES)))]),
        hair=_rgb(HAIR_COLOURS[int(rng.integers(len(HAIR_COLOURS)))]),
        long_hair=bool(rng.random() < 0.3),
        upper=_choice(rng, prior.upper_probs),
        upper_colour=upper_colour,
        pattern=_choice(rng, prior.pattern_probs),
        pattern_colour=pattern_colour,
        pattern_freq=float(rng.uniform(4.0, 9.0)),
        lower=_choice(rng, prior.lower_probs),
        lower_colour=colour(),
        shoes=_rgb(pal[int(rng.integers(len(pal)))]) if rng.random() < 0.4 else _rgb(PALETTE[0]),
        bag=bag,
        bag_colour=colour(),
    )
