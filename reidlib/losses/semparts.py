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

Source/target weighting (:func:`domain_weights`, used by ``adaptation.py``): SemParts
eq. 5 is the plain sum ``L = L_s + L_t`` (sec. 3.3: "The total loss function L is the
source domain loss L_s and the target domain loss L_t"), the default of ``ecn_parts``.
ECN (Zhong et al., CVPR 2019, eq. 8; its released code ``reid/trainers.py``:
``loss = (1 - lmd) * source_pid_loss + lmd * loss_un`` with ``lmd = 0.3``) weights
``(1 - lambda) L_s + lambda L_t``, the default of the ``ecn`` rows; passing ``lam``
applies ECN's split to either method (an ablation, not SemParts' equation).
"""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor

STREAMS = ("global", "head", "upper", "lower")
#: ECN's source/target split ``lambda`` (ECN eq. 8, code ``lmd = 0.3``)
ECN_LAMBDA = 0.3


def domain_weights(method: str, lam: float | None = None) -> tuple[float, float]:
    """``(w_s, w_t)`` of ``w_s L_s + w_t L_t``: ``lam`` given -> ECN's ``(1 - lam, lam)``;
    ``lam=None`` -> the method's paper: ``ecn_parts`` SemParts eq. 5 ``(1, 1)``, ``ecn``
    ECN eq. 8 ``(1 - 0.3, 0.3)``."""
    if lam is not None:
        if not 0.0 <= float(lam) <= 1.0:
            raise ValueError(f"lambda (source/target weight) must be in [0, 1], got {lam}")
        return 1.0 - float(lam), float(lam)
    if method == "ecn_parts":
        return 1.0, 1.0
    if method == "ecn":
        return 1.0 - ECN_LAMBDA, ECN_LAMBDA
    raise KeyError(f"no source/target weighting for method {method!r}; valid: ecn, ecn_parts")


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
