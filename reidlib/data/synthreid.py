"""Reader of a generated SynthReID folder (Market-1501 layout, up to 9 cameras).

SynthReID (:mod:`reidlib.data.synth`) writes the exact Market-1501 folder
layout and naming, so it is read by the Market-style parser; the only
difference is the camera count, which its ``meta.json`` records (the ``duke``
style has 8 cameras, which the Market-1501 reader rightly rejects).
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from .base import DatasetLayoutError, ReIDDataset
from .market import MARKET_LAYOUT, read_market_style


def read_synthreid(root: str | os.PathLike, multiquery: bool = True) -> ReIDDataset:
    """Read a SynthReID folder made by ``python -m reidlib synth`` or ``ensure_synth``."""
    root = Path(root)
    meta_path = root / "meta.json"
    if not meta_path.is_file():
        raise DatasetLayoutError(
            f"{root} is not a SynthReID folder: {meta_path} is missing.\n"
            "Generate one with `python -m reidlib synth --preset smoke OUT_DIR` or "
            "reidlib.data.synth.ensure_synth(preset, domain, seed)."
        )
    meta = json.loads(meta_path.read_text())
    layout = dataclasses.replace(MARKET_LAYOUT, name="synthreid", num_cams=int(meta.get("num_cameras", 9)))
    ds = read_market_style(root, layout, multiquery=multiquery)
    ds.meta["synth"] = meta
    return ds
