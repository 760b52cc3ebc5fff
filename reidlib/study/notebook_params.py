"""Each notebook's parameters, as small dataclasses (what papermill may inject).

Notebooks define these names as flat assignments in their ``parameters`` cell
and call :meth:`reidlib.study.notebook.Notebook.params` with the class below; a
name that is not a field is an error listing the valid ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class DataParams:
    """Parameters every experiment notebook has.

    ``profile``    smoke | quick | full | paper (see ``reidlib.engine.profiles``)
    ``seeds``      ``None`` = the profile's seeds, or a list such as ``[0, 1, 2]``
    ``dataset``    ``"synth"`` (SynthReID) or a real data set name (``market1501``,
                   ``dukemtmcreid``, ``cuhk03``, ``mars``, ``cuhk01``, ``viper``)
    ``data_root``  folder of the real data set (``None``: ``$REIDLIB_DATA/<conventional name>``)
    ``overrides``  extra engine overrides applied to every row (``{"profile.epochs": 3}``)
    """

    profile: str = "smoke"
    seeds: Optional[list[int]] = None
    dataset: str = "synth"
    data_root: Optional[str] = None
    overrides: dict = field(default_factory=dict)


@dataclass
class ExperimentParams(DataParams):
    """A paper's table: :class:`DataParams` and the masks its rows train and test on.

    ``masks``      ``None`` (default): the masks the papers had, a segmenter's: on SynthReID
                   ``"extracted"`` by ``segmenter`` at load time, on a real data set its mask
                   mirror (``"true"``: the files ``python -m reidlib masks`` wrote with a
                   segmenter; MaskReID used an FCN, MPM-LTL Mask R-CNN, MGCAM its own
                   segmentation); ``"true"`` on SynthReID is its ground truth (an upper bound,
                   as in E12 and 00); ``"none"``. A row that sets ``data.masks`` keeps its own.
    ``segmenter``  the extractor (``reidlib.masks.SEGMENTERS``; default the shipped FCN)
    """

    masks: Optional[str] = None
    segmenter: str = "reidlib_fcn"


@dataclass
class ConvergenceParams(ExperimentParams):
    """00_convergence: the families checked (``reidlib.study.convergence.FAMILY_ROWS`` labels;
    ``None`` = all) and whether the ECN cross-domain trainer (market -> duke) is checked too."""

    families: Optional[list[str]] = None
    ecn: bool = True


@dataclass
class ThresholdParams(ExperimentParams):
    """E3: the mask-pooling thresholds swept (MPM-LTL Fig. 7-8); ``None``: the profile's sweep
    (see the notebook)."""

    thresholds: Optional[list[float]] = None


@dataclass
class PartCountParams(ExperimentParams):
    """E4: the part counts compared (MPM-LTL Fig. 6), on ``"extracted"`` masks unless set."""

    masks: Optional[str] = "extracted"
    part_counts: list[int] = field(default_factory=lambda: [3, 6, 12, 18])


@dataclass
class RankingGridParams(ExperimentParams):
    """E7: the ranking loss's alpha x lambda grid (MaskReID Table 4)."""

    alphas: list[float] = field(default_factory=lambda: [0.1, 0.15])
    lambdas: Optional[list[float]] = None   # None: the profile's default grid (see the notebook)


@dataclass
class CrossDomainParams(DataParams):
    """E10: directions and methods (SemParts Tables 1-4)."""

    directions: Optional[list[str]] = None   # None: both SynthReID directions (quick: market->duke)
    methods: list[str] = field(default_factory=lambda: ["direct", "ecn", "ecn_parts", "supervised"])


@dataclass
class MaskQualityParams(DataParams):
    """Mask-quality sensitivity: mask sources compared."""

    mask_ious: Optional[list[float]] = None   # None: the profile's sweep (see the notebook)
    segmenters: list[str] = field(default_factory=lambda: ["reidlib_fcn"])


