"""Experiments wired end to end: ROWS resolve, a handful train on smoke, data specs, mining, resume."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from reidlib.engine.experiment import build_trainer, resolve_config, run_experiment, validate_config
from reidlib.engine.precision import enable_amp
from reidlib.study.rows import ROWS, unique_runs

FAST = {"profile.max_steps_per_epoch": 1, "profile.epochs": 1, "eval.protocols": ["sq"],
        "eval.extra_metrics": []}


def test_every_row_resolves_to_a_valid_config():
    n = 0
    for eid, rows in ROWS.items():
        for label, (exp, ov) in rows.items():
            cfg = resolve_config(exp, "smoke", ov, 0)
            validate_config(cfg)
            n += 1
    assert n == sum(len(r) for r in ROWS.values()) and len(unique_runs()) < n  # shared runs
    e2 = ROWS["E2"]
    exp7, ov7 = e2["(7) + TriHard (full MPM-LTL)"]
    assert resolve_config(exp7, "smoke", ov7)["miner"]["name"] == "trihard"
    assert resolve_config("mpm_ltl", "smoke", {"model.kwargs.parts": 18})["model"]["kwargs"] == {
        "parts": 18, "threshold": 0.4, "uneven": "adaptive"}


def test_overrides_order_and_errors():
    c = resolve_config("maskreid", "smoke", {"recipe.ranking.loss_weights.id": 1.0, "profile.epochs": 4})
    assert c["recipe"]["stages"][1]["loss_weights"]["id"] == 1.0
    assert sum(s["epochs"] for s in c["recipe"]["stages"]) == 4
    with pytest.raises(ValueError, match="no loss term with weight > 0"):
        validate_config(resolve_config("maskreid", "smoke", {"losses": [{"name": "id"}]}))
    with pytest.raises(ValueError, match="bank miners need sampler 'triplet'"):
        validate_config(resolve_config("mpm_ltl", "smoke", {"miner.name": "random", "sampler.name": "pk"}))
    with pytest.raises(KeyError, match="unknown model 'nope'"):
        validate_config(resolve_config("ide", "smoke", {"model.name": "nope"}))


@pytest.mark.parametrize("eid,label", [("E6", "softmax"), ("E9", "MGCAM + Siamese"), ("E8", "base (DGD)"),
                                       ("masks", "degraded IoU 0.7")])
def test_a_handful_of_rows_train_on_smoke(tmp_path, eid, label):
    exp, ov = ROWS[eid][label]
    m = run_experiment(exp, "smoke", {**ov, **FAST}, seed=0, runs_root=tmp_path, quiet=True)
    assert 0 <= m["sq"]["mAP"] <= 100 and np.isfinite(m["loss"])
    again = run_experiment(exp, "smoke", {**ov, **FAST}, seed=0, runs_root=tmp_path, quiet=True)
    assert again == m  # the finished run is reused


def test_semparts_and_metric_learning_protocols(tmp_path):
    ov = {**FAST, "eval.protocols": ["sq", "mq", "sq+rr"], "eval.extra_metrics": ["xqda"]}
    m = run_experiment("semparts", "smoke", ov, seed=0, runs_root=tmp_path, quiet=True)
    assert {"sq", "mq", "sq+rr", "sq@xqda", "mq@xqda", "sq+rr@xqda"} <= set(m)
    assert m["mq"] != m["sq"]  # multi-query pools the gt_bbox images, not the single query


def test_trihard_remining_feeds_the_sampler():
    from reidlib.engine.features import extract_features
    from reidlib.engine.bank_mining import StagedTripletSampler, TripletMiningHook, downsample_masks
    from reidlib.miners import mask_guided_trihard

    cfg = resolve_config("mpm_ltl", "smoke", {"profile.max_steps_per_epoch": 2}, 0)
    t = build_trainer(cfg, run=False, quiet=True)
    s, hook = t.sampler, next(h for h in t.hooks if isinstance(h, TripletMiningHook))
    assert isinstance(s, StagedTripletSampler)
    hook.on_epoch_start(t, 0)  # stage 1: triplet term off -> PK batches
    assert s.layout == "pk" and t.dataset.get_batch(next(iter(s)))["layout"] == "pk"
    last = t.recipe.epochs - 1
    hook.on_epoch_start(t, last)
    ds = t.dataset.dataset
    f = extract_features(t.model, ds, transform=hook.transform)
    want = mask_guided_trihard(f, ds.pids, ds.camids, downsample_masks(ds._cache["mask"], len(ds), ds.size, 16))
    got = s.triplet.triplets
    assert s.layout == "triplet" and s.mined_epoch == last
    assert np.array_equal(got, torch.stack(want, 1).numpy())
    batch = next(iter(s))
    b = len(batch) // 3
    rows = {tuple(r) for r in got.tolist()}
    assert all((batch[i], batch[b + i], batch[2 * b + i]) in rows for i in range(b))
    assert t.dataset.get_batch(batch)["layout"] == "triplet"


def test_resume_through_the_mining_stage_is_exact(tmp_path):
    from reidlib.engine.hooks import StopAt
    from reidlib.engine.runs import open_run

    ov = {"profile.max_steps_per_epoch": 2, "profile.epochs": 1, "eval.protocols": ["sq"],
          "profile.checkpoint_every": 1}  # a checkpoint mid triplet epoch: triplets restored, not re-mined
    full = run_experiment("mpm_ltl", "smoke", ov, seed=1, runs_root=tmp_path / "a", quiet=True)
    cfg = resolve_config("mpm_ltl", "smoke", ov, 1)
    t = build_trainer(cfg, tmp_path / "b", quiet=True)
    t.hooks.append(StopAt(t.recipe.epochs * t.steps_per_epoch - 1))  # mid triplet stage
    with pytest.raises(KeyboardInterrupt):
        t.fit()
    assert open_run(tmp_path / "b", "mpm_ltl", cfg).state == "resumable"
    resumed = build_trainer(cfg, tmp_path / "b", quiet=True).fit()
    assert resumed == full


def test_cuhk01_real_data_builds_and_trains(cuhk01_root, tmp_path):
    ov = {**FAST, "data.dataset": "cuhk01", "data.root": str(cuhk01_root), "data.kwargs": {"split": "485/486"},
          "data.masks": "none", "data.needs_mask": False, "data.use_mask": False}
    cfg = resolve_config("ide", "smoke", ov, 0)
    t = build_trainer(cfg, tmp_path, quiet=True)
    assert len(set(t.dataset.pids.tolist())) == 485 and len(t.dataset) == 485 * 4
    m = t.fit()
    assert 0 <= m["sq"]["rank1"] <= 100


def test_degraded_masks_reach_the_target_iou_deterministically():
    from reidlib.engine.data_spec import build_data
    from reidlib.engine.profiles import get_profile
    from reidlib.masks.degrade import mask_iou

    prof = get_profile("smoke").to_dict()
    base = resolve_config("mpm_ltl", "smoke", {}, 0)["data"]
    true = build_data(base, prof).train._cache["mask"]
    deg = build_data({**base, "masks": "degraded", "mask_iou": 0.7}, prof).train._cache["mask"]
    again = build_data({**base, "masks": "degraded", "mask_iou": 0.7}, prof).train._cache["mask"]
    assert torch.equal(deg, again)
    ious = [mask_iou(true[i, 0].numpy(), deg[i, 0].numpy()) for i in range(len(true)) if true[i].any()]
    assert abs(float(np.mean(ious)) - 0.7) < 0.03


def test_extracted_masks_use_a_pluggable_extractor():
    from reidlib.engine import data_spec
    from reidlib.engine.profiles import get_profile

    data_spec.MASK_SOURCES["upper_half"] = lambda: (lambda ims: [np.vstack([np.ones((im.shape[0] // 2, im.shape[1])),
                                                                            np.zeros((im.shape[0] - im.shape[0] // 2,
                                                                                      im.shape[1]))])
                                                                 for im in ims])
    try:
        base = resolve_config("mpm_ltl", "smoke", {"data.masks": "extracted", "data.segmenter": "upper_half"})["data"]
        m = data_spec.build_data(base, get_profile("smoke").to_dict()).query._cache["mask"]
        assert m[:, :, :32].all() and not m[:, :, 32:].any()  # smoke height 64
    finally:
        del data_spec.MASK_SOURCES["upper_half"]


@pytest.mark.parametrize("name", ["maskreid_mf", "mpm", "mgcam"])
def test_channels_last_equals_contiguous_up_to_rounding(name):
    from reidlib.engine.precision import enable_channels_last
    from reidlib.models import build_model

    torch.manual_seed(0)
    ref = build_model(name, 5, "small").eval()
    cl = build_model(name, 5, "small").eval()
    cl.load_state_dict(ref.state_dict())
    enable_channels_last(cl)
    x, m = torch.randn(2, 3, 96, 32), (torch.rand(2, 1, 96, 32) > 0.5).float()
    with torch.no_grad():
        a, b = ref(x, m)["features"], cl(x, m)["features"]
    assert torch.allclose(a, b, rtol=1e-4, atol=1e-4 * float(a.abs().max()))
    assert set(cl.state_dict()) == set(ref.state_dict())


def test_bf16_autocast_returns_fp32_close_to_fp32():
    from reidlib.models import build_model

    torch.manual_seed(0)
    ref = build_model("mpm", 5, "small").eval()
    amp = build_model("mpm", 5, "small").eval()
    amp.load_state_dict(ref.state_dict())
    enable_amp(amp)
    x, m = torch.randn(2, 3, 96, 32), (torch.rand(2, 1, 96, 32) > 0.5).float()
    with torch.no_grad():
        a, b = ref(x, m)["features"], amp(x, m)["features"]
    assert b.dtype == torch.float32 and set(amp.state_dict()) == set(ref.state_dict())
    assert torch.allclose(a, b, atol=0.1 * float(a.abs().max()) + 1e-3)


def test_run_identity_follows_the_synthetic_data(monkeypatch) -> None:
    """A run trained on other SynthReID data (another generator revision) is not reused."""
    from reidlib.data.synth import writer
    from reidlib.engine.experiment import resolve_config
    from reidlib.engine.runs import config_hash

    before = config_hash(resolve_config("ide", "smoke"))
    monkeypatch.setattr(writer, "source_digest", lambda: "f" * 16)
    assert config_hash(resolve_config("ide", "smoke")) != before


def test_run_identity_follows_the_segmenter_weights(monkeypatch, tmp_path) -> None:
    """Runs on extracted masks are not reused once the shipped FCN weights change."""
    from reidlib.engine.runs import config_hash
    from reidlib.masks import fcn

    row = {"data.masks": "extracted", "data.segmenter": "reidlib_fcn"}
    cfg = resolve_config("mpm_ltl", "smoke", row)
    assert cfg["data"]["segmenter_key"].startswith("reidlib_fcn:")
    assert "segmenter_key" not in resolve_config("mpm_ltl", "smoke")["data"]   # true masks: no key
    other = tmp_path / "person_fcn.pt"
    other.write_bytes(b"other weights")
    monkeypatch.setattr(fcn, "default_weights", lambda out_channels=4: other)
    assert config_hash(resolve_config("mpm_ltl", "smoke", row)) != config_hash(cfg)


def test_degraded_masks_do_not_depend_on_the_checkout_folder(tmp_path) -> None:
    """The degradation is seeded by folder/name, so two clones in other folders agree."""
    import torch

    from reidlib.engine import data_spec

    masks = torch.zeros(1, 1, 32, 16, dtype=torch.uint8)
    masks[0, 0, 4:28, 4:12] = 1
    data = {"mask_iou": 0.7}
    a = data_spec._degrade(masks, [{"path": "/one/clone/bounding_box_train/0001_c1s1_000001_00.jpg"}], data)
    data_spec._MASK_CACHE.clear()
    b = data_spec._degrade(masks, [{"path": "/other/place/bounding_box_train/0001_c1s1_000001_00.jpg"}], data)
    assert torch.equal(a, b) and not torch.equal(a, masks)


def test_paper_profile_uses_each_papers_input_size(tmp_path, monkeypatch) -> None:
    # MPM-LTL sec. IV-B: 384 x 128 (a 24 x 8 map: 6 exact stripes); MGCAM sec. 4.1: 160 x 64
    monkeypatch.setenv("REIDLIB_WEIGHTS", str(tmp_path))   # the paper profile's ImageNet file
    torch.save({}, tmp_path / "resnet50-0676ba61.pth")
    assert resolve_config("mpm_ltl", "paper")["profile"]["image_size"] == [384, 128]
    assert resolve_config("mgcam", "paper")["profile"]["image_size"] == [160, 64]
    assert resolve_config("mscan", "paper")["profile"]["image_size"] == [160, 64]
    assert resolve_config("maskreid", "paper")["profile"]["image_size"] == [256, 128]  # the profile's own
    assert resolve_config("mpm_ltl", "quick")["profile"]["image_size"] == [96, 32]      # small profiles untouched
    cfg = resolve_config("mpm_ltl", "paper", {"profile.image_size": [256, 128]})
    assert cfg["profile"]["image_size"] == [256, 128]                                # an override still wins
    assert "paper_image_size" not in cfg


def test_channels_last_families_of_a_profile():
    """On an AVX2 CPU (injected, not read from the test machine:)."""
    from functools import partial

    from reidlib.engine.profiles import get_profile
    from reidlib.engine.profiles import use_channels_last as ucl

    use_channels_last = partial(ucl, capability="AVX2", cuda=False)
    quick = get_profile("quick")
    assert use_channels_last(quick, "maskreid_mf") and use_channels_last(quick.to_dict(), "mpm_rgb")
    assert not use_channels_last(quick, "mscan") and not use_channels_last(quick, "mgcam_hard")
    assert not use_channels_last(get_profile("smoke"), "maskreid_mf")      # smoke stays bit-exact NCHW
    assert not use_channels_last(quick.override(precision="bf16"), "maskreid_mf")
    assert quick.override(channels_last=["ide"]).channels_last == ("ide",)


def test_mgcam_phase_one_trains_on_random_batches_then_pairs(tmp_path):
    """Issue 14 item 3: the MGCAM recipe's phase 1 names the random sampler (MGCAM sec. 4.1), so
    the built trainer switches from random batches to Siamese pair batches; bad stage samplers
    are named before any data is built."""
    from reidlib.engine.sampling import StageSamplers

    cfg = resolve_config("mgcam", "smoke")
    t = build_trainer(cfg, run=False, quiet=True)
    assert isinstance(t.sampler, StageSamplers)
    assert [s.layout for s in t.sampler.samplers] == ["random", "siamese"]
    t._enter_stage(0)
    assert t.dataset.get_batch(next(iter(t.sampler)))["layout"] == "random"
    bad = resolve_config("mgcam", "smoke", {"recipe.mgcam.sampler.name": "nope"})
    with pytest.raises(KeyError, match="unknown stage sampler 'nope'"):
        validate_config(bad)


def test_extracted_masks_are_kept_on_disk_per_image(tmp_path, monkeypatch):
    """A second process (here: a cleared memory cache) reads the segmenter's masks back from
    cache/masks instead of extracting again; an edited image is extracted anew."""
    import os

    import numpy as np
    import torch
    from PIL import Image

    from reidlib.engine import data_spec

    monkeypatch.setenv("REIDLIB_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    records, images = [], []
    for i in range(3):
        arr = rng.integers(0, 256, (32, 16, 3), dtype=np.uint8)
        Image.fromarray(arr).save(tmp_path / f"{i:04d}.png")
        records.append({"path": str(tmp_path / f"{i:04d}.png")})
        images.append(torch.from_numpy(arr).permute(2, 0, 1))
    images = torch.stack(images)
    data = {"segmenter": "reidlib_fcn", "mask_recipe": "mpm_ltl"}
    monkeypatch.setattr(data_spec, "_MASK_CACHE", {})
    first = data_spec._extract(images, records, data)
    folder = data_spec.mask_cache_dir("reidlib_fcn", "mpm_ltl", (32, 16))
    assert len(list(folder.glob("*.png"))) == 3 and first.shape == (3, 1, 32, 16)
    calls = []

    def counting(name, recipe):
        calls.append(name)
        return lambda ims: [np.zeros(im.shape[:2]) for im in ims]

    monkeypatch.setattr(data_spec, "_MASK_CACHE", {})
    monkeypatch.setattr(data_spec, "_extractor", counting)
    assert torch.equal(data_spec._extract(images, records, data), first) and calls == []
    os.utime(records[1]["path"], ns=(1, 1))   # an edited image: its mask is extracted again
    monkeypatch.setattr(data_spec, "_MASK_CACHE", {})
    again = data_spec._extract(images, records, data)
    assert calls == ["reidlib_fcn"] and torch.equal(again[[0, 2]], first[[0, 2]]) and again[1].sum() == 0
