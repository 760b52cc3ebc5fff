"""Evaluation on arrays (numpy or torch in, numpy/float out): distances, CMC/mAP
under the Market-1501 protocol, multi-query pooling, CUHK03 classic single-shot CMC
MARS tracklet pooling, k-reciprocal re-ranking (dense and features-first) and the
learned metrics XQDA and KISSME."""
from .cuhk03_classic import evaluate_cuhk03_classic, single_shot_cmc
from .distance import METRICS, compute_distance
from .multiquery import evaluate_multiquery, pool_multiquery
from .rank import AP_MODES, evaluate_rank, match_ranks
from .kissme import KISSME
from .rerank import k_reciprocal_rerank, rerank_with_metric
from .rerank_sparse import k_reciprocal_rerank_features
from .tracklet import pool_tracklets, tracklet_labels
from .xqda import XQDA

__all__ = [
    "METRICS", "AP_MODES", "compute_distance", "evaluate_rank", "match_ranks",
    "pool_multiquery", "evaluate_multiquery", "single_shot_cmc", "evaluate_cuhk03_classic",
    "pool_tracklets", "tracklet_labels", "k_reciprocal_rerank", "k_reciprocal_rerank_features",
    "rerank_with_metric", "XQDA", "KISSME",
]
