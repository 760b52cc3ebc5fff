"""ECN's exemplar memory and its three invariance losses (Zhong et al., CVPR 2019).

The memory ``K [N_t, d]`` holds one L2-normalised feature per *unlabeled* target
training image (its exemplar). For target features ``f [B, d]`` (L2-normalised) of
images with memory indices ``i [B]``:

* probability of image ``j`` (ECN eq. 2): ``p(j | x) = softmax_j(K[j] . f / beta)``,
  ``beta = 0.05`` (temperature);
* exemplar- and camera-invariance (ECN eq. 3-4): ``L = -log p(i | x)``, where ``x`` is
  the image itself or a camera-style-transferred copy of it (see ``camstyle.py``);
* neighbourhood-invariance (ECN eq. 5-7): ``L = -sum_j w_{i,j} log p(j | x)`` with
  ``w_{i,i} = 1`` and ``w_{i,j} = 1/k`` for the ``k`` exemplars most similar to ``f``
  (``k = 6``), 0 elsewhere, used from epoch ``knn_start`` on (ECN code: epoch > 4 of 60);
* update after each backward (ECN eq. 1): ``K[i] <- a K[i] + (1 - a) f``, then
  ``K[i] <- K[i] / ||K[i]||``; ``a = alpha * epoch`` (ECN code: ``alpha = 0.01``, so the
  memory keeps more of its past as training proceeds; epoch 0 copies the feature).

Choices (ECN code conventions, parameters here): the memory starts at zeros; the top-k
neighbours are taken over the whole memory and may include ``i`` itself (its weight
is then 1); a batch holding the same index twice updates it in batch order. The
update is done inside ``backward`` (as in ECN), so a term whose weight is 0 (never
back-propagated) leaves the memory unchanged; under DDP each process keeps its own
memory (not synchronised).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def memory_update(memory: Tensor, features: Tensor, indices: Tensor, alpha: float) -> None:
    """In place: ``K[i] <- normalise(alpha K[i] + (1 - alpha) f)`` for each row, in batch order."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"memory momentum alpha must be in [0, 1], got {alpha}")
    f = features.detach().to(memory.dtype)
    idx = indices.detach().long().to(memory.device)
    if idx.unique().numel() == idx.numel():  # vectorised: rows are independent
        new = alpha * memory[idx] + (1.0 - alpha) * f
        memory[idx] = F.normalize(new, dim=1)
        return
    for x, y in zip(f, idx.tolist()):  # repeated index: sequential, like ECN's loop
        memory[y] = F.normalize(alpha * memory[y] + (1.0 - alpha) * x, dim=0)


def neighbourhood_weights(similarity: Tensor, indices: Tensor, k: int) -> Tensor:
    """ECN eq. 6-7: ``w [B, N]``: 1/k on the k most similar exemplars, 1 on the image's own."""
    if k < 1 or k > similarity.shape[1]:
        raise ValueError(f"knn k must be in [1, {similarity.shape[1]}] (memory size), got {k}")
    w = torch.zeros_like(similarity)
    top = similarity.topk(k, dim=1).indices
    w.scatter_(1, top, 1.0 / k)
    w.scatter_(1, indices.long().view(-1, 1), 1.0)
    return w


class _MemoryLookup(torch.autograd.Function):
    """``f [B,d] -> f K^T [B,N]``; backward returns ``grad K`` for f and updates K (ECN)."""

    @staticmethod
    def forward(ctx, features: Tensor, indices: Tensor, memory: Tensor, alpha: float) -> Tensor:
        ctx.save_for_backward(features, indices)
        ctx.memory, ctx.alpha = memory, alpha
        return features.mm(memory.t().to(features.dtype))

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        features, indices = ctx.saved_tensors
        grad = grad_out.mm(ctx.memory.to(grad_out.dtype)) if ctx.needs_input_grad[0] else None
        memory_update(ctx.memory, features, indices, ctx.alpha)
        return grad, None, None, None


class ExemplarMemory(nn.Module):
    """Exemplar memory over ``num_exemplars`` target images of dimension ``num_features``.

    ``forward(features [B,d], indices [B]) -> scalar`` is the invariance loss of the
    current epoch (``set_epoch``): exemplar/camera-invariance before ``knn_start``,
    neighbourhood-invariance from it on. Features are L2-normalised here.
    """

    def __init__(self, num_exemplars: int, num_features: int, beta: float = 0.05, knn: int = 6,
                 alpha: float = 0.01, knn_start: int = 5, alpha_epoch_scale: float = 1.0) -> None:
        super().__init__()
        if num_exemplars < 1 or num_features < 1:
            raise ValueError(f"num_exemplars and num_features must be >= 1, got {num_exemplars}, {num_features}")
        if beta <= 0:
            raise ValueError(f"temperature beta must be > 0, got {beta}")
        if knn < 0 or knn > num_exemplars:
            raise ValueError(f"knn must be in [0, {num_exemplars}] (0 = no neighbourhood invariance), got {knn}")
        if alpha < 0 or knn_start < 0 or alpha_epoch_scale < 0:
            raise ValueError("alpha, knn_start and alpha_epoch_scale must be >= 0")
        self.beta, self.knn, self.alpha, self.knn_start = float(beta), int(knn), float(alpha), int(knn_start)
        self.alpha_epoch_scale = float(alpha_epoch_scale)
        self.register_buffer("memory", torch.zeros(num_exemplars, num_features))
        self.register_buffer("epoch", torch.zeros((), dtype=torch.long))

    def set_epoch(self, epoch: int) -> None:
        self.epoch.fill_(int(epoch))

    def current_alpha(self) -> float:
        """``alpha * epoch * alpha_epoch_scale`` clipped to [0, 1] (ECN: 0.01 * epoch)."""
        return float(min(1.0, self.alpha * int(self.epoch) * self.alpha_epoch_scale))

    def uses_neighbourhood(self) -> bool:
        return self.knn > 0 and int(self.epoch) >= self.knn_start

    def logits(self, features: Tensor, indices: Tensor) -> Tensor:
        """``K . normalise(f) / beta`` ``[B,N]``; schedules the memory update for backward."""
        if features.dim() != 2 or features.shape[1] != self.memory.shape[1]:
            raise ValueError(f"features must be [B,{self.memory.shape[1]}], got {tuple(features.shape)}")
        if indices.shape != features.shape[:1]:
            raise ValueError(f"indices must be [{features.shape[0]}], got {tuple(indices.shape)}")
        n = self.memory.shape[0]
        if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) >= n):
            raise IndexError(f"memory indices must lie in [0, {n}); got [{int(indices.min())}, {int(indices.max())}]")
        f = F.normalize(features, dim=1)
        return _MemoryLookup.apply(f, indices.to(self.memory.device), self.memory, self.current_alpha()) / self.beta

    def forward(self, features: Tensor, indices: Tensor) -> Tensor:
        z = self.logits(features, indices)
        if not self.uses_neighbourhood():
            return F.cross_entropy(z, indices.long())
        w = neighbourhood_weights(z.detach(), indices, self.knn)
        return -(w * F.log_softmax(z, dim=1)).sum(dim=1).mean()
