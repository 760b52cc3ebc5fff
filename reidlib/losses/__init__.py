"""Losses of the four papers: ``loss(features, labels, ...) -> scalar tensor``.

| function | paper, equation |
|---|---|
| ``id_loss``, ``triplet_id_loss`` | MPM-LTL eq. 3-4 |
| ``triplet_loss`` | MPM-LTL eq. 1 (batch hard: on a miner's triplets) |
| ``local_triplet_loss`` | MPM-LTL eq. 2 |
| ``npair_loss`` | MaskReID eq. 3 |
| ``full_ranking_loss``, ``ranking_loss`` | MaskReID eq. 4, eq. 5 |
| ``siamese_loss`` | MGCAM eq. 7 |
| ``region_triplet_loss`` | MGCAM eq. 6 |
| ``attention_mse_loss`` | MGCAM eq. 5 |

The papers' totals (MPM-LTL eq. 5, MGCAM eq. 8, SemParts eq. 5) are not a loss of their own:
an experiment lists its loss terms with their weights (``reidlib.engine.recipes``), a recipe
stage may re-weight them (``loss_weights``), and the engine's one training loop sums them
(``reidlib.engine.loop.Trainer``; tested against the equations in
``tests/engine/test_paper_totals.py``). Batch-hard triplets come from the miner
(``reidlib.miners.batch_hard_triplets``) and are scored by ``triplet_loss``.
"""
from .attention_mse import AttentionMSELoss, attention_mse_loss
from .contrastive import SiameseLoss, siamese_loss
from .id_loss import IDLoss, id_loss, triplet_id_loss
from .local_triplet import LocalTripletLoss, local_triplet_loss
from .npair import NPairLoss, npair_loss
from .ranking import RankingLoss, full_ranking_loss, ranking_loss
from .region_triplet import RegionTripletLoss, region_triplet_loss
from .triplet import TripletLoss, triplet_loss
from ._common import pairwise_distance

__all__ = [
    "AttentionMSELoss", "attention_mse_loss", "SiameseLoss", "siamese_loss", "IDLoss", "id_loss",
    "triplet_id_loss", "LocalTripletLoss", "local_triplet_loss", "NPairLoss", "npair_loss",
    "RankingLoss", "full_ranking_loss", "ranking_loss", "RegionTripletLoss",
    "region_triplet_loss", "TripletLoss", "triplet_loss", "pairwise_distance",
]
