"""Checkpoints: round trip, truncated / tampered / code-carrying files give a clear error."""
from __future__ import annotations

import os
import random

import numpy as np
import pytest
import torch

from reidlib.engine.checkpoint import CheckpointError, load_checkpoint, rng_state, save_checkpoint, set_rng_state


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_round_trip_and_no_tmp_left(tmp_path):
    st = {"w": torch.arange(6.0), "epoch": 3, "name": "x", "nested": {"a": [1, 2.5, None]}}
    p = save_checkpoint(tmp_path / "c" / "last.pt", st)
    back = load_checkpoint(p)
    assert torch.equal(back["w"], st["w"]) and back["nested"] == st["nested"] and back["epoch"] == 3
    assert sorted(x.name for x in p.parent.iterdir()) == ["last.pt", "last.pt.sha256"]


def test_truncated_and_tampered(tmp_path):
    p = save_checkpoint(tmp_path / "last.pt", {"w": torch.ones(1000)})
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="checksum"):
        load_checkpoint(p)
    with pytest.raises(CheckpointError, match="cannot load checkpoint .*last.pt safely"):
        load_checkpoint(p, verify=False)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nope.pt")


def test_code_carrying_pickle_is_refused(tmp_path):
    p = tmp_path / "evil.pt"
    torch.save({"x": Evil()}, p)
    with pytest.raises(CheckpointError, match="holds pickled Python objects.*refuses to load it") as err:
        load_checkpoint(p)
    assert "weights_only" not in str(err.value)  # torch's "set weights_only=False" advice is not passed on
    g = tmp_path / "garbage.pt"
    g.write_bytes(b"not a checkpoint" * 8)
    with pytest.raises(CheckpointError, match="is not a readable torch checkpoint") as err:
        load_checkpoint(g)
    assert "weights_only" not in str(err.value)


def test_atomic_writes_follow_the_umask(tmp_path):
    import os

    from reidlib.engine.checkpoint import atomic_write_bytes

    old = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "a.json", b"{}")
        p = save_checkpoint(tmp_path / "c.pt", {"x": torch.zeros(1)})
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o640
    assert p.stat().st_mode & 0o777 == 0o640


def test_rng_state_round_trip(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    p = save_checkpoint(tmp_path / "r.pt", {"rng": rng_state()})
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    set_rng_state(load_checkpoint(p)["rng"])
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == a
