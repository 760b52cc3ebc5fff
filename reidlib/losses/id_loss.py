"""Cross-entropy identification loss over part classifiers (MPM-LTL eq. 3-4).

MPM-LTL eq. 3: ``L_id_a = -1/k sum_i sum_j l(a_j) log p(a_j^i)``: one classifier per
part ``i = 1..k``, averaged over parts. Eq. 4 averages the anchor, positive and
negative terms: ``L_id = (L_id_a + L_id_p + L_id_n) / 3``.

Shapes: ``logits`` is ``[B, C]`` (one classifier), ``[B, k, C]`` or a list of ``k``
tensors ``[B, C]`` (one per part); ``labels`` is ``[B]`` (0..C-1).

Choices: eq. 3 sums over the images ``j``; we average over images by default
(``reduction="mean"``, the usual Caffe/PyTorch convention, independent of batch
size) and offer ``reduction="sum"`` for the literal form. Label smoothing
(``label_smoothing`` in [0, 1)) is off by default, as in the paper.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ID_REDUCTIONS = ("mean", "sum")


def _stack_parts(logits: Tensor | Sequence[Tensor]) -> Tensor:
    if isinstance(logits, Tensor):
        if logits.dim() == 2:
            return logits[:, None, :]
        if logits.dim() == 3:
            return logits
        raise ValueError(f"logits must be [B, C], [B, k, C] or a list of [B, C]; "
                         f"got shape {tuple(logits.shape)}")
    parts = list(logits)
    if not parts:
        raise ValueError("logits is an empty list: pass at least one [B, C] tensor")
    shapes = {tuple(p.shape) for p in parts}
    if len(shapes) != 1 or parts[0].dim() != 2:
        raise ValueError(f"every part's logits must be [B, C] with the same shape, got {shapes}")
    return torch.stack(parts, dim=1)


def id_loss(logits: Tensor | Sequence[Tensor], labels: Tensor, label_smoothing: float = 0.0,
            reduction: str = "mean") -> Tensor:
    """Cross-entropy averaged over parts (MPM-LTL eq. 3); scalar tensor."""
    if not 0.0 <= float(label_smoothing) < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
    if reduction not in ID_REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; valid: {', '.join(ID_REDUCTIONS)}")
    z = _stack_parts(logits)  # [B, k, C]
    b, k, c = z.shape
    if labels.dim() != 1 or labels.shape[0] != b:
        raise ValueError(f"labels must have shape [{b}], got {tuple(labels.shape)}")
    if b and (int(labels.min()) < 0 or int(labels.max()) >= c):
        raise ValueError(f"labels must lie in [0, {c}) for {c} classes, got "
                         f"[{int(labels.min())}, {int(labels.max())}]")
    ce = F.cross_entropy(z.reshape(b * k, c), labels.repeat_interleave(k),
                         label_smoothing=float(label_smoothing), reduction="sum")
    return ce / k / (b if reduction == "mean" else 1)


def triplet_id_loss(logits_a, logits_p, logits_n, labels_a: Tensor, labels_p: Tensor,
                    labels_n: Tensor, label_smoothing: float = 0.0,
                    reduction: str = "mean") -> Tensor:
    """MPM-LTL eq. 4: mean of the anchor, positive and negative ID losses."""
    return sum(id_loss(z, y, label_smoothing, reduction) for z, y in
               ((logits_a, labels_a), (logits_p, labels_p), (logits_n, labels_n))) / 3.0


class IDLoss(nn.Module):
    """Module form of :func:`id_loss` (MPM-LTL eq. 3)."""

    def __init__(self, label_smoothing: float = 0.0, reduction: str = "mean") -> None:
        super().__init__()
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)
        self.reduction = reduction

    def forward(self, logits, labels: Tensor) -> Tensor:
        return id_loss(logits, labels, self.label_smoothing, self.reduction)
