"""Batched feature extraction and the evaluator (single query, multi-query, re-ranking).

:func:`extract_features` runs ``model(image, mask)["features"]`` over an
:class:`~reidlib.data.image_dataset.ImageDataset` in batches (``[N,D]`` float),
optionally averaging with the horizontally flipped image+mask (``flip=True``, a
common re-ID test-time trick; MGCAM/MPM-LTL do not say, so it is off by default).
Under DDP each rank extracts a strided shard and the rows are all-gathered.

:func:`evaluate_protocols` turns query/gallery features into metrics:
``sq`` single query; ``mq`` multi-query (query features of the same identity
and camera pooled, Market-1501 protocol; pooling ``"mean"`` or ``"max"``);
``+rr`` variants when a re-ranking callable ``rerank(qf, gf) -> distmat`` is
given (e.g. k-reciprocal, MPM-LTL / MaskReID / MGCAM "RR"). Metrics per protocol:
``rank1, rank5, rank10, mAP`` in percent.

Distances and CMC/mAP come from :mod:`reidlib.metrics` (``compute_distance``,
``evaluate_rank``) unless callables are passed in.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import nn

from reidlib.metrics.distance import METRICS

from . import distributed as D

RankFn = Callable[..., Any]


@torch.no_grad()
def extract_features(model: nn.Module, dataset: Any, batch_size: int = 128,
                     transform: Callable[..., dict] | None = None, flip: bool = False,
                     use_mask: bool = True, device: str | torch.device = "cpu") -> torch.Tensor:
    """Features ``[len(dataset), D]`` (CPU float32) in dataset order."""
    if batch_size <= 0:
        raise ValueError(f"batch_size must be > 0, got {batch_size}")
    was_training = model.training
    model.eval()
    idx = D.shard(range(len(dataset)))
    chunks = []
    for s in range(0, len(idx), batch_size):
        batch = dataset.get_batch(idx[s:s + batch_size])
        if transform is not None:
            batch = transform(batch, None)
        x = batch["image"].to(device)
        m = batch.get("mask") if use_mask else None
        m = m.to(device).float() if isinstance(m, torch.Tensor) else None
        f = model(x, m)["features"].float()
        if flip:
            f = (f + model(x.flip(-1), None if m is None else m.flip(-1))["features"].float()) / 2
        chunks.append(f.cpu())
    feats = torch.cat(chunks) if chunks else torch.zeros(0, 0)
    if D.world_size() > 1:
        feats = D.unshard(D.all_gather_cat(feats.to(device)).cpu(), len(dataset))
    model.train(was_training)
    return feats


def pool_by_identity(feats: torch.Tensor, pids: np.ndarray, camids: np.ndarray,
                     mode: str = "mean") -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Pool features of the same (pid, camid): the multi-query protocol (Market-1501)."""
    if mode not in ("mean", "max"):
        raise ValueError(f"unknown pooling {mode!r}; valid: mean, max")
    keys = sorted(set(zip(pids.tolist(), camids.tolist())))
    out = []
    for p, c in keys:
        sel = torch.from_numpy((pids == p) & (camids == c))
        out.append(feats[sel].mean(0) if mode == "mean" else feats[sel].max(0).values)
    return torch.stack(out), np.array([k[0] for k in keys]), np.array([k[1] for k in keys])


def _summary(result: Any) -> dict[str, float]:
    if isinstance(result, Mapping):
        cmc, m_ap = result.get("cmc"), result.get("mAP")
    else:
        cmc, m_ap = result[0], result[1]
    cmc = np.asarray(cmc, dtype=float)
    scale = 100.0 if float(np.max(cmc, initial=0)) <= 1.0 + 1e-9 and float(m_ap) <= 1.0 else 1.0
    return {f"rank{k}": float(cmc[min(k, len(cmc)) - 1]) * scale for k in (1, 5, 10)} | {"mAP": float(m_ap) * scale}


#: the evaluation protocols: single / multi query (Market-1501), each also k-reciprocal re-ranked
PROTOCOLS = ("sq", "mq", "sq+rr", "mq+rr")
#: metrics learned on training features
FITTED_METRICS = ("xqda", "kissme")
#: every ``eval.metric`` / ``eval.extra_metrics`` name: the fixed distances and the fitted ones
EVAL_METRICS = METRICS + FITTED_METRICS


