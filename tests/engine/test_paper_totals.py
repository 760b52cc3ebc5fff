"""The papers' total losses as the engine trains them: MPM-LTL eq. 5 and MGCAM eq. 8.

The experiments' loss specs (``reidlib.engine.recipes.EXPERIMENTS``) are built with
``build_term`` and run through one ``Trainer`` step per recipe stage; the trained total
must be the paper's weighted sum of the logged terms, with the paper's weights written
out here (not read from the config), and the terms themselves are checked by hand.
"""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from reidlib.engine.experiment import _check_stages
from reidlib.engine.loop import Trainer
from reidlib.engine.recipes import EXPERIMENTS, get_recipe
from reidlib.engine.terms import build_term

from engine_tiny import PKSampler, TinyData


class FakeMGCAM(nn.Module):
    """MGCAM-shaped outputs (three streams, logits list, attention) from a linear map."""

    def __init__(self, num_classes: int = 6) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = nn.Parameter(torch.randn(3, 4, generator=g))
        self.classifier = nn.Linear(4, num_classes)

    def forward(self, x, mask=None):
        h = (x.float().mean((2, 3)) / 255.0) @ self.w
        streams = {"full": h, "body": 2 * h, "background": -h}
        logits = [self.classifier(s) for s in streams.values()]
        att = torch.sigmoid(h[:, :1, None, None]).expand(-1, 1, 4, 2)
        return {"features": h, "logits": logits, "streams": streams, "attention": att,
                "parts": [0.01 * h, 0.02 * h, 0.01 * h + 1], "feature_map": h[:, :, None, None]}


def _trainer(experiment: str):
    exp = EXPERIMENTS[experiment]
    terms = [build_term(s) for s in exp["losses"]]
    data = TinyData(n_ids=4, per_id=4)
    recipe = get_recipe(exp["recipe"])
    _check_stages(recipe, terms)  # as build_trainer: drop stage weights of terms it lacks
    model = FakeMGCAM(num_classes=4)
    t = Trainer(model, terms, data, PKSampler(data.pids, p=2, k=2), recipe,
                groups={"classifier": ["classifier"], "new": []}, quiet=True)
    return t, data


def _step(t: Trainer, stage: int) -> tuple[dict, dict]:
    t._enter_stage(stage)
    weights = t._weights()
    vals = t._train_step([0, 1, 4, 5], weights)
    return weights, vals


def test_mgcam_eq8_weights_as_trained():
    # MGCAM eq. 8: L = L_id + lambda L_sia + alpha L_trip + beta L_att, lambda = alpha = 0.01,
    # beta = 0.1; phase 1 ("MGCAM") has no Siamese loss, phase 2 adds it.
    t, _ = _trainer("mgcam")
    w1, v1 = _step(t, 0)
    assert w1 == {"id": 1.0, "attention_mse": 0.1, "region_triplet": 0.01, "siamese": 0.0}
    assert "loss/siamese" not in v1
    want = v1["loss/id"] + 0.1 * v1["loss/attention_mse"] + 0.01 * v1["loss/region_triplet"]
    assert v1["loss"] == pytest.approx(want, rel=1e-6)
    w2, v2 = _step(t, 1)
    assert w2 == {"id": 1.0, "attention_mse": 0.1, "region_triplet": 0.01, "siamese": 0.01}
    want = (v2["loss/id"] + 0.01 * v2["loss/siamese"] + 0.01 * v2["loss/region_triplet"]
            + 0.1 * v2["loss/attention_mse"])
    assert v2["loss"] == pytest.approx(want, rel=1e-6)


def test_mgcam_terms_by_hand():
    # the id term sums the three streams' cross-entropies (eq. 8's three ID losses); the
    # region triplet is ||h - 2h||^2 + [10 - ||h + h||^2]_+ = |h|^2 + [10 - 4 |h|^2]_+
    t, data = _trainer("mgcam")
    t._enter_stage(1)
    batch = data.get_batch([0, 1, 4, 5])
    out = t.model(batch["image"], batch["mask"].float())
    by_name = {term.name: term for term in t.terms}
    ce = [-torch.log_softmax(z, 1)[range(4), batch["pid"]].mean() for z in out["logits"]]
    assert float(by_name["id"](out, batch).detach()) == pytest.approx(float(sum(ce).detach()), rel=1e-6)
    n2 = out["features"].pow(2).sum(1).tolist()
    want = sum(a + max(10 - 4 * a, 0) for a in n2) / 4
    assert float(by_name["region_triplet"](out, batch).detach()) == pytest.approx(want, rel=1e-6)


def test_mpm_ltl_eq5_weights_as_trained():
    # MPM-LTL eq. 5: L = L_local_triplet + L_id (1, 1) in stage 3; stages 1-2 the ID loss only
    t, _ = _trainer("mpm_ltl")
    w1, v1 = _step(t, 0)
    assert w1 == {"id": 1.0, "local_triplet": 0.0} and v1["loss"] == pytest.approx(v1["loss/id"], rel=1e-6)
    w3, v3 = _step(t, 2)
    assert w3 == {"id": 1.0, "local_triplet": 1.0}
    assert v3["loss"] == pytest.approx(v3["loss/id"] + v3["loss/local_triplet"], rel=1e-6)
    assert v3["loss/local_triplet"] > 0 and math.isfinite(v3["loss/local_triplet"])
