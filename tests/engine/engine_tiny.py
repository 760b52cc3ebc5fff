"""Tiny stand-ins shared by the engine tests: in-memory data, a P x K sampler, a 2-layer
conv net and a brute-force CMC/mAP, so the engine tests do not depend on other modules."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from reidlib.engine.loop import LossTerm


class TinyData:
    """``n_ids`` x ``per_id`` uint8 images [3,16,8] with an id-dependent colour + noise."""

    def __init__(self, n_ids: int = 6, per_id: int = 4, seed: int = 0, h: int = 16, w: int = 8):
        g = torch.Generator().manual_seed(seed)
        self.pids = torch.arange(n_ids).repeat_interleave(per_id)
        self.camids = torch.arange(n_ids * per_id) % 2
        base = torch.randint(0, 256, (n_ids, 3, 1, 1), generator=g).float()
        noise = torch.randn(n_ids * per_id, 3, h, w, generator=g) * 30
        self.images = (base[self.pids] + noise).clamp(0, 255).to(torch.uint8)
        self.masks = (torch.rand(n_ids * per_id, 1, h, w, generator=g) > 0.5).to(torch.uint8)

    def __len__(self) -> int:
        return len(self.pids)

    def get_batch(self, indices):
        idx = torch.as_tensor(list(indices))
        return {"image": self.images[idx], "mask": self.masks[idx], "parts": None,
                "pid": self.pids[idx], "camid": self.camids[idx], "index": idx}


class PKSampler:
    """P ids x K images per batch, reshuffled per epoch; rank r takes its contiguous share."""

    def __init__(self, pids, p: int = 2, k: int = 2, seed: int = 0, num_replicas: int = 1, rank: int = 0):
        self.pids, self.p, self.k, self.seed = torch.as_tensor(pids), p, k, seed
        self.num_replicas, self.rank, self.epoch = num_replicas, rank, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.pids.unique()) // self.p

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed * 1000 + self.epoch)
        ids = self.pids.unique()[torch.randperm(len(self.pids.unique()), generator=g)]
        share = self.p * self.k // self.num_replicas
        for b in range(len(self)):
            batch = []
            for pid in ids[b * self.p:(b + 1) * self.p]:
                pool = torch.nonzero(self.pids == pid).flatten()
                batch += pool[torch.randperm(len(pool), generator=g)[: self.k]].tolist()
            yield batch[self.rank * share:(self.rank + 1) * share]


class TinyNet(nn.Module):
    def __init__(self, num_classes: int = 6, dropout: float = 0.0):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(), nn.Conv2d(8, 16, 3, 2, 1), nn.ReLU())
        self.embed = nn.Linear(16, 16)
        self.drop = nn.Dropout(dropout)
        self.classifier = nn.Linear(16, num_classes)

    def forward(self, x, mask=None):
        f = self.embed(self.body(x).mean((2, 3)))
        return {"features": f, "logits": self.classifier(self.drop(f))}


def id_term(weight: float = 1.0) -> LossTerm:
    return LossTerm("id", lambda o, b: F.cross_entropy(o["logits"], b["pid"]), weight)


def center_term(weight: float = 0.1) -> LossTerm:
    return LossTerm("center", lambda o, b: o["features"].pow(2).mean(), weight)


def distance(qf, gf, metric="euclidean"):
    return torch.cdist(torch.as_tensor(qf), torch.as_tensor(gf)).numpy()


def brute_rank(dist, q_pids, g_pids, q_cams, g_cams, max_rank=10):
    """CMC and mAP by a plain loop (same id & same camera gallery images excluded)."""
    cmc_sum, aps, n = np.zeros(max_rank), [], 0
    for i in range(len(q_pids)):
        keep = ~((g_pids == q_pids[i]) & (g_cams == q_cams[i]))
        order = np.argsort(dist[i][keep], kind="stable")
        match = (g_pids[keep][order] == q_pids[i]).astype(float)
        if match.sum() == 0:
            continue
        n += 1
        first = int(np.argmax(match))
        cmc_sum[first:] += 1
        hits = np.cumsum(match)
        aps.append(float(np.sum(hits[match == 1] / (np.nonzero(match)[0] + 1)) / match.sum()))
    return cmc_sum / n, float(np.mean(aps))
