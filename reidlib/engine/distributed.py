"""DistributedDataParallel helpers (torchrun-compatible; gloo on CPU, nccl on GPU).

``torchrun --nproc_per_node=8 -m reidlib train --experiment mpm_ltl --profile paper``
sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``/``MASTER_PORT``;
:func:`init_from_env` reads them and initialises the process group (a no-op
when ``WORLD_SIZE`` is unset or 1). Samplers shard identities per process with the
same epoch seed; each process sees ``batch / world_size`` images; DDP averages
gradients, so with equal shares and mean losses one step equals a 1-process step
on the global batch (exactly without BatchNorm; BN statistics are per process).
Only rank 0 writes files (:func:`is_main`).
"""
from __future__ import annotations

import os
from typing import Sequence

import torch
import torch.distributed as dist


def is_dist() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    return dist.get_rank() if is_dist() else 0


def world_size() -> int:
    return dist.get_world_size() if is_dist() else 1


def is_main() -> bool:
    """True on rank 0 (and in a non-distributed run): the only process that writes."""
    return rank() == 0


def init_from_env(backend: str | None = None) -> tuple[int, int, torch.device]:
    """Initialise from torchrun's environment; returns (rank, world_size, device).

    ``backend`` defaults to nccl when CUDA is available, else gloo.
    """
    ws = int(os.environ.get("WORLD_SIZE", "1"))
    if ws <= 1:
        dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return 0, 1, dev
    missing = [k for k in ("RANK", "MASTER_ADDR", "MASTER_PORT") if k not in os.environ]
    if missing:
        raise RuntimeError(f"WORLD_SIZE={ws} but {', '.join(missing)} not set: launch with torchrun")
    backend = backend or ("nccl" if torch.cuda.is_available() else "gloo")
    if not is_dist():
        dist.init_process_group(backend=backend)
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if backend == "nccl":
        torch.cuda.set_device(local)
        dev = torch.device("cuda", local)
    else:
        dev = torch.device("cpu")
    return dist.get_rank(), dist.get_world_size(), dev


def cleanup() -> None:
    if is_dist():
        dist.destroy_process_group()


def barrier() -> None:
    if is_dist():
        dist.barrier()


def all_gather_cat(t: torch.Tensor) -> torch.Tensor:
    """Concatenate ``t`` (``[n_r, ...]``, sizes may differ per rank) from every rank, in rank order."""
    if not is_dist() or world_size() == 1:
        return t
    n = torch.tensor([t.shape[0]], device=t.device)
    sizes = [torch.zeros_like(n) for _ in range(world_size())]
    dist.all_gather(sizes, n)
    m = int(max(s.item() for s in sizes))
    pad = torch.zeros((m - t.shape[0], *t.shape[1:]), dtype=t.dtype, device=t.device)
    buf = [torch.empty((m, *t.shape[1:]), dtype=t.dtype, device=t.device) for _ in sizes]
    dist.all_gather(buf, torch.cat([t, pad]))
    return torch.cat([b[: int(s.item())] for b, s in zip(buf, sizes)])


def shard(indices: Sequence[int]) -> list[int]:
    """This rank's strided share of ``indices`` (for feature extraction)."""
    return list(indices)[rank()::world_size()]


def unshard(gathered: torch.Tensor, total: int) -> torch.Tensor:
    """Undo :func:`shard` after :func:`all_gather_cat`: rows back in the original order."""
    ws = world_size()
    if ws == 1:
        return gathered
    order = torch.cat([torch.arange(total)[r::ws] for r in range(ws)])
    out = torch.empty_like(gathered)
    out[order] = gathered
    return out


def all_reduce_mean(x: float) -> float:
    """Mean of a Python float over ranks (for logging)."""
    if not is_dist():
        return x
    t = torch.tensor([x], dtype=torch.float64)
    dist.all_reduce(t)
    return float(t.item()) / world_size()