def evaluate_protocols(qf: torch.Tensor, gf: torch.Tensor, q_pids: np.ndarray, g_pids: np.ndarray,
                       q_camids: np.ndarray, g_camids: np.ndarray,
                       protocols: tuple[str, ...] = ("sq",), metric: str = "euclidean",
                       mq: tuple[torch.Tensor, np.ndarray, np.ndarray] | None = None,
                       rerank: Callable[[torch.Tensor, torch.Tensor], Any] | None = None,
                       distance_fn: RankFn | None = None, rank_fn: RankFn | None = None
                       ) -> dict[str, dict[str, float]]:
    """Metrics per protocol. ``protocols`` from ``sq, mq, sq+rr, mq+rr``; ``mq`` is the
    (features, pids, camids) of the multi-query split (default: pool ``qf`` by pid+cam)."""
    valid = PROTOCOLS
    bad = [p for p in protocols if p not in valid]
    if bad:
        raise ValueError(f"unknown protocols {bad}; valid: {', '.join(valid)}")
    if any(p.endswith("+rr") for p in protocols) and rerank is None:
        raise ValueError("protocol '+rr' asked but no rerank callable given (pass rerank=...)")
    if distance_fn is None or rank_fn is None:
        from reidlib import metrics as M  # lazy: metrics is a sibling layer
        distance_fn = distance_fn or M.compute_distance
        rank_fn = rank_fn or M.evaluate_rank
    out: dict[str, dict[str, float]] = {}
    for p in protocols:
        if p.startswith("mq"):
            f, pids, cams = mq if mq is not None else pool_by_identity(qf, q_pids, q_camids)
        else:
            f, pids, cams = qf, q_pids, q_camids
        dist = rerank(f, gf) if p.endswith("+rr") else distance_fn(f, gf, metric)
        dist = np.asarray(dist.detach().cpu() if isinstance(dist, torch.Tensor) else dist)
        out[p] = _summary(rank_fn(dist, pids, g_pids, cams, g_camids))
    return out


def pool_multiquery(qf: torch.Tensor, q_pids: np.ndarray, q_camids: np.ndarray, mf: torch.Tensor,
                    m_pids: np.ndarray, m_camids: np.ndarray) -> torch.Tensor:
    """Market-1501 multi-query: each query's feature becomes the mean of the multi-query
    (``gt_bbox``) features of its pid *and* camera, ``[Q, D]``; a query without any keeps its own.

    Choice: raw features are averaged (no L2 normalisation, unlike the official script and
    :func:`reidlib.metrics.multiquery.pool_multiquery`) so pooled queries stay on the
    gallery's scale for every metric (Euclidean, KISSME, XQDA, re-ranking).
    """
    out = qf.clone()
    groups: dict[tuple[int, int], list[int]] = {}
    for j, key in enumerate(zip(np.asarray(m_pids).tolist(), np.asarray(m_camids).tolist())):
        groups.setdefault(key, []).append(j)
    for i, key in enumerate(zip(np.asarray(q_pids).tolist(), np.asarray(q_camids).tolist())):
        if key in groups:
            out[i] = mf[groups[key]].mean(0)
    return out



def fit_metric(name: str, feats: torch.Tensor, pids: np.ndarray, camids: np.ndarray, **kw: Any) -> Any:
    """A metric learned on training features: ``"xqda"`` (Liao et al.) or ``"kissme"``."""
    if name == "xqda":
        try:
            from reidlib.metrics.xqda import XQDA
        except ImportError as exc:  # pragma: no cover - sibling module being finished
            raise ImportError(f"metric 'xqda' needs reidlib.metrics.xqda ({exc})") from exc
        return XQDA(**kw).fit(feats.double().numpy(), pids, camids)
    if name == "kissme":
        try:
            from reidlib.metrics.kissme import KISSME
        except ImportError as exc:  # pragma: no cover
            raise ImportError(f"metric 'kissme' needs reidlib.metrics.kissme ({exc})") from exc
        return KISSME(**kw).fit(feats.double().numpy(), pids, camids)
    raise ValueError(f"unknown learned metric {name!r}; valid: {', '.join(FITTED_METRICS)}")


