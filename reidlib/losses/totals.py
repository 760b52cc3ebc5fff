"""The papers' total losses as weighted sums of named terms.

MPM-LTL eq. 5: ``L = L_local_level_triplet + L_id`` (weights 1, 1).
MGCAM eq. 8: ``L_all = L_id + lambda L_sia + alpha L_trip + beta L_att`` with
lambda = 0.01, alpha = 0.01, beta = 0.1 (``siamese=False`` drops ``L_sia``: the
paper's first stage, "MGCAM" without the Siamese network).

``WeightedSum(weights)(**terms) -> (total, {name: float})``: every weighted name
must be given; the returned dict holds the unweighted value of each term and
``"total"``, as Python floats for logging.
"""
from __future__ import annotations

from typing import Mapping

import torch
from torch import Tensor


class WeightedSum:
    """``total = sum_name weights[name] * terms[name]``."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        if not weights:
            raise ValueError("weights must name at least one term, e.g. {'id': 1.0}")
        for name, w in weights.items():
            if not float(w) >= 0:
                raise ValueError(f"weight of {name!r} must be >= 0, got {w!r}")
        self.weights = {k: float(v) for k, v in weights.items()}

    def __call__(self, **terms: Tensor) -> tuple[Tensor, dict[str, float]]:
        missing = [k for k in self.weights if k not in terms]
        extra = [k for k in terms if k not in self.weights]
        if missing or extra:
            raise KeyError(f"terms must be exactly {sorted(self.weights)}; missing {missing}, "
                           f"unknown {extra}")
        total = sum(self.weights[k] * terms[k] for k in self.weights)
        log = {k: float(torch.as_tensor(terms[k]).detach()) for k in self.weights}
        log["total"] = float(torch.as_tensor(total).detach())
        return total, log

    def __repr__(self) -> str:
        return "WeightedSum(" + ", ".join(f"{k}={v}" for k, v in self.weights.items()) + ")"


def mpm_ltl_total() -> WeightedSum:
    """MPM-LTL eq. 5: local-level triplet + ID loss."""
    return WeightedSum({"local_triplet": 1.0, "id": 1.0})


def mgcam_total(siamese: bool = True, lam: float = 0.01, alpha: float = 0.01,
                beta: float = 0.1) -> WeightedSum:
    """MGCAM eq. 8 (``siamese=False``: without ``L_sia``)."""
    w = {"id": 1.0, "region_triplet": alpha, "attention": beta}
    if siamese:
        w["siamese"] = lam
    return WeightedSum(w)
