"""The study's table rows as data: ``ROWS[experiment_id][row label] = (engine experiment, overrides)``.

Notebooks take their rows with ``nb.rows("E2")`` (:class:`reidlib.study.notebook.Notebook`),
which runs each with :func:`reidlib.engine.experiment.run_experiment`. Rows that resolve to
the same config (e.g. the full MPM-LTL model is E2 row 7 and E5 TriHard, and also E3's
threshold 0.4 and E4's k = 6) share one run folder, so they train once: run reuse comes
from hashing the resolved config, not from special cases here. Ids follow the study's
catalogue (the experiments of README.md):

=======  ======================================================  ==========================
id       rows                                                    base experiment
=======  ======================================================  ==========================
E1       MSCAN RGB / Mask / Masked RGB / RGB-M; MGCAM hard,       ``mscan``, ``mgcam``
         MGCAM RGB, MGCAM RGB-M (MGCAM Table 2; XQDA column =
         ``sq@xqda``)
E2       MPM-LTL Table 1 rows (1)-(7)                            ``mpm_ltl``
E5       triplet selection: TriHard, batch hard, random          ``mpm_ltl``
E6       MaskReID loss: softmax, triplet, ranking, ranking + RR  ``maskreid``
         (the RR row is the ranking run, read its ``sq+rr``)
E8       MaskReID base (DGD) / M / MF (Table 1), softmax only;   ``maskreid_softmax``
         + masked image only (an ablation, not in the paper)
E9       MSCAN, MGCAM, MGCAM + Siamese; every run evaluates      ``mscan``, ``mgcam``
         Euclidean (``sq``), KISSME (``sq@kissme``), XQDA
         (``sq@xqda``) and RR (``sq+rr``)
masks    MPM-LTL (id only, row 4 model) with true masks,         ``mpm_ltl``
         degraded masks at IoU 0.9 ... 0.5, extracted masks
         (``reidlib_fcn``), and the RGB baseline
=======  ======================================================  ==========================

The sweeps are not listed here: their notebooks build one row per swept *value* (E3
``model.kwargs.threshold``, E4 ``model.kwargs.parts``, E7 the ranking loss's ``alpha`` and
``lam``; :func:`reidlib.study.experiments.sweep_rows`), so any value runs and stays a column
of the results.

Choices: E2 rows 1-4 train the ID loss only on PK batches (no triplet architecture);
rows 5-6 use random triplets over the training bank in the triplet architecture (the
paper's "random selection method" of rows (6)-(7) and Fig. 9), row 5 on the pooled
undivided feature map ("global level"), row 6 per part. E4's k = 18 (6 x 3 grid) does not
tile the small profiles' map (6 x 2 at 96 x 32), nor the paper's 24 x 8: the ``mpm_ltl``
base sets ``uneven="adaptive"`` (adaptive average-pooling bins) for every k (identical to
exact stripes when k divides the map). E6's "softmax" row keeps the ID loss on in the
second stage (else that stage would train nothing).
"""
from __future__ import annotations

from typing import Any


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

E5: dict[str, Row] = {
    "mask-guided TriHard": ("mpm_ltl", {}),
    "batch hard": ("mpm_ltl", {"sampler.name": "pk", "miner.name": "none",
                               "losses.local_triplet.miner": "batch_hard"}),
    "random": ("mpm_ltl", {"miner.name": "random"}),
}

E6: dict[str, Row] = {
    "softmax": ("maskreid", {"losses": [{"name": "id", "weight": 1.0}],
                             "recipe.ranking.loss_weights.id": 1.0}),
    "triplet": ("maskreid", {"losses": [{"name": "id", "weight": 1.0},
                                        {"name": "triplet", "weight": 1.0,
                                         "kwargs": {"margin": 0.5, "miner": "batch_hard"}}],
                             "sampler.name": "pk"}),
    "ranking": ("maskreid", {}),
    "ranking + RR": ("maskreid", {}),
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
    "MGCAM": ("mgcam", {"recipe.siamese.loss_weights.siamese": 0.0}),
    "MGCAM + Siamese": ("mgcam", {}),
}

MASKS: dict[str, Row] = {
    "true masks": _mpm_id_only("mpm"),
    **{f"degraded IoU {q}": _mpm_id_only("mpm", **{"data.masks": "degraded", "data.mask_iou": q})
       for q in (0.9, 0.8, 0.7, 0.6, 0.5)},
    "extracted (reidlib_fcn)": _mpm_id_only("mpm", **{"data.masks": "extracted", "data.segmenter": "reidlib_fcn"}),
    "no mask (RGB)": _mpm_id_only("mpm_rgb", **{"data.needs_mask": False}),
}

#: the real-pixel arm's backbone: an ImageNet EfficientNet-Lite0 (reidlib.models.lite0_trunks), the
#: only ImageNet weights that install offline; a deviation from every paper (README "Real pixels")
LITE0_IMAGENET = {"model.kwargs.backbone": "efficientnet_lite0", "model.kwargs.pretrained": "imagenet"}

#: E13, CUHK01 (real pixels): MaskReID Table 1's base / M / MF (the E8 rows) and MPM-LTL Table 1
#: rows (1), (4), (7) (the E2 rows) on the Lite0 backbone; the data set, masks and profile
#: settings come from the notebook (reidlib.study.real_pixels)
E13: dict[str, Row] = {
    **{f"MaskReID {label.split(' ')[0]}": (exp, {**ov, **LITE0_IMAGENET})
       for label, (exp, ov) in E8.items() if not label.startswith("masked image only")},
    **{f"MPM-LTL {label}": (exp, {**ov, **LITE0_IMAGENET})
       for label, (exp, ov) in E2.items() if label[:3] in ("(1)", "(4)", "(7)")},
}

#: experiment id -> row label -> (engine experiment name, overrides)
ROWS: dict[str, dict[str, Row]] = {"E1": E1, "E2": E2, "E5": E5, "E6": E6,
                                   "E8": E8, "E9": E9, "E13": E13, "masks": MASKS}


def unique_runs(ids: list[str] | None = None) -> list[Row]:
    """The distinct (experiment, overrides) pairs of ``ids`` (default all): what a study trains."""
    out: list[Row] = []
    for eid in ids or list(ROWS):
        for row in ROWS[eid].values():
            if row not in out:
                out.append(row)
    return out
