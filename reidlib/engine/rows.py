"""The study's table rows as data: ``ROWS[experiment_id][row label] = (engine experiment, overrides)``.

Notebooks loop over ``ROWS["E2"]`` etc. with ``run_experiment(name, profile, overrides, seed)``
(or ``reidlib.study.experiments.run_rows``). Rows that resolve to the same config (e.g.
the full MPM-LTL model is E2 row 7, E3 threshold 0.4, E4 k = 6 and E5 TriHard) share
one run folder, so they train once. Ids follow /work/shared/STUDY.md:

=======  ======================================================  ==========================
id       rows                                                    base experiment
=======  ======================================================  ==========================
E1       MSCAN RGB / Mask / Masked RGB / RGB-M; MGCAM hard,       ``mscan``, ``mgcam``
         MGCAM RGB, MGCAM RGB-M (MGCAM Table 2; XQDA column =
         ``sq@xqda``)
E2       MPM-LTL Table 1 rows (1)-(7)                            ``mpm_ltl``
E3       mask-pooling threshold 0.0 ... 1.0                      ``mpm_ltl``
E4       part count k = 3, 6, 12, 18                             ``mpm_ltl``
E5       triplet selection: TriHard, batch hard, random          ``mpm_ltl``
E6       MaskReID loss: softmax, triplet, ranking, ranking + RR  ``maskreid``
         (the RR row is the ranking run, read its ``sq+rr``)
E7       ranking loss alpha in {0.1, 0.15} x lambda in           ``maskreid``
         {0, 1, 2, 5, 10}
E8       MaskReID base (DGD) / M / MF (Table 1), softmax only;   ``maskreid_softmax``
         + masked image only (an ablation, not in the paper)
E9       MSCAN, MGCAM, MGCAM + Siamese; every run evaluates      ``mscan``, ``mgcam``
         Euclidean (``sq``), KISSME (``sq@kissme``), XQDA
         (``sq@xqda``) and RR (``sq+rr``)
masks    MPM-LTL (id only, row 4 model) with true masks,         ``mpm_ltl``
         degraded masks at IoU 0.9 ... 0.5, extracted masks
         (``reidlib_fcn``), and the RGB baseline
=======  ======================================================  ==========================

Choices: E2 rows 1-4 train the ID loss only on PK batches (no triplet architecture);
rows 5-6 use random triplets over the training bank in the triplet architecture (the
paper's "random selection method" of rows (6)-(7) and Fig. 9), row 5 on the pooled
undivided feature map ("global level"), row 6 per part. E4 k = 18 (6 x 3 grid) does not
tile the small profiles' map (6 x 2 at 96 x 32), nor the paper's 24 x 8: it uses
``uneven="adaptive"`` (adaptive average-pooling bins), which the ``mpm_ltl`` base sets for
every k (identical to exact stripes when k divides the map). E6's "softmax" row keeps the ID
loss on in the second stage (else that stage would train nothing).
"""
from __future__ import annotations

from typing import Any

from reidlib.models.mask_pooling import DEFAULT_THRESHOLD

Row = tuple[str, dict[str, Any]]

ID_ONLY = [{"name": "id", "weight": 1.0, "kwargs": {"parts": "mean"}}]
PK_NO_MINER = {"sampler.name": "pk", "miner.name": "none"}


def _mpm_id_only(model: str, **extra: Any) -> Row:
    return ("mpm_ltl", {"model.name": model, "losses": ID_ONLY, **PK_NO_MINER, **extra})


E2: dict[str, Row] = {
    "(1) baseline RGB": _mpm_id_only("mpm_rgb", **{"data.needs_mask": False}),
    "(2) + mask (conv)": _mpm_id_only("mpm_rgbm"),
    "(3) + mask (bilinear)": _mpm_id_only("mpm_mask_bilinear"),
    "(4) + mask pooling": _mpm_id_only("mpm"),
    "(5) + global triplet": ("mpm_ltl", {"losses": ID_ONLY + [
        {"name": "triplet", "weight": 1.0, "kwargs": {"margin": 0.5, "feature": "global"}}],
        "miner.name": "random"}),
    "(6) + local triplet": ("mpm_ltl", {"miner.name": "random"}),
    "(7) + TriHard (full MPM-LTL)": ("mpm_ltl", {}),
}

