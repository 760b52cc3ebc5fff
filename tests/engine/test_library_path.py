"""Training from Python with plain objects (torchreid's library path), no config dict."""
import torch

from reidlib.data.base import relabel
from reidlib.data.image_dataset import ImageDataset
from reidlib.data.samplers import RandomIdentitySampler
from reidlib.data.synth import ensure_synth
from reidlib.data.synthreid import read_synthreid
from reidlib.data.transforms import build_transforms
from reidlib.engine import Trainer, evaluate_model, get_recipe
from reidlib.engine.terms import build_term
from reidlib.models import build_model


def test_train_mpm_ltl_terms_from_plain_objects(tmp_path) -> None:
    torch.manual_seed(0)
    data = read_synthreid(ensure_synth("smoke", "market", seed=0, cache_dir=str(tmp_path)))
    size = (96, 32)  # a 6 x 2 feature map: six stripes
    train = ImageDataset(data.train, size=size, label_map=relabel(data.train))
    query, gallery = ImageDataset(data.query, size=size), ImageDataset(data.gallery, size=size)
    model = build_model("mpm", num_classes=len(relabel(data.train)), size="small", parts=6)
    terms = [build_term("id", 1.0, parts="mean"), build_term("local_triplet", 1.0, margin=0.5)]
    sampler = RandomIdentitySampler(train.pids.tolist(), 4, 4, seed=0)
    evaluator = lambda m: evaluate_model(m, query, gallery, build_transforms(size, train=False))  # noqa: E731
    trainer = Trainer(model, terms, train, sampler, get_recipe("ide").scaled(2),
                      groups={"classifier": ["head.classifiers"], "new": ["head.reductions"]},
                      transform=build_transforms(size, train=True), evaluator=evaluator,
                      max_steps_per_epoch=2, quiet=True)
    metrics = trainer.fit()
    assert set(metrics["sq"]) >= {"rank1", "mAP"} and 0.0 <= metrics["sq"]["mAP"] <= 100.0
    assert [row["epoch"] for row in trainer.history] == [1, 2]
    last = trainer.history[-1]
    assert last["loss"] == __import__("pytest").approx(last["loss/id"] + last["loss/local_triplet"])
