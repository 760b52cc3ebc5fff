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
``maskreid`` one batch per identity, ``random`` ``N // B``.
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
    if name == "random":
        return max(1, n_images // int((sampler.get("kwargs") or {}).get("batch_size", p * k)))
    return max(1, n_images // (p * k))


def iterations_table(cfg: Mapping[str, Any]) -> str:
    """A text table: per recipe stage, its length as given (epochs or iterations) and the
    iterations it trains on each data set, with the stage's own sampler where it names one.
    A stage given in iterations trains whole epochs (``Stage.in_epochs``), so its count is
    the given one rounded to an epoch of that set."""
    from .schedule import Stage

    names = list(TRAIN_SETS)
    cap = cfg["profile"].get("max_steps_per_epoch")
    lines = [f"iterations per stage of recipe {cfg['recipe']['name']!r} (estimates; sampler "
             f"{cfg['sampler']['name']!r} unless a stage names its own)"]
    lines.append(f"{'stage':<14}{'sampler':<10}{'given':>14}" + "".join(f"{d:>12}" for d in names))
    totals = dict.fromkeys(names, 0)
    for sd in cfg["recipe"]["stages"]:
        st = Stage(**sd)
        smp = st.sampler or cfg["sampler"]
        row = f"{st.name:<14}{smp['name']:<10}{f'{st.length:,} {st.unit[:2]}':>14}"
        for d in names:
            steps = steps_per_epoch(smp, cfg["profile"], *TRAIN_SETS[d])
            steps = min(steps, int(cap)) if cap else steps
            n = st.in_epochs(steps).epochs * steps
            totals[d] += n
            row += f"{n:>12,}"
        lines.append(row)
    lines.append(f"{'total':<38}" + "".join(f"{totals[d]:>12,}" for d in names))
    lines.append("(given: ep = epochs of the stage's sampler, it = iterations, trained as whole epochs)")
    if cap:
        lines.append(f"(profile.max_steps_per_epoch={cap} caps every epoch at {cap} steps)")
    return "\n".join(lines)