E3: dict[str, Row] = {f"threshold {t:.1f}": ("mpm_ltl", {} if t == DEFAULT_THRESHOLD else {"model.kwargs.threshold": t})
                      for t in [i / 10 for i in range(11)]}

E4: dict[str, Row] = {
    "k = 3": ("mpm_ltl", {"model.kwargs.parts": 3}),
    "k = 6": ("mpm_ltl", {}),
    "k = 12": ("mpm_ltl", {"model.kwargs.parts": 12}),
    "k = 18": ("mpm_ltl", {"model.kwargs.parts": 18}),
}

E5: dict[str, Row] = {
    "mask-guided TriHard": ("mpm_ltl", {}),
    "batch hard": ("mpm_ltl", {"sampler.name": "pk", "miner.name": "batch_hard",
                               "losses.1.kwargs.miner": "batch_hard"}),
    "random": ("mpm_ltl", {"miner.name": "random"}),
}

E6: dict[str, Row] = {
    "softmax": ("maskreid", {"losses": [{"name": "id", "weight": 1.0}],
                             "recipe.stages.1.loss_weights.id": 1.0}),
    "triplet": ("maskreid", {"losses": [{"name": "id", "weight": 1.0},
                                        {"name": "triplet", "weight": 1.0,
                                         "kwargs": {"margin": 0.5, "miner": "batch_hard"}}],
                             "sampler.name": "pk"}),
    "ranking": ("maskreid", {}),
    "ranking + RR": ("maskreid", {}),
}

E7: dict[str, Row] = {
    f"alpha {a}, lambda {lam}": ("maskreid", {} if (a, lam) == (0.15, 2) else
                                 {"losses.1.kwargs.alpha": a, "losses.1.kwargs.lam": float(lam)})
    for a in (0.1, 0.15) for lam in (0, 1, 2, 5, 10)
}

E8: dict[str, Row] = {  # MaskReID Table 1: softmax only (sec. 4.2), M = original + masked image
    "base (DGD)": ("maskreid_softmax", {"model.name": "maskreid_base"}),
    "M (original + masked image)": ("maskreid_softmax", {"model.name": "maskreid_m"}),
    "MF (both + fusion)": ("maskreid_softmax", {}),
    "masked image only (ablation)": ("maskreid_softmax", {"model.name": "maskreid_masked_only"}),
}

E1: dict[str, Row] = {
    "MSCAN RGB": ("mscan", {"model.kwargs.input_kind": "rgb", "data.needs_mask": False}),
    "MSCAN Mask": ("mscan", {"model.kwargs.input_kind": "mask"}),
    "MSCAN Masked RGB": ("mscan", {"model.kwargs.input_kind": "masked_rgb"}),
    "MSCAN RGB-M": ("mscan", {}),
    "MGCAM hard": ("mgcam", {"model.name": "mgcam_hard"}),
    "MGCAM RGB": ("mgcam", {"model.kwargs.input_kind": "rgb"}),
    "MGCAM RGB-M": ("mgcam", {}),
}

E9: dict[str, Row] = {
    "MSCAN": ("mscan", {}),
    "MGCAM": ("mgcam", {"recipe.stages.1.loss_weights.siamese": 0.0}),
    "MGCAM + Siamese": ("mgcam", {}),
}

MASKS: dict[str, Row] = {
    "true masks": _mpm_id_only("mpm"),
    **{f"degraded IoU {q}": _mpm_id_only("mpm", **{"data.masks": "degraded", "data.mask_iou": q})
       for q in (0.9, 0.8, 0.7, 0.6, 0.5)},
    "extracted (reidlib_fcn)": _mpm_id_only("mpm", **{"data.masks": "extracted", "data.segmenter": "reidlib_fcn"}),
    "no mask (RGB)": _mpm_id_only("mpm_rgb", **{"data.needs_mask": False}),
}

#: experiment id -> row label -> (engine experiment name, overrides)
ROWS: dict[str, dict[str, Row]] = {"E1": E1, "E2": E2, "E3": E3, "E4": E4, "E5": E5, "E6": E6, "E7": E7,
                                   "E8": E8, "E9": E9, "masks": MASKS}


def unique_runs(ids: list[str] | None = None) -> list[Row]:
    """The distinct (experiment, overrides) pairs of ``ids`` (default all): what a study trains."""
    out: list[Row] = []
    for eid in ids or list(ROWS):
        for row in ROWS[eid].values():
            if row not in out:
                out.append(row)
    return out