def _l2n(f: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(torch.as_tensor(f).double(), dim=1)


class _Normalized:
    """A fitted metric applied to L2-normalised features (see :func:`evaluate_model`)."""

    def __init__(self, metric: Any):
        self.metric = metric

    def distance(self, a: Any, b: Any) -> np.ndarray:
        return self.metric.distance(_l2n(a).numpy(), _l2n(b).numpy())


def evaluate_model(model: nn.Module, query: Any, gallery: Any, transform: Callable[..., dict] | None,
                   protocols: tuple[str, ...] = ("sq",), batch_size: int = 128, flip: bool = False,
                   use_mask: bool = True, device: str | torch.device = "cpu", multiquery: Any = None,
                   metric: str = "euclidean", extra_metrics: tuple[str, ...] = (), train: Any = None,
                   rerank_params: Mapping[str, Any] | None = None, **kw: Any
                   ) -> dict[str, dict[str, float]]:
    """Extract query/gallery features (ImageDatasets with raw pids) and evaluate.

    ``multiquery``: the ``gt_bbox`` ImageDataset; ``mq`` then pools it per query
    (:func:`pool_multiquery`), else the queries of one pid+camera are pooled.
    ``metric`` and each of ``extra_metrics``: ``euclidean``/``sqeuclidean``/``cosine`` or a
    metric learned on ``train`` features (``xqda``, ``kissme``: ``train`` = the training
    ImageDataset, extracted without augmentation). Choice: learned metrics see
    L2-normalised features (fit and apply): their ridge (``lambda = 1e-3``, XQDA.m) assumes
    unit-scale features, and raw CNN features of a barely trained net are far smaller. Results of ``metric`` are keyed by
    protocol (``"sq"``), those of extra metrics by ``"<protocol>@<metric>"``. ``+rr``
    protocols re-rank with k-reciprocal encoding (``rerank_params``: k1, k2, lambda_value)
    under the same metric, unless a ``rerank`` callable is passed.
    """
    ex = dict(batch_size=batch_size, transform=transform, flip=flip, use_mask=use_mask, device=device)
    qf = extract_features(model, query, **ex)
    gf = extract_features(model, gallery, **ex)
    qp, qc = query.pids.numpy(), query.camids.numpy()
    if multiquery is not None and "mq" not in kw and any(p.startswith("mq") for p in protocols):
        mf = extract_features(model, multiquery, **ex)
        kw["mq"] = (pool_multiquery(qf, qp, qc, mf, multiquery.pids.numpy(), multiquery.camids.numpy()), qp, qc)
    names = [metric, *[m for m in extra_metrics if m != metric]]
    train_f = None
    out: dict[str, dict[str, float]] = {}
    for name in names:
        mkw = dict(kw)
        dist_metric: Any = name
        if name in FITTED_METRICS:
            if train is None:
                raise ValueError(f"metric {name!r} is learned on training features: pass train=<ImageDataset>")
            if train_f is None:
                train_f = extract_features(model, train, **ex)
            fitted = _Normalized(fit_metric(name, _l2n(train_f), train.pids.numpy(), train.camids.numpy()))
            mkw["distance_fn"] = lambda a, b, _m, f=fitted: f.distance(a, b)
            dist_metric = fitted
        if any(p.endswith("+rr") for p in protocols) and mkw.get("rerank") is None:
            from reidlib.metrics.rerank import rerank_with_metric

            rp = dict(rerank_params or {})
            mkw["rerank"] = lambda a, b, m=dist_metric: rerank_with_metric(m, a, b, **rp)
        res = evaluate_protocols(qf, gf, qp, gallery.pids.numpy(), qc, gallery.camids.numpy(),
                                 protocols=protocols, metric=name if name not in FITTED_METRICS else "euclidean",
                                 **mkw)
        suffix = "" if name == metric else f"@{name}"
        out.update({f"{p}{suffix}": v for p, v in res.items()})
    return out
