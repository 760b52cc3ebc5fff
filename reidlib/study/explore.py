"""Logic of the interactive ``explore`` notebook: load a run, rank a query, draw what the model sees.

A *run* is a folder ``runs/<experiment>/<id>`` written by the engine
(``config.json`` + ``checkpoints/best.pt``). :func:`load_run` rebuilds its data and
model from the config through the engine (:func:`reidlib.engine.experiment.build_trainer`
with no run folder) and loads the checkpoint; :func:`compute_features` extracts the
query/gallery features once (``qf [Q, D]``, ``gf [G, D]``, Euclidean distances
``[Q, G]``; the k-reciprocal re-ranked ``[Q, G]`` is computed on first use and kept).

:func:`rank_query` applies the Market-1501 protocol to one query (gallery images of the
same identity *and* camera, and junk ``pid == -1``, are left out of the list) and marks
true matches; :func:`topk_figure` draws the query and its top-k (green border = true
match, red = false). :func:`maps_figure` shows an image, its mask, the MPM stem's
mask-pooled mask (MPM-LTL sec. III-C, :func:`reidlib.study.visuals.stem_mask_pooling`)
and, for models that output one (MGCAM eq. 3-4), the attention map ``[1, h, w]``.
The interactive widget over these is :class:`reidlib.study.explorer_widget.Explorer`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from reidlib import paths

BEST = "best.pt"


def list_runs(runs_root: str | Path | None = None) -> list[str]:
    """``"<experiment>/<id>"`` of every run under ``runs_root`` with a config and a best checkpoint."""
    root = Path(runs_root) if runs_root is not None else paths.runs_dir()
    found = [p.parent.parent for p in root.glob(f"*/*/checkpoints/{BEST}") if (p.parent.parent / "config.json").is_file()]
    return sorted(f"{p.parent.name}/{p.name}" for p in found)


def ensure_run(experiment: str = "mpm_ltl", profile: str = "smoke", seed: int = 0,
               runs_root: str | Path | None = None) -> str:
    """Train (or reuse) ``experiment`` at ``profile`` and return its ``"<experiment>/<id>"``."""
    from reidlib.engine.experiment import resolve_config, run_experiment
    from reidlib.engine.runs import run_id

    root = Path(runs_root) if runs_root is not None else paths.runs_dir()
    run_experiment(experiment, profile, seed=seed, runs_root=root, quiet=True)
    return f"{experiment}/{run_id(resolve_config(experiment, profile, None, seed))}"


@dataclass
class LoadedRun:
    """A run's model (eval mode) with its query/gallery ImageDatasets and test transform."""

    name: str
    config: dict
    model: torch.nn.Module
    query: Any
    gallery: Any
    transform: Any
    use_mask: bool


def load_run(run: str | Path, runs_root: str | Path | None = None, checkpoint: str = BEST) -> LoadedRun:
    """Rebuild a run's data and model from ``config.json`` and load ``checkpoints/<checkpoint>``."""
    from reidlib.data.transforms import build_transforms
    from reidlib.engine.checkpoint import load_checkpoint
    from reidlib.engine.experiment import build_trainer
    from reidlib.engine.runs import read_json

    root = Path(runs_root) if runs_root is not None else paths.runs_dir()
    d = Path(run) if Path(run).is_absolute() else root / run
    ckpt = d / "checkpoints" / checkpoint
    if not (d / "config.json").is_file() or not ckpt.is_file():
        raise FileNotFoundError(f"run {run!r} has no config.json or checkpoints/{checkpoint} under {root}; "
                                f"valid runs: {list_runs(root) or 'none (train one: ensure_run())'}")
    cfg = read_json(d / "config.json")
    trainer = build_trainer(cfg, runs_root=root, quiet=True, run=False)
    trainer.model.load_state_dict(load_checkpoint(ckpt)["model"])
    trainer.model.eval()
    data = cfg["data"]
    use_mask = bool(data.get("use_mask", True)) and data.get("masks", "true") != "none"
    ev = trainer.evaluator
    return LoadedRun(str(run), cfg, trainer.model, ev.query, ev.gallery,
                     build_transforms(tuple(cfg["profile"]["image_size"]), train=False), use_mask)


