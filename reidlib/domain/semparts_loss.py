"""SemParts losses for cross-domain training (SemParts sec. 3.3, eq. 3-5).

Inputs are the SemParts model's outputs (``reidlib.models.semparts``):
``logits = [global, head, upper, lower]`` (each ``[B,C]``), ``global [B,d]``,
``parts = [head, upper, lower]`` (each ``[B,d]``), ``part_logits [B,4,h,w]``.

* source (eq. 3-4): ``L_s = L_id(global) + L_p``, ``L_p = L_h + L_u + L_l`` (cross-entropy
  with the source labels); no loss on the background feature.
* target (eq. 5's ``L_t``): the paper classifies target features too, without labels:
  as its baseline ECN does, each stream (global, head, upper, lower) has its own
  exemplar memory (:class:`~reidlib.domain.exemplar_memory.ExemplarMemory`) and the
  loss is the sum of the four memory losses; ``parts=False`` keeps the global one (ECN).
* part segmentation: cross-entropy of ``part_logits`` against the part map (labels
  0 bg, 1 head, 2 upper, 3 lower) resized to ``h x w`` by nearest neighbour (the paper
  trains its semantic part classifier but gives no loss; this is the standard choice).

Choice: eq. 4-5 are plain sums; combining ``L_s`` and ``L_t`` uses ECN's weights
``(1 - lambda) L_s + lambda L_t`` (``lambda = 0.3``) in ``adaptation.py``.
"""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor

STREAMS = ("global", "head", "upper", "lower")


def source_id_loss(logits: list[Tensor] | Tensor, labels: Tensor, parts: bool = True) -> Tensor:
    """Eq. 3-4: ``L_id(global) [+ L_h + L_u + L_l]`` averaged over the batch."""
    zs = [logits] if isinstance(logits, Tensor) else list(logits)
    if parts and len(zs) != 4:
        raise ValueError(f"parts=True needs logits [global, head, upper, lower], got {len(zs)} tensors")
    zs = zs if parts else zs[:1]
    return sum(F.cross_entropy(z, labels.long()) for z in zs)


def stream_features(outputs: Mapping[str, object], parts: bool = True) -> dict[str, Tensor]:
    """``{"global": [B,d], "head": ..., "upper": ..., "lower": ...}`` from model outputs."""
    if "global" not in outputs:
        raise KeyError(f"model outputs lack 'global' (SemParts); got {sorted(outputs)}")
    out = {"global": outputs["global"]}
    if parts:
        ps = outputs.get("parts")
        if not isinstance(ps, (list, tuple)) or len(ps) != 3:
            raise KeyError("parts=True needs outputs['parts'] = [head, upper, lower] (SemParts model)")
        out.update(zip(STREAMS[1:], ps))
    return out


def target_memory_loss(features: Mapping[str, Tensor], indices: Tensor,
                       memories: Mapping[str, torch.nn.Module]) -> Tensor:
    """``L_t = sum over streams`` of each stream's exemplar-memory loss."""
    missing = set(features) - set(memories)
    if missing:
        raise KeyError(f"no exemplar memory for streams {sorted(missing)}; have {sorted(memories)}")
    return sum(memories[k](f, indices) for k, f in features.items())


def part_segmentation_loss(part_logits: Tensor, part_maps: Tensor) -> Tensor:
    """Cross-entropy of ``part_logits [B,4,h,w]`` vs label maps ``[B,1,H,W]`` (nearest-resized)."""
    if part_logits.dim() != 4 or part_maps.dim() != 4 or part_maps.shape[1] != 1:
        raise ValueError(f"need part_logits [B,K,h,w] and part maps [B,1,H,W], got "
                         f"{tuple(part_logits.shape)} and {tuple(part_maps.shape)}")
    if part_logits.shape[0] != part_maps.shape[0]:
        raise ValueError(f"batch sizes differ: {part_logits.shape[0]} logits vs {part_maps.shape[0]} maps")
    k = part_logits.shape[1]
    target = F.interpolate(part_maps.float(), size=part_logits.shape[2:], mode="nearest")[:, 0].long()
    if int(target.max()) >= k or int(target.min()) < 0:
        raise ValueError(f"part labels must be in [0, {k}), got [{int(target.min())}, {int(target.max())}]")
    return F.cross_entropy(part_logits, target)
