"""SynthReID: synthetic pedestrian crops with true masks and body parts.

Market-1501 layout and naming, two domain styles (``market``, ``duke``), size presets
(``smoke``, ``study``, ``quick``, ``cpu``), deterministic and cached. Entry points::

    generate(out_dir, preset="smoke", domain="market", seed=0, **overrides) -> Path
    ensure_synth(preset, domain, seed, cache_dir=None, **overrides) -> Path
    sample_grid(root, folder="bounding_box_train", per_cam=4) -> uint8 image
"""
from .config import DOMAINS, GENERATOR_VERSION, PRESETS, SynthConfig, make_config
from .preview import NAME_RE, sample_grid
from .writer import cache_key, ensure_synth, generate, plan_jobs, render_job

__all__ = ["DOMAINS", "GENERATOR_VERSION", "NAME_RE", "PRESETS", "SynthConfig", "cache_key", "ensure_synth",
           "generate", "make_config", "plan_jobs", "render_job", "sample_grid"]