@dataclass
class Features:
    """Query/gallery features and distances of a loaded run (see module docstring)."""

    qf: torch.Tensor
    gf: torch.Tensor
    q_pids: np.ndarray
    g_pids: np.ndarray
    q_cams: np.ndarray
    g_cams: np.ndarray
    dist: np.ndarray
    rerank_params: dict = field(default_factory=lambda: {"k1": 20, "k2": 6, "lambda_value": 0.3})
    _reranked: np.ndarray | None = None

    def distances(self, rerank: bool = False) -> np.ndarray:
        """``[Q, G]`` Euclidean distances, or k-reciprocal re-ranked ones (computed once)."""
        if not rerank:
            return self.dist
        if self._reranked is None:
            from reidlib.metrics import compute_distance
            from reidlib.metrics.rerank import k_reciprocal_rerank

            qq = compute_distance(self.qf, self.qf, "euclidean")
            gg = compute_distance(self.gf, self.gf, "euclidean")
            self._reranked = np.asarray(k_reciprocal_rerank(self.dist, qq, gg, **self.rerank_params))
        return self._reranked


def compute_features(run: LoadedRun, batch_size: int = 128) -> Features:
    """Extract the query and gallery features of ``run`` once."""
    from reidlib.engine.features import extract_features
    from reidlib.metrics import compute_distance

    ex = dict(batch_size=batch_size, transform=run.transform, use_mask=run.use_mask)
    qf, gf = extract_features(run.model, run.query, **ex), extract_features(run.model, run.gallery, **ex)
    return Features(qf, gf, run.query.pids.numpy(), run.gallery.pids.numpy(), run.query.camids.numpy(),
                    run.gallery.camids.numpy(), np.asarray(compute_distance(qf, gf, "euclidean"), np.float64))


def rank_query(feats: Features, index: int, k: int = 10, rerank: bool = False) -> dict[str, np.ndarray]:
    """Top-``k`` of query ``index``: ``{"gallery": indices [k], "distance": [k], "match": bool [k]}``."""
    Q = len(feats.q_pids)
    if not 0 <= index < Q:
        raise IndexError(f"query index {index} out of range: the run has {Q} queries (0..{Q - 1})")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    d = feats.distances(rerank)[index]
    pid, cam = feats.q_pids[index], feats.q_cams[index]
    keep = (feats.g_pids != -1) & ~((feats.g_pids == pid) & (feats.g_cams == cam))
    cand = np.flatnonzero(keep)
    top = cand[np.argsort(d[cand], kind="stable")[:k]]
    return {"gallery": top, "distance": d[top], "match": feats.g_pids[top] == pid}


def _image(dataset: Any, i: int) -> np.ndarray:
    from reidlib.data.io import read_image

    return read_image(dataset.records[i]["path"])


#: gallery images per row of :func:`topk_figure` (a longer top-k wraps into more rows)
PER_ROW = 10
#: colours of a true / false match in :func:`topk_figure`
MATCH_COLOURS = {True: "green", False: "red"}


def distance_kind(rerank: bool) -> str:
    """What the numbers over the gallery are: ``"re-ranked distance"`` or ``"Euclidean distance"``."""
    return "re-ranked distance" if rerank else "Euclidean distance"


def query_label(feats: Features, index: int) -> str:
    """``"query #3 (person id 2)"``: the query's index (the slider) and its person id."""
    return f"query #{index} (person id {int(feats.q_pids[index])})"


