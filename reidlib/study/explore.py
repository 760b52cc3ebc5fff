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
    from reidlib.engine.runs import config_hash

    root = Path(runs_root) if runs_root is not None else paths.runs_dir()
    run_experiment(experiment, profile, seed=seed, runs_root=root, quiet=True)
    return f"{experiment}/{config_hash(resolve_config(experiment, profile, None, seed))}"


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


def topk_figure(run: LoadedRun, feats: Features, index: int, k: int = 10, rerank: bool = False):
    """The query and its top-``k`` gallery images, true matches framed green, false red."""
    import matplotlib.pyplot as plt

    from reidlib.study.figures import set_style

    res = rank_query(feats, index, k, rerank)
    set_style()
    fig, axes = plt.subplots(1, len(res["gallery"]) + 1, figsize=(1.0 * (len(res["gallery"]) + 1), 2.4))
    axes[0].imshow(_image(run.query, index))
    axes[0].set_title(f"query\nid {feats.q_pids[index]}")
    for ax, g, dist, ok in zip(axes[1:], res["gallery"], res["distance"], res["match"]):
        ax.imshow(_image(run.gallery, int(g)))
        ax.set_title(f"{dist:.2f}", color="green" if ok else "red")
        for s in ax.spines.values():
            s.set(visible=True, color="green" if ok else "red", linewidth=3)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.suptitle(f"{run.name}: {'re-ranked' if rerank else 'Euclidean'} top-{len(res['gallery'])}", fontsize=9)
    fig.tight_layout()
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


def maps_figure(maps: Mapping[str, np.ndarray], threshold: float = 0.4):
    """Image, mask, the stem's mask-pooled mask at ``threshold`` and the attention map, as present."""
    import matplotlib.pyplot as plt

    from reidlib.study.figures import set_style
    from reidlib.study.visuals import stem_mask_pooling

    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"mask-pooling threshold must be in [0, 1], got {threshold}")
    panels = [("image", maps["image"], None)]
    if "mask" in maps:
        panels += [("mask", maps["mask"], "gray"),
                   (f"mask pooled, t = {threshold:g}", stem_mask_pooling(maps["mask"] > 0.5, threshold), "gray")]
    if "attention" in maps:
        panels.append(("attention", maps["attention"], "viridis"))
    set_style()
    fig, axes = plt.subplots(1, len(panels), figsize=(1.4 * len(panels), 2.6), squeeze=False)
    for ax, (title, arr, cmap) in zip(axes[0], panels):
        ax.imshow(arr, cmap=cmap, interpolation="nearest")
        ax.set_title(title)
        ax.axis("off")
    fig.tight_layout()
    return fig
