"""DDP on CPU (gloo, 2 processes) matches a 1-process run with the same global batch.

Stated tolerance: weights within 1e-5 and metrics within 1e-6 (no BatchNorm, no dropout,
no random augmentation: the only difference is float summation order in the all-reduce).
"""
from __future__ import annotations

import os
import socket

import numpy as np
import torch
import torch.multiprocessing as mp

from engine_tiny import PKSampler, TinyData, TinyNet, brute_rank, center_term, distance, id_term
from reidlib.data.transforms import build_transforms
from reidlib.engine import distributed as D
from reidlib.engine.checkpoint import load_checkpoint
from reidlib.engine.features import evaluate_protocols, extract_features
from reidlib.engine.loop import Trainer
from reidlib.engine.runs import open_run, read_json
from reidlib.engine.schedule import Recipe, Stage


def _train(root: str, world: int, rank: int) -> None:
    torch.manual_seed(0)
    data = TinyData(n_ids=6, per_id=4)
    tf = build_transforms((16, 8), train=False)

    def evaluator(m):
        f = extract_features(m, data, batch_size=5, transform=tf)
        p, c = data.pids.numpy(), data.camids.numpy()
        return evaluate_protocols(f, f, p, p, c, c, distance_fn=distance, rank_fn=brute_rank)

    recipe = Recipe("r", [Stage("a", 2, {"base": 0.05, "classifier": 0.1}, milestones=[1]),
                          Stage("b", 1, {"classifier": 0.05})])
    t = Trainer(TinyNet(), [id_term(), center_term()], data,
                PKSampler(data.pids, 2, 2, seed=1, num_replicas=world, rank=rank), recipe,
                groups={"classifier": ["classifier"]}, transform=tf, evaluator=evaluator,
                run=open_run(root, "ddp", {"x": 1}) if rank == 0 else open_run(root, "ddp", {"x": 1}, create=False),
                seed=5, quiet=True)
    t.fit()


def _worker(rank: int, world: int, port: int, root: str) -> None:
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    r, ws, _ = D.init_from_env("gloo")
    assert (r, ws) == (rank, world)
    try:
        _train(root, world, rank)
    finally:
        D.cleanup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_processes_match_one(tmp_path):
    _train(str(tmp_path / "one"), 1, 0)
    # fork: the children reuse the imported torch (spawn re-imports it: ~10 s each on a busy box)
    mp.start_processes(_worker, args=(2, _free_port(), str(tmp_path / "two")), nprocs=2, join=True,
                       start_method="fork")
    one = open_run(tmp_path / "one", "ddp", {"x": 1}, create=False)
    two = open_run(tmp_path / "two", "ddp", {"x": 1}, create=False)
    m1, m2 = read_json(one.metrics_path), read_json(two.metrics_path)
    for k in ("rank1", "rank5", "mAP"):
        assert abs(m1["sq"][k] - m2["sq"][k]) < 1e-6
    w1, w2 = load_checkpoint(one.last)["model"], load_checkpoint(two.last)["model"]
    for k in w1:
        np.testing.assert_allclose(w1[k].numpy(), w2[k].numpy(), atol=1e-5)
    # only rank 0 wrote: exactly one run folder, no stray temp files
    assert [p.name for p in (tmp_path / "two" / "ddp").iterdir()] == [two.run_id]
    assert not list((tmp_path / "two").rglob("*.tmp*"))


def test_all_gather_and_unshard_single_process():
    t = torch.arange(10).view(5, 2)
    assert torch.equal(D.all_gather_cat(t), t)
    assert D.shard(range(5)) == [0, 1, 2, 3, 4] and D.is_main() and D.world_size() == 1
