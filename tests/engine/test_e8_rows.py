"""E8 (MaskReID Table 1): softmax-only protocol and the M = original + masked image variant."""
from __future__ import annotations

import pytest

from reidlib.engine.experiment import resolve_config, validate_config
from reidlib.study.rows import ROWS
from reidlib.models import build_model
from reidlib.study.paper_numbers import E8_FUSION


@pytest.mark.parametrize("label", sorted(ROWS["E8"]))
def test_e8_rows_train_the_id_loss_only(label):
    # MaskReID sec. 4.2: "softmax loss is used for training our network" (small data sets);
    # the old rows inherited the ranking-loss stage of the `maskreid` recipe.
    exp, ov = ROWS["E8"][label]
    cfg = resolve_config(exp, "smoke", ov)
    validate_config(cfg)
    assert [t["name"] for t in cfg["losses"]] == ["id"]
    for st in cfg["recipe"]["stages"]:
        assert all(k == "id" or w == 0 for k, w in st["loss_weights"].items())
        assert float(st["loss_weights"].get("id", 1.0)) > 0


def test_e8_variants_and_paper_numbers():
    models = {label: resolve_config(exp, "smoke", ov)["model"]["name"] for label, (exp, ov) in ROWS["E8"].items()}
    assert models == {"base (DGD)": "maskreid_base", "M (original + masked image)": "maskreid_m",
                      "MF (both + fusion)": "maskreid_mf", "masked image only (ablation)": "maskreid_masked_only"}
    m = build_model("maskreid_m", 3)
    assert m.inputs == "both" and not m.fusion  # the old maskreid_m was inputs="masked"
    # every paper row has its Table 1 numbers; the ablation row has none
    assert set(E8_FUSION) == set(ROWS["E8"]) - {"masked image only (ablation)"}
