"""What a recipe means on the papers' data sets: iterations per stage (``train --dry-run``).

A recipe counts epochs of its batch sampler, so the number of optimiser steps (the unit the
papers often give, e.g. MGCAM sec. 4.1: 75k iterations) depends on the training set and on
the sampler. :func:`iterations_table` estimates them for the training sets of

==========  ===============  ===========  ============================================
data set    train images     train ids    source
==========  ===============  ===========  ============================================
Market      12,936           751          Zheng et al., ICCV 2015
Duke        16,522           702          Zheng et al., ICCV 2017 (DukeMTMC-reID)
CUHK03      7,365            767          Zhong et al., CVPR 2017 (new protocol, detected)
MARS        509,914          625          Zheng et al., ECCV 2016 (frames of 8,298 tracklets)
==========  ===============  ===========  ============================================

Steps per epoch of each sampler (:mod:`reidlib.engine.sampling`), ``B`` the batch size:
``pk`` and ``triplet`` about ``N / B`` (each identity's images cut into chunks of K; the
estimate ignores the identities with fewer than K images, sampled with replacement),
``siamese`` ``N // (B/2)`` batches of ``B/2`` probe-partner pairs (every image a probe once),
``maskreid`` one batch per identity.
"""
from __future__ import annotations

from typing import Any, Mapping

from .sampling import batch_shape

#: training images and identities of the papers' data sets (see the module docstring)
TRAIN_SETS: dict[str, tuple[int, int]] = {
    "Market": (12_936, 751), "Duke": (16_522, 702), "CUHK03": (7_365, 767), "MARS": (509_914, 625)}


def steps_per_epoch(sampler: Mapping[str, Any], profile: Mapping[str, Any], n_images: int, n_ids: int) -> int:
    """Estimated batches per epoch of ``cfg["sampler"]`` on a training set (module docstring)."""
    p, k, pairs = batch_shape(sampler, profile)
    name = sampler.get("name", "pk")
    if name == "maskreid":
        return n_ids
    if name == "siamese":
        return max(1, n_images // pairs)
    return max(1, n_images // (p * k))


def iterations_table(cfg: Mapping[str, Any]) -> str:
    """A text table: per recipe stage, its epochs and the iterations they are on each data set."""
    stages = cfg["recipe"]["stages"]
    names = list(TRAIN_SETS)
    steps = {d: steps_per_epoch(cfg["sampler"], cfg["profile"], *TRAIN_SETS[d]) for d in names}
    head = f"{'stage':<14}{'epochs':>7}" + "".join(f"{d:>12}" for d in names)
    lines = [f"iterations per stage of recipe {cfg['recipe']['name']!r} with sampler "
             f"{cfg['sampler']['name']!r} (estimates; steps per epoch: "
             + ", ".join(f"{d} {steps[d]:,}" for d in names) + ")", head]
    for s in stages:
        lines.append(f"{s['name']:<14}{s['epochs']:>7}" + "".join(f"{s['epochs'] * steps[d]:>12,}" for d in names))
    total = sum(s["epochs"] for s in stages)
    lines.append(f"{'total':<14}{total:>7}" + "".join(f"{total * steps[d]:>12,}" for d in names))
    cap = cfg["profile"].get("max_steps_per_epoch")
    if cap:
        lines.append(f"(profile.max_steps_per_epoch={cap} caps every epoch at {cap} steps: at most "
                     f"{total * int(cap):,} iterations)")
    return "\n".join(lines)
