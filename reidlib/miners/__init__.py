"""Triplet miners: index tuples ``(anchors, positives, negatives)`` as LongTensors.

| miner | source |
|---|---|
| ``random_triplets`` / ``RandomTripletMiner`` | random selection (MPM-LTL Fig. 9) |
| ``batch_hard_triplets`` / ``BatchHardMiner`` | Hermans et al. (MPM-LTL Fig. 9) |
| ``mask_guided_trihard`` / ``MaskGuidedTriHardMiner`` | MPM-LTL algorithm 1 |
"""
from .batch_hard import BatchHardMiner, batch_hard_triplets
from .random import RandomTripletMiner, random_triplets
from .trihard import MaskGuidedTriHardMiner, mask_guided_trihard

__all__ = ["BatchHardMiner", "batch_hard_triplets", "RandomTripletMiner", "random_triplets",
           "MaskGuidedTriHardMiner", "mask_guided_trihard"]
