"""Evaluation on arrays: distances, CMC/mAP (Market-1501 protocol), multi-query,
CUHK03 classic single-shot and MARS tracklet pooling. numpy or torch in, numpy out."""
from .distance import METRICS, compute_distance
from .rank import AP_MODES, evaluate_rank, match_ranks

__all__ = ["METRICS", "AP_MODES", "compute_distance", "evaluate_rank", "match_ranks"]
