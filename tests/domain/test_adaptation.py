"""Cross-domain procedure: label-leak proof, one-camera and missing-parts cases, two streams."""
import random

import pytest
import torch
from PIL import Image

from reidlib.data.base import ReIDDataset, make_record
from reidlib.domain import (CrossDomainBatchSampler, METHODS, run_cross_domain, strip_labels,
                            train_cross_domain)

FAST = dict(image_size=(32, 16), epochs=2, batch_p=2, batch_k=2, max_steps_per_epoch=2, knn=2,
            knn_start=1, erase_p=0.0)


def _domain(root, name, cams=(0, 1), ids=4, per=2, parts=True, seed=0):
    rng = random.Random(seed)
    recs = {"train": [], "query": [], "gallery": []}
    for split, folder, pids in (("train", "bounding_box_train", range(1, ids + 1)),
                                ("query", "query", range(50, 53)), ("gallery", "bounding_box_test", range(50, 53))):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / "parts" / folder).mkdir(parents=True, exist_ok=True)
        for pid in pids:
            colour = tuple(rng.randrange(256) for _ in range(3))
            for c in cams:
                for k in range(per if split != "query" else 1):
                    p = root / folder / f"{pid:04d}_c{c + 1}s1_{k:06d}_00.jpg"
                    Image.new("RGB", (16, 32), tuple(min(255, v + 20 * c + k) for v in colour)).save(p)
                    if parts:
                        pm = Image.new("L", (16, 32), 0)
                        pm.paste(1, (4, 0, 12, 8)); pm.paste(2, (2, 8, 14, 20)); pm.paste(3, (3, 20, 13, 32))
                        pm.save(root / "parts" / folder / f"{p.stem}.png")
                    recs[split].append(make_record(root, p, pid, c, split))
    return ReIDDataset(name, str(root), recs["train"], recs["query"], recs["gallery"])


@pytest.fixture(scope="module")
def domains(tmp_path_factory):
    base = tmp_path_factory.mktemp("xdomain")
    return _domain(base / "s", "src", seed=0), _domain(base / "t", "tgt", cams=(0, 1, 2), seed=1)


def _weights(src, tgt, method="ecn_parts", **kw):
    model, _ = train_cross_domain(src, tgt, method, evaluate=False, **{**FAST, **kw})
    return {k: v.clone() for k, v in model.state_dict().items()}


