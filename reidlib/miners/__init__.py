"""Triplet miners: index tuples ``(anchors, positives, negatives)`` as LongTensors.

| miner | source |
|---|---|
| ``random_triplets`` / ``RandomTripletMiner`` | random selection (MPM-LTL Fig. 9) |
| ``batch_hard_triplets`` / ``BatchHardMiner`` | Hermans et al. (MPM-LTL Fig. 9) |
| ``mask_guided_trihard`` / ``MaskGuidedTriHardMiner`` | MPM-LTL algorithm 1 |
"""
#: miners that draw triplets over the whole training bank, between epochs (config ``miner.name``
#: with sampler ``triplet``): MPM-LTL algorithm 1 and the paper's "random selection method"
BANK_MINERS = ("trihard", "random")
#: miners that pick triplets inside one P x K batch (a triplet term's ``miner`` keyword):
#: Hermans et al.'s batch hard, every valid triplet, one random positive/negative per anchor
BATCH_MINERS = ("batch_hard", "all", "batch_random")

from .batch_hard import BatchHardMiner, batch_hard_triplets
from .random import RandomTripletMiner, random_triplets
from .trihard import MaskGuidedTriHardMiner, mask_guided_trihard

__all__ = ["BANK_MINERS", "BATCH_MINERS", "BatchHardMiner", "batch_hard_triplets", "RandomTripletMiner", "random_triplets",
           "MaskGuidedTriHardMiner", "mask_guided_trihard"]