@dataclass
class MaskQualitySweepParams(MaskQualityParams):
    """E12 mask quality: ``None`` picks the profile's default (see the notebook).

    ``methods``  ``"mpm"`` (MPM-LTL mask pooling, Table 1 row 4) and/or ``"mgcam"`` (MGCAM RGB-M)
    """

    methods: Optional[list[str]] = None


@dataclass
class SynthReIDParams:
    """00_synthreid: SynthReID's samples and difficulty table.

    ``profile``    picks the SynthReID preset (``profile.data_preset``) and the CNN's scale
    ``seeds``      ``None`` = the profile's seeds (CNN rows; the histogram is deterministic)
    ``domains``    SynthReID domain styles of the samples, chance and histogram: ``"market"``, ``"duke"``
    ``cnn_domains`` domain styles the CNN rows train on (a subset of ``domains``)
    ``kinds``      CNN input kinds: ``"rgb"``, ``"masked_rgb"``, ``"rgbm"``
    ``overrides``  engine overrides of every CNN row (``{"profile.epochs": 3}``)
    """

    profile: str = "smoke"
    seeds: Optional[list[int]] = None
    domains: list[str] = field(default_factory=lambda: ["market", "duke"])
    cnn_domains: Optional[list[str]] = None   # None: every domain (quick: the first)
    kinds: Optional[list[str]] = None   # None: all three (quick: rgb, masked_rgb)
    overrides: dict = field(default_factory=dict)


@dataclass
class MaskExtractionParams:
    """``masks`` notebook: segmenters and recipes scored against ground truth."""

    profile: str = "smoke"
    segmenters: list[str] = field(default_factory=lambda: ["reidlib_fcn"])
    recipes: list[str] = field(default_factory=lambda: ["fcn", "mpm_ltl"])
    synth_limit: int = 60
    pennfudan_root: Optional[str] = None


@dataclass
class ExploreParams:
    """explore: interactive view of one run (ipywidgets); the defaults render one static view.

    ``run``         ``"<experiment>/<id>"`` under ``runs/`` (``None``: train or reuse ``experiment``)
    ``experiment``  engine experiment trained when ``run`` is None (``reidlib.engine.recipes.EXPERIMENTS``)
    ``profile``     its profile; ``seed`` its seed
    ``query``       query index shown first; ``k`` gallery images shown; ``rerank`` k-reciprocal
    ``threshold``   mask-pooling threshold of the pooled-mask panel (MPM-LTL sec. III-C), in [0, 1]
    """

    run: Optional[str] = None
    experiment: str = "mpm_ltl"
    profile: str = "smoke"
    seed: int = 0
    query: int = 0
    k: int = 10
    rerank: bool = False
    threshold: float = 0.4


@dataclass
class RealPixelParams:
    """E13, CUHK01 (real pixels; :mod:`reidlib.study.real_pixels`).

    ``profile``      smoke (16 identities, seconds) | quick | full | paper: the arm's settings
                     per profile are ``reidlib.study.real_pixels.ARM``
    ``seeds``        ``None`` = the profile's seeds
    ``cuhk01_root``  folder of CUHK01 (``<root>/campus/*.png``); ``None``: ``../shared/data/cuhk01``
                     or ``$REIDLIB_DATA/cuhk01``; when neither exists the arm is skipped with a note
    ``cuhk01_split`` train/test identities (``None``: the profile's, ``"485/486"``; DGD's is ``"871/100"``)
    ``segmenter``    mask extractor (CUHK01 ships no masks; MaskReID used an FCN)
    ``overrides``    engine overrides of every row, e.g. ``{"profile.epochs": 4}``
    """

    profile: str = "smoke"
    seeds: Optional[list[int]] = None
    cuhk01_root: Optional[str] = None
    cuhk01_split: Optional[str] = None
    segmenter: str = "reidlib_fcn"
    overrides: dict = field(default_factory=dict)