def _equal(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_target_labels_never_read(domains):
    src, tgt = domains
    ref = _weights(src, tgt)
    pids = [r["pid"] for r in tgt.train]
    random.Random(3).shuffle(pids)
    shuffled = ReIDDataset("t", tgt.root, [{**r, "pid": p + 7} for r, p in zip(tgt.train, pids)], tgt.query, tgt.gallery)
    removed = ReIDDataset("t", tgt.root, [{k: v for k, v in r.items() if k != "pid"} for r in tgt.train],
                          tgt.query, tgt.gallery)
    assert _equal(ref, _weights(src, shuffled))
    assert _equal(ref, _weights(src, removed))
    # the test has power: the target images do change the result, and labels matter when read
    assert not _equal(ref, _weights(src, ReIDDataset("t", tgt.root, tgt.train[::-1], tgt.query, tgt.gallery)))
    sup = _weights(src, tgt, "supervised")
    assert not _equal(sup, _weights(src, shuffled, "supervised"))


def test_one_camera_target_warns_and_trains(tmp_path, domains):
    src, _ = domains
    one = _domain(tmp_path / "one", "one", cams=(0,), per=2, seed=4)
    with pytest.warns(RuntimeWarning, match="one camera"):
        _weights(src, one, "ecn")


def test_target_without_parts_falls_back_and_source_without_parts_raises(tmp_path, domains):
    src, tgt = domains
    noparts = _domain(tmp_path / "np", "np", parts=False, seed=5)
    with pytest.warns(RuntimeWarning, match="source part maps only"):
        _weights(src, noparts)
    with pytest.raises(FileNotFoundError, match="part maps on the source"):
        _weights(noparts, tgt)


FAST_OVERRIDES = {"profile.image_size": [32, 16], "profile.epochs": 2, "profile.batch_p": 2, "profile.batch_k": 2,
                  "profile.max_steps_per_epoch": 2, "adaptation.knn": 2, "adaptation.knn_start": 1,
                  "adaptation.erase_p": 0.0}


def test_run_cross_domain_has_a_run_folder_reuse_and_resume(domains, tmp_path):
    from reidlib.domain import resolve_cross_domain
    from reidlib.engine.runs import read_csv, run_id

    src, tgt = domains
    m = run_cross_domain(src, tgt, "ecn", profile="smoke", overrides=FAST_OVERRIDES, runs_root=tmp_path)
    assert set(m) == {"rank1", "rank5", "rank10", "mAP"}
    assert 0 <= m["rank1"] <= m["rank5"] <= m["rank10"] <= 100
    cfg = resolve_cross_domain(src, tgt, "ecn", "smoke", FAST_OVERRIDES)
    run = tmp_path / "cross_domain" / run_id(cfg)
    assert (run / "config.json").is_file() and (run / "checkpoints" / "last.pt").is_file()
    assert cfg["adaptation"]["knn"] == 2 and cfg["profile"]["image_size"] == [32, 16]
    # the smoke profile trains from scratch: SemParts' Adam 3e-4 (a fine-tuning rate) becomes 3e-3
    assert cfg["profile"]["from_scratch"] is True
    assert float(read_csv(run / "epochs.csv")[0]["lr/base"]) == pytest.approx(3e-3)
    stamp = (run / "metrics.json").stat().st_mtime_ns
    assert run_cross_domain(src, tgt, "ecn", profile="smoke", overrides=FAST_OVERRIDES, runs_root=tmp_path) == m
    assert (run / "metrics.json").stat().st_mtime_ns == stamp          # reused, not retrained
    (run / "metrics.json").unlink()                                     # as if interrupted after the last epoch
    again = run_cross_domain(src, tgt, "ecn", profile="smoke", overrides=FAST_OVERRIDES, runs_root=tmp_path)
    assert set(again) == set(m) and len(read_csv(run / "epochs.csv")) == 2   # resumed: no epoch twice


def test_run_cross_domain_learning_curve(domains, tmp_path):
    """profile.eval_every evaluates on the target during training (the E10 learning curves)."""
    from reidlib.domain import resolve_cross_domain
    from reidlib.engine.runs import read_csv, run_id

    src, tgt = domains
    ov = {**FAST_OVERRIDES, "profile.eval_every": 1}
    run_cross_domain(src, tgt, "direct", profile="smoke", overrides=ov, runs_root=tmp_path)
    rows = read_csv(tmp_path / "cross_domain" / run_id(resolve_cross_domain(src, tgt, "direct", "smoke", ov)) / "epochs.csv")
    assert [r["epoch"] for r in rows] == ["1", "2"] and all(r["sq/mAP"] not in ("", None) for r in rows)


def test_cross_domain_runs_take_their_own_recipe_length(domains):
    """The E10 runs' length is ``recipe_epochs["cross_domain"]`` (their own check, 00's ECN row),
    not SemParts' (``recipe_epochs["semparts"]``); an explicit profile.epochs wins for both."""
    from reidlib.domain import resolve_cross_domain

    src, tgt = domains
    base = resolve_cross_domain(src, tgt, "ecn", "smoke")["profile"]["epochs"]
    own = {"profile.recipe_epochs": {"cross_domain": base + 3, "semparts": base + 5}}
    assert resolve_cross_domain(src, tgt, "ecn", "smoke", own)["profile"]["epochs"] == base + 3
    semparts_only = {"profile.recipe_epochs": {"semparts": base + 5}}
    assert resolve_cross_domain(src, tgt, "ecn", "smoke", semparts_only)["profile"]["epochs"] == base
    assert resolve_cross_domain(src, tgt, "ecn", "smoke", {**own, "profile.epochs": 7})["profile"]["epochs"] == 7


def test_run_cross_domain_errors(domains):
    src, tgt = domains
    with pytest.raises(KeyError, match="valid: " + ", ".join(METHODS)):
        run_cross_domain(src, tgt, "dann", profile="smoke")
    with pytest.raises(KeyError, match="unknown domain"):
        run_cross_domain("msmt", tgt, "ecn", profile="smoke")
    with pytest.raises(KeyError, match="unknown config key 'adaptation.lamda'"):
        run_cross_domain(src, tgt, "ecn", profile="smoke", overrides={"adaptation.lamda": 0.3})
    with pytest.raises(ValueError, match=r"adaptation.lam .* must be in \[0, 1\]"):
        run_cross_domain(src, tgt, "ecn", profile="smoke", overrides={"adaptation.lam": 2})


def test_batch_sampler_two_streams_covers_target():
    class Src:
        def set_epoch(self, e): pass
        def __len__(self): return 5
        def __iter__(self): return iter([[0, 1]] * 5)
    s = CrossDomainBatchSampler(Src(), num_source=10, num_target=4, target_batch=3, seed=0)
    s.set_epoch(0)
    batches = list(s)
    assert len(batches) == 5 and all(b[:2] == [0, 1] for b in batches)
    tgt = [i - 10 for b in batches for i in b[2:]]
    assert sorted(tgt[:4]) == [0, 1, 2, 3] and sorted(tgt[4:8]) == [0, 1, 2, 3]
    assert strip_labels([{"path": "a", "pid": 3}]) == [{"path": "a", "pid": -1}]


def test_lr_scale_multiplies_every_rate_and_keeps_earlier_run_ids(domains, tmp_path):
    """``adaptation.lr_scale`` scales the recipe's rates (after the from-scratch lift: SemParts'
    Adam 3e-4 -> 3e-3 -> x0.5 = 1.5e-3); at 1.0 it is not in the config, so the adaptation keys
    are exactly those every committed cross-domain run was hashed with (their ids unchanged)."""
    from reidlib.domain import resolve_cross_domain
    from reidlib.engine.runs import read_csv, run_id

    src, tgt = domains
    before = {"lam", "beta", "knn", "alpha", "knn_start", "seg_weight", "camstyle", "recipe", "erase_p"}
    plain = resolve_cross_domain(src, tgt, "ecn", "smoke", FAST_OVERRIDES)
    assert set(plain["adaptation"]) == before
    assert resolve_cross_domain(src, tgt, "ecn", "smoke", {**FAST_OVERRIDES, "adaptation.lr_scale": 1.0}) == plain
    ov = {**FAST_OVERRIDES, "adaptation.lr_scale": 0.5}
    scaled = resolve_cross_domain(src, tgt, "direct", "smoke", ov)
    assert scaled["adaptation"]["lr_scale"] == 0.5
    assert run_id(scaled) != run_id(resolve_cross_domain(src, tgt, "direct", "smoke", FAST_OVERRIDES))
    run_cross_domain(src, tgt, "direct", profile="smoke", overrides=ov, runs_root=tmp_path)
    rows = read_csv(tmp_path / "cross_domain" / run_id(scaled) / "epochs.csv")
    assert float(rows[0]["lr/base"]) == pytest.approx(1.5e-3)
    for bad in (0, -1.0, "fast", True):
        with pytest.raises(ValueError, match="adaptation.lr_scale"):
            resolve_cross_domain(src, tgt, "ecn", "smoke", {"adaptation.lr_scale": bad})


def test_the_trainer_a_run_config_builds_trains_the_runs_model(domains, tmp_path):
    """``build_cross_domain_trainer(**trainer_options(cfg))`` (what bench/train.py times) is the
    trainer ``run_cross_domain`` fits: the same config trains the same weights, bit for bit."""
    from reidlib.domain import build_cross_domain_trainer, resolve_cross_domain, trainer_options
    from reidlib.engine.runs import load_run, run_id

    src, tgt = domains
    ov = {**FAST_OVERRIDES, "adaptation.lr_scale": 0.5}
    cfg = resolve_cross_domain(src, tgt, "ecn", "smoke", ov, seed=1)
    opts = trainer_options(cfg)
    assert (opts["seed"], opts["epochs"], opts["knn"], opts["lr_scale"], opts["image_size"]) == \
        (1, cfg["profile"]["epochs"], 2, 0.5, (32, 16))
    assert set(cfg["adaptation"]) <= set(opts) and opts["profile_format"] == cfg["profile"]
    trainer, model = build_cross_domain_trainer(src, tgt, "ecn", **opts)
    trainer.fit()
    run_cross_domain(src, tgt, "ecn", profile="smoke", seed=1, overrides=ov, runs_root=tmp_path)
    saved = torch.load(load_run(tmp_path / "cross_domain" / run_id(cfg)).last, weights_only=False)["model"]
    mine = {f"model.{k}": v for k, v in model.state_dict().items()}
    assert mine and all(torch.equal(v, saved[k]) for k, v in mine.items())