def topk_figure(run: LoadedRun, feats: Features, index: int, k: int = 10, rerank: bool = False,
                per_row: int = PER_ROW):
    """The query and its top-``k`` gallery images, true matches framed green, false red.

    Each gallery image is titled with its rank, its distance to the query (the kind --
    Euclidean or re-ranked -- is named in the title: their scales differ) and its person
    id; the gallery wraps after ``per_row`` images and the figure grows with the rows.
    """
    import math

    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from reidlib.study.figures import set_style

    if per_row < 1:
        raise ValueError(f"per_row must be >= 1, got {per_row}")
    res = rank_query(feats, index, k, rerank)
    n = len(res["gallery"])
    rows, cols = math.ceil(n / per_row), min(n, per_row)
    set_style()
    cell_w, cell_h, head, foot = 1.0, 2.25, 0.75, 0.35
    fig = plt.figure(figsize=(cell_w * (cols + 1.25), cell_h * rows + head + foot))
    gs = fig.add_gridspec(rows, cols + 2, width_ratios=[1.0, 0.25] + [1.0] * cols,
                          left=0.01, right=0.99, bottom=foot / (cell_h * rows + head + foot),
                          top=1 - head / (cell_h * rows + head + foot), wspace=0.12, hspace=0.3)
    qax = fig.add_subplot(gs[0, 0])
    qax.imshow(_image(run.query, index))
    qax.set_title(f"query #{index}\n(person id {int(feats.q_pids[index])})", fontweight="bold")
    for s in qax.spines.values():
        s.set(visible=True, color="0.2", linewidth=1.5)
    axes = [qax]
    for j, (g, dist, ok) in enumerate(zip(res["gallery"], res["distance"], res["match"])):
        ax = fig.add_subplot(gs[j // per_row, 2 + j % per_row])
        ax.imshow(_image(run.gallery, int(g)))
        colour = MATCH_COLOURS[bool(ok)]
        ax.set_title(f"{j + 1}: {dist:.3g}\nid {int(feats.g_pids[g])}", color=colour, fontsize=8)
        for s in ax.spines.values():
            s.set(visible=True, color=colour, linewidth=3)
        axes.append(ax)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    kind = distance_kind(rerank)
    fig.suptitle(f"{run.name} \u2014 {query_label(feats, index)}\n"
                 f"top-{n} by {kind} \u2014 over each image: rank: {kind} (lower = closer), person id",
                 fontsize=9, y=1 - 0.08 / (cell_h * rows + head + foot))
    fig.legend(handles=[Patch(facecolor="none", edgecolor=MATCH_COLOURS[True], linewidth=3,
                              label="true match (same person)"),
                        Patch(facecolor="none", edgecolor=MATCH_COLOURS[False], linewidth=3,
                              label="false match (other person)")],
               loc="lower center", ncol=2, frameon=False, bbox_to_anchor=(0.5, 0.0))
    return fig


@torch.no_grad()
def model_maps(run: LoadedRun, index: int, split: str = "query") -> dict[str, np.ndarray]:
    """``{"image" [H,W,3] uint8, "mask" [H,W] (if any), "attention" [h,w] (MGCAM only)}`` of one image."""
    if split not in ("query", "gallery"):
        raise ValueError(f"unknown split {split!r}; valid: query, gallery")
    ds = getattr(run, split)
    if not 0 <= index < len(ds):
        raise IndexError(f"{split} index {index} out of range (0..{len(ds) - 1})")
    batch = run.transform(ds.get_batch([index]), None)
    mask = batch.get("mask")
    out: dict[str, np.ndarray] = {"image": _image(ds, index)}
    if isinstance(mask, torch.Tensor):
        out["mask"] = mask[0, 0].float().numpy()
    m = mask.float() if run.use_mask and isinstance(mask, torch.Tensor) else None
    outputs: Mapping[str, Any] = run.model(batch["image"], m)
    if "attention" in outputs:
        out["attention"] = outputs["attention"][0, 0].float().numpy()
    return out


def _binary(arr: np.ndarray) -> bool:
    return bool(np.isin(np.asarray(arr), (0, 1)).all())


def maps_figure(maps: Mapping[str, np.ndarray], threshold: float = 0.4, title: str | None = None):
    """Image, mask, the stem's mask-pooled mask at ``threshold`` and the attention map, as present.

    Continuous maps (the attention map, a soft mask) get a colour bar; binary masks are
    drawn white = person, black = background (said in the panel's title).
    """
    import matplotlib.pyplot as plt

    from reidlib.study.figures import set_style
    from reidlib.study.visuals import stem_mask_pooling

    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"mask-pooling threshold must be in [0, 1], got {threshold}")
    panels = [("image", maps["image"], None, None)]
    if "mask" in maps:
        panels += [("mask", maps["mask"], "gray", "mask value"),
                   (f"mask pooled, t = {threshold:g}", stem_mask_pooling(maps["mask"] > 0.5, threshold), "gray",
                    "pooled mask")]
    if "attention" in maps:
        panels.append(("attention", maps["attention"], "viridis", "attention weight"))
    set_style()
    fig, axes = plt.subplots(1, len(panels), figsize=(1.75 * len(panels), 2.9 if title else 2.6), squeeze=False)
    for ax, (name, arr, cmap, bar) in zip(axes[0], panels):
        binary = cmap is not None and _binary(arr)
        im = ax.imshow(arr, cmap=cmap, interpolation="nearest", **({"vmin": 0, "vmax": 1} if binary else {}))
        ax.set_title(name)
        if binary:
            ax.text(0.5, -0.04, "white = person", transform=ax.transAxes, ha="center", va="top", fontsize=7)
        elif cmap is not None:
            cb = fig.colorbar(im, ax=ax, fraction=0.08, pad=0.03)
            cb.set_label(bar, fontsize=7)
            cb.ax.tick_params(labelsize=6)
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig
