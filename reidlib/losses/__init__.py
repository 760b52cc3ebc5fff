"""Losses of the four papers: ``loss(features, labels, ...) -> scalar tensor``.

| function | paper, equation |
|---|---|
| ``id_loss``, ``triplet_id_loss`` | MPM-LTL eq. 3-4 |
| ``triplet_loss``, ``batch_hard_triplet_loss`` | MPM-LTL eq. 1; Hermans et al. |
| ``local_triplet_loss`` | MPM-LTL eq. 2 |
| ``npair_loss`` | MaskReID eq. 3 |
| ``full_ranking_loss``, ``ranking_loss`` | MaskReID eq. 4, eq. 5 |
| ``siamese_loss`` | MGCAM eq. 7 |
| ``region_triplet_loss`` | MGCAM eq. 6 |
| ``attention_mse_loss`` | MGCAM eq. 5 |
| ``WeightedSum``, ``mpm_ltl_total``, ``mgcam_total`` | MPM-LTL eq. 5, MGCAM eq. 8 |
"""
from .attention_mse import AttentionMSELoss, attention_mse_loss
from .contrastive import SiameseLoss, siamese_loss
from .id_loss import IDLoss, id_loss, triplet_id_loss
from .local_triplet import LocalTripletLoss, local_triplet_loss
from .npair import NPairLoss, npair_loss
from .ranking import RankingLoss, full_ranking_loss, ranking_loss
from .region_triplet import RegionTripletLoss, region_triplet_loss
from .totals import WeightedSum, mgcam_total, mpm_ltl_total
from .triplet import TripletLoss, batch_hard_triplet_loss, triplet_loss
from ._common import pairwise_distance

__all__ = [
    "AttentionMSELoss", "attention_mse_loss", "SiameseLoss", "siamese_loss", "IDLoss", "id_loss",
    "triplet_id_loss", "LocalTripletLoss", "local_triplet_loss", "NPairLoss", "npair_loss",
    "RankingLoss", "full_ranking_loss", "ranking_loss", "RegionTripletLoss",
    "region_triplet_loss", "WeightedSum", "mgcam_total", "mpm_ltl_total", "TripletLoss",
    "batch_hard_triplet_loss", "triplet_loss", "pairwise_distance",
]
