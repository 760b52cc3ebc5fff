"""Issue 14 item 10: batches decoded by DataLoader workers train the same run as in-process."""
from __future__ import annotations

import pytest
import torch

from engine_tiny import PKSampler, TinyData, TinyNet, id_term
from reidlib.engine.experiment import build_trainer, resolve_config
from reidlib.engine.loader import BatchLoader
from reidlib.engine.loop import Trainer
from reidlib.engine.schedule import Recipe, Stage
from reidlib.data.transforms import build_transforms


class _Layout:
    def __init__(self, data):
        self.dataset, self.sampler = data, None

    def __len__(self):
        return len(self.dataset)

    def get_batch(self, indices):
        return {**self.dataset.get_batch(indices), "layout": "main-process"}


def test_worker_batches_equal_in_process_batches():
    data = TinyData()
    lists = [[0, 5, 9], [3, 2, 1, 7], [20, 21]]
    ref = list(BatchLoader(data).batches(lists))
    loader = BatchLoader(_Layout(data), num_workers=2, layout=lambda: "siamese")
    got = list(loader.batches(lists))
    again = list(loader.batches(lists[:1]))          # persistent workers serve the next epoch
    loader.close()
    assert [i for i, _ in got] == lists and len(again) == 1
    for (_, a), (_, b) in zip(ref, got):
        assert torch.equal(a["image"], b["image"]) and torch.equal(a["pid"], b["pid"])
        assert b["layout"] == "siamese"   # the layout is the main process's, not a worker's copy
    assert torch.equal(again[0][1]["image"], ref[0][1]["image"])
    with pytest.raises(ValueError, match="num_workers"):
        BatchLoader(data, num_workers=-1)


def _fit(workers: int):
    torch.manual_seed(0)
    data = TinyData()
    rec = Recipe("r", [Stage("a", 2, {"base": 0.05, "classifier": 0.1})])
    t = Trainer(TinyNet(), [id_term()], data, PKSampler(data.pids, 2, 2, seed=1), rec,
                groups={"classifier": ["classifier"]}, seed=4, quiet=True, num_workers=workers,
                transform=build_transforms((16, 8), train=True, padding=2, flip_p=0.5))
    t.fit()
    return torch.cat([p.detach().flatten() for p in t.model.state_dict().values()])


def test_trainer_with_workers_is_bit_identical():
    assert torch.equal(_fit(0), _fit(2))


def test_profile_num_workers_reaches_the_trainer_and_is_checked():
    cfg = resolve_config("ide_rgb", "smoke", {"profile.num_workers": 1, "profile.cache_images": False})
    t = build_trainer(cfg, run=False, quiet=True)
    assert t.loader.num_workers == 1
    t.loader.close()
    assert resolve_config("mgcam", "paper")["profile"]["num_workers"] == 8
    with pytest.raises(ValueError, match="profile.num_workers must be >= 0"):
        resolve_config("ide_rgb", "smoke", {"profile.num_workers": -1})
