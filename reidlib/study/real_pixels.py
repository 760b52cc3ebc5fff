"""E13, the real-pixel arm: MaskReID Table 1 and MPM-LTL Table 1 rows on CUHK01 (issue 16).

Rows (:data:`reidlib.study.rows.E13`):

* MaskReID's base (DGD), M and MF (MaskReID Table 1, CUHK01 column: 66.6 / 84.26 / 84.05 rank-1);
* MPM-LTL Table 1 rows (1) RGB baseline, (4) + mask pooling and (7) full MPM-LTL. The paper
  reports these on Market-1501 only; its numbers are shown for the ordering.

Each row runs on an ImageNet EfficientNet-Lite0 (:mod:`reidlib.models.lite0_trunks`), not on
the papers' backbones (DGD's Inception from scratch, MPM-LTL's ImageNet ResNet-50). On 2 CPU
cores, small models from scratch learn nothing on real crops (``../shared/NOTES.md``), and
Lite0 is the one ImageNet network that installs offline. The masks are extracted by
``segmenter`` (reidlib's FCN by default), since CUHK01 has none (MaskReID used an FCN).

Protocol (:func:`reidlib.data.cuhk01.read_cuhk01`):

* 485 training / 486 test identities, drawn once with seed 0;
* query: both camera-A images of each test identity; gallery: both camera-B images;
* single-query CMC (each query image ranked on its own) and mAP.

Repeats are the profile's training seeds on that one split, paired across rows. The
literature's ten random splits would add split-to-split variance, which the paired test
cancels anyway.

Per-profile settings (:data:`ARM`) override every row:

* the input size: 128 x 64, the real-crop convention; CUHK01 crops are 160 x 60;
* the epochs the recipes are scaled to: 48, from measured learning curves (README "Real
  pixels"). MPM-LTL (7) trained for 48 gains 11.4 rank-1 points over 24, so 24 fails issue 16's
  doubling check. From epoch 40 to 48 it gains 0.4 rank-1 and 1.2 mAP; the check of 48
  against 96 is not yet run;
* no step cap, since CUHK01's 1,940 training images make about 60 batches an epoch.

``smoke`` trains on 16 identities (8 / 8) for seconds: a check that the arm runs, not a result.
The default study (``quick``) leaves the arm to ``full`` (:data:`SKIPPED`): it does not fit the
default's budget (issue 16 allows that).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from reidlib.study.experiments import Row, paper_table, with_overrides
from reidlib.study.paper_numbers import E13_REAL_PIXELS

#: the table's columns: ours (paper) -> our tidy column
COLUMNS = {"CUHK01 R1": "sq/rank1", "CUHK01 mAP": "sq/mAP"}
MARKET = "paper: Market SQ R1"

#: the arm's overrides per profile (every row); a profile not listed uses "full"'s
ARM: dict[str, dict[str, Any]] = {
    "smoke": {"profile.image_size": [64, 32], "profile.epochs": 1, "profile.max_steps_per_epoch": 2,
              "data.kwargs": {"split": "8/8", "ids": 16}},
    "full": {"profile.image_size": [128, 64], "profile.epochs": 48, "profile.max_steps_per_epoch": None,
             "data.kwargs": {"split": "485/486"}},
}


#: the papers' orderings tested on CUHK01, by row label: (should be higher, should be lower)
CLAIMS: list[tuple[str, str]] = [
    ("MaskReID M", "MaskReID base"), ("MaskReID MF", "MaskReID M"),
    ("MPM-LTL (4) + mask pooling", "MPM-LTL (1) baseline RGB"),
    ("MPM-LTL (7) + TriHard (full MPM-LTL)", "MPM-LTL (4) + mask pooling"),
]


#: profiles that skip the arm, and why (the notebook prints it; the study summary shows it)
SKIPPED: dict[str, str] = {
    "quick": "the default study leaves the CUHK01 arm to the full profile (make study PROFILE=full): its "
             "6 rows x 3 seeds of a fine-tuned EfficientNet-Lite0 at 128x64, 48 epochs, take about 7.5 h on 2 CPU cores "
             "(README 'Real pixels')",
}


def default_root() -> Path | None:
    """CUHK01 where this project's machines have it (``../shared/data/cuhk01``), else
    ``$REIDLIB_DATA/cuhk01``; None when neither has ``campus/``."""
    from reidlib import paths
    from reidlib.data.base import data_root

    for base in (paths.shared_data_dir(), data_root()):
        if base is not None and (Path(base) / "cuhk01" / "campus").is_dir():
            return Path(base) / "cuhk01"
    return None


def arm_rows(rows: Mapping[str, Row], profile: str, root: str | Path, split: str | None = None,
             segmenter: str = "reidlib_fcn", overrides: Mapping[str, Any] | None = None) -> dict[str, Row]:
    """``rows`` (E13's) pointed at CUHK01 under ``root`` with the profile's arm settings
    (:data:`ARM`), masks extracted by ``segmenter``, single-query evaluation; ``split`` replaces
    the profile's; ``overrides`` win over everything."""
    arm = dict(ARM.get(profile, ARM["full"]))
    if split is not None:   # a given split is the whole data set's (no smoke subset)
        arm["data.kwargs"] = {"split": split}
    extra = {"data.dataset": "cuhk01", "data.root": str(root), "data.masks": "extracted",
             "data.segmenter": segmenter, "eval.protocols": ["sq"], **arm, **dict(overrides or {})}
    return with_overrides(rows, extra)


def arm_table(tidy: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Ours on CUHK01 (mean ± std over seeds, the paper's CUHK01 number in brackets) and, for the
    MPM-LTL rows, the paper's Market-1501 rank-1 (it has no CUHK01 number); no rows -> an empty
    table with these columns (the arm was skipped)."""
    if not order:
        return pd.DataFrame(columns=["row", "seeds", *COLUMNS, MARKET])
    table = paper_table(tidy, E13_REAL_PIXELS, COLUMNS, order=order)
    table[MARKET] = [E13_REAL_PIXELS.get(r, {}).get("Market SQ R1") for r in table["row"]]
    return table
