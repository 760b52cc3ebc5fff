"""Trainer: stages/freezing, exact resume after a kill, reuse, loss guard, CSV log."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from engine_tiny import PKSampler, TinyData, TinyNet, brute_rank, center_term, distance, id_term
from reidlib.engine.features import evaluate_protocols, extract_features
from reidlib.engine.hooks import LossExplodedError, StopAt
from reidlib.engine.loop import LossTerm, Trainer
from reidlib.engine.runs import open_run, read_csv
from reidlib.engine.schedule import Recipe, Stage
from reidlib.data.transforms import build_transforms

GROUPS = {"classifier": ["classifier"], "new": ["embed"]}
CONFIG = {"exp": "tiny", "seed": 3}


def recipe() -> Recipe:
    return Recipe("tiny", [
        Stage("all", 2, {"base": 0.05, "new": 0.1, "classifier": 0.1}, milestones=[1],
              loss_weights={"center": 0.0}),
        Stage("cls", 1, {"classifier": 0.01}),
        Stage("adam", 1, {"base": 1e-3, "new": 1e-3, "classifier": 1e-3}, optimizer="adam"),
    ])


def make(run=None, hooks=(), checkpoint_every=0, terms=None):
    torch.manual_seed(0)
    data = TinyData()
    model = TinyNet(dropout=0.3)
    tf = build_transforms((16, 8), train=True, padding=2, flip_p=0.5, erase_p=0.5)
    ev_tf = build_transforms((16, 8), train=False)

    def evaluator(m):
        f = extract_features(m, data, batch_size=7, transform=ev_tf)
        p, c = data.pids.numpy(), data.camids.numpy()
        return evaluate_protocols(f, f, p, p, c, c, protocols=("sq", "mq"),
                                  distance_fn=distance, rank_fn=brute_rank)

    return Trainer(model, terms or [id_term(), center_term()], data, PKSampler(data.pids, 2, 2, seed=1),
                   recipe(), groups=GROUPS, transform=tf, evaluator=evaluator, eval_every=1, run=run,
                   seed=3, hooks=hooks, checkpoint_every=checkpoint_every, quiet=True)


def weights(model):
    return torch.cat([p.detach().flatten() for p in model.state_dict().values()])


def test_stage_freezes_all_but_classifier(tmp_path):
    t = make()
    t.recipe = Recipe("r", [Stage("cls", 1, {"classifier": 0.01})])
    t.epochs = 1
    before = {k: v.clone() for k, v in t.model.state_dict().items()}
    t.fit()
    after = t.model.state_dict()
    for k in before:
        changed = not torch.equal(before[k], after[k])
        assert changed == k.startswith("classifier"), k


@pytest.mark.parametrize("kill_at,every", [(5, 2), (4, 0), (9, 1)])
def test_resume_after_kill_is_exact(tmp_path, kill_at, every):
    ref = make(open_run(tmp_path / "a", "tiny", CONFIG))
    ref_metrics = ref.fit()
    run = open_run(tmp_path / "b", "tiny", CONFIG)
    with pytest.raises(KeyboardInterrupt):
        make(run, hooks=[StopAt(kill_at)], checkpoint_every=every).fit()
    assert run.state == "resumable"
    resumed = make(run, checkpoint_every=every)
    assert resumed.fit() == ref_metrics
    assert torch.equal(weights(resumed.model), weights(ref.model))
    no_wall = lambda rows: [{k: v for k, v in r.items() if k != "wall_s"} for r in rows]  # noqa: E731
    assert no_wall(read_csv(run.csv_path)) == no_wall(read_csv(ref.run.csv_path))  # wall_s: test_csv_...
    # env.json keeps the killed session's record: a run continued elsewhere shows it (provenance)
    env, ref_env = json.loads((run.dir / "env.json").read_text()), json.loads((ref.run.dir / "env.json").read_text())
    assert "earlier" not in ref_env and len(env["earlier"]) == 1 and "earlier" not in env["earlier"][0]
    assert 0 <= env["resumed_at_epoch"] < resumed.epochs and env["earlier"][0]["machine"] == env["machine"]


def test_evaluating_along_the_way_changes_no_training():
    """run_key keys eval_every at 0 (reidlib.engine.runs): training with an evaluation after
    every epoch (dropout, random flips and erasing in play) must be bit-identical to training
    evaluated at the end only."""
    every = make()
    inner = every.evaluator

    def careless(m):   # an evaluator that draws random numbers and leaves the model in eval mode
        torch.rand(3)
        m.eval()
        return inner(m)

    every.evaluator = careless
    end_only = make()
    end_only.eval_every = 0
    m_every, m_end = every.fit(), end_only.fit()
    assert torch.equal(weights(every.model), weights(end_only.model))
    assert {k: v for k, v in m_every.items() if k != "best"} == {k: v for k, v in m_end.items() if k != "best"}
    assert sum("sq/mAP" in r for r in every.history) == 4 and sum("sq/mAP" in r for r in end_only.history) == 1


def test_step_timer_sees_every_part_in_order_and_changes_no_training():
    """bench/train.py times the Trainer's own step through ``step_timer``: each step reports the
    six parts once, in the order they run, and the timed training equals the untimed one."""
    timed, plain = make(), make()
    phases: list[str] = []
    timed.step_timer = phases.append
    timed.fit()
    plain.fit()
    assert torch.equal(weights(timed.model), weights(plain.model))
    parts = ["data", "transform", "forward", "loss", "backward", "optimizer"]
    steps = len(phases) // len(parts)
    assert steps > 0 and phases == parts * steps
    assert steps == timed.global_step


def test_finished_run_is_reused_without_training(tmp_path):
    run = open_run(tmp_path, "tiny", CONFIG)
    m1 = make(run).fit()
    record = {f.name: f.read_bytes() for f in run.dir.iterdir() if f.is_file()}
    t = make(open_run(tmp_path, "tiny", CONFIG))
    w0 = weights(t.model)
    assert t.fit() == m1 == run.metrics()
    assert {f.name: f.read_bytes() for f in run.dir.iterdir() if f.is_file()} == record  # nothing rewritten
    assert torch.equal(weights(t.model), w0) and t.global_step == 0


def test_csv_has_every_term_and_lr(tmp_path):
    run = open_run(tmp_path, "tiny", CONFIG)
    t = make(run)
    t.fit()
    rows = read_csv(run.csv_path)
    assert len(rows) == t.epochs == 4
    assert {"loss/id", "loss/center", "lr/base", "lr/classifier", "sq/mAP", "mq/rank1"} <= set(rows[0])
    assert [float(r["lr/classifier"]) for r in rows] == pytest.approx([0.1, 0.01, 0.01, 1e-3])
    assert rows[0]["loss/center"] == "" and rows[2]["loss/center"] != ""  # weight 0 in stage 1
    walls = [float(r["wall_s"]) for r in rows]  # the epoch's seconds, evaluation included
    assert all(0.0 < w < 600.0 for w in walls)
    assert "finished (4 epochs" in run.log_path.read_text()
    losses = [float(r["loss"]) for r in rows[:1]]
    assert all(np.isfinite(losses))
    assert (run.dir / "env.json").is_file() and run.best.is_file() and run.last.is_file()


def test_loss_guard_names_term_and_step():
    bad = LossTerm("center", lambda o, b: o["logits"].sum() * float("nan"))
    t = make(terms=[id_term(), bad])
    t.recipe.stages[0].loss_weights = {}
    with pytest.raises(LossExplodedError, match=r"'center' is nan at epoch 0 step 0"):
        t.fit()
    big = LossTerm("id", lambda o, b: o["logits"].abs().sum() * 1e9)
    with pytest.raises(LossExplodedError, match="'id' exploded"):
        make(terms=[big, center_term()]).fit()


def test_unknown_group_and_term_errors():
    t = make()
    t.recipe = Recipe("r", [Stage("x", 1, {"head": 0.1})])
    with pytest.raises(KeyError, match="valid: classifier, new, base"):
        t.fit()
    with pytest.raises(KeyError, match="unknown loss terms"):
        make(terms=[id_term()])  # recipe weights 'center', which this run lacks


class _Sizes:
    """Hook: (stage, batch size) of every step."""

    def __init__(self):
        self.seen = []

    def __getattr__(self, name):
        if name.startswith("on_"):
            return lambda *a, **k: None
        raise AttributeError(name)

    def on_step_end(self, t, info):
        self.seen.append((t.recipe.stages[t.stage_index].name, info["batch_size"]))


def make_staged(run=None, hooks=()):
    """Stage 1: 10 iterations of random batches of 6 (4 per epoch of 24 images -> round(10/4) = 3
    epochs); stage 2: 1 epoch of the PK sampler (3 batches of 2 x 2)."""
    from reidlib.data.samplers import RandomBatchSampler
    from reidlib.engine.sampling import StageSamplers

    torch.manual_seed(0)
    data = TinyData()
    pk = PKSampler(data.pids, 2, 2, seed=1)
    sampler = StageSamplers([RandomBatchSampler(data.pids.tolist(), batch_size=6, seed=1), pk])
    rec = Recipe("staged", [Stage("random", iterations=10, lrs={"base": 0.05, "new": 0.1, "classifier": 0.1},
                                  milestones=[6]),
                            Stage("pk", 1, {"base": 0.01, "new": 0.01, "classifier": 0.01})])
    tf = build_transforms((16, 8), train=True, padding=2, flip_p=0.5, erase_p=0.5)
    return Trainer(TinyNet(dropout=0.3), [id_term()], data, sampler, rec, groups=GROUPS, transform=tf,
                   run=run, seed=3, hooks=hooks, quiet=True)


def test_stage_samplers_and_iteration_stage(tmp_path):
    """Issue 14 item 3: each stage trains on its own sampler's batches, an iteration stage for
    whole epochs of them, and a kill across the switch resumes exactly."""
    sizes = _Sizes()
    t = make_staged(hooks=[sizes])
    assert t.stage_steps == [4, 3] and [s.epochs for s in t.recipe.stages] == [3, 1]
    assert t.recipe.stages[0].milestones == [2] and t.total_steps == 15   # round(6 / 4) = 2 (half up)
    assert "random 3 epochs x 4 steps (10 iterations given)" in t.plan()
    t.fit()
    assert sizes.seen == [("random", 6)] * 12 + [("pk", 4)] * 3
    assert t.global_step == 15
    ref = make_staged(open_run(tmp_path / "a", "tiny", CONFIG))
    ref_metrics = ref.fit()
    run = open_run(tmp_path / "b", "tiny", CONFIG)
    with pytest.raises(KeyboardInterrupt):
        make_staged(run, hooks=[StopAt(13)]).fit()       # inside the PK stage
    resumed = make_staged(run)
    assert resumed.fit() == ref_metrics
    assert torch.equal(weights(resumed.model), weights(ref.model))
