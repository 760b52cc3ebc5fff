import numpy as np
import pytest
import torch

from reidlib.study.explore import Features, list_runs, load_run, maps_figure, rank_query


def _feats() -> Features:
    qf = torch.tensor([[0.0, 0.0], [5.0, 5.0]])
    gf = torch.tensor([[0.1, 0.0], [0.2, 0.0], [0.3, 0.0], [0.4, 0.0], [5.0, 5.1]])
    g_pids, g_cams = np.array([1, -1, 2, 1, 7]), np.array([0, 1, 1, 1, 0])
    dist = torch.cdist(qf, gf).numpy().astype(np.float64)
    return Features(qf, gf, np.array([1, 7]), g_pids, np.array([0, 1]), g_cams, dist)


def test_rank_query_drops_junk_and_same_camera_and_marks_matches() -> None:
    f = _feats()
    res = rank_query(f, 0, k=3)
    # brute force: gallery 0 (same id+cam) and 1 (junk) are left out; remaining by distance: 2, 3, 4
    d = f.dist[0]
    expect = sorted([g for g in range(5) if f.g_pids[g] != -1 and not (f.g_pids[g] == 1 and f.g_cams[g] == 0)],
                    key=lambda g: d[g])[:3]
    assert res["gallery"].tolist() == expect == [2, 3, 4]
    assert res["match"].tolist() == [False, True, False]
    assert np.allclose(res["distance"], d[expect])
    with pytest.raises(IndexError, match="2 queries"):
        rank_query(f, 2)
    with pytest.raises(ValueError, match="k must"):
        rank_query(f, 0, k=0)


def test_rerank_is_computed_once_and_used() -> None:
    f = _feats()
    f.rerank_params = {"k1": 2, "k2": 1, "lambda_value": 0.3}
    r1 = f.distances(rerank=True)
    assert r1.shape == (2, 5) and f.distances(rerank=True) is r1
    assert f.distances(rerank=False) is f.dist
    res = rank_query(f, 1, k=1, rerank=True)
    assert res["distance"][0] == pytest.approx(r1[1, res["gallery"][0]])


def test_load_run_errors_list_runs(tmp_path) -> None:
    (tmp_path / "exp" / "abc" / "checkpoints").mkdir(parents=True)
    (tmp_path / "exp" / "abc" / "config.json").write_text("{}")
    (tmp_path / "exp" / "abc" / "checkpoints" / "best.pt").write_bytes(b"")
    (tmp_path / "exp" / "nockpt").mkdir()
    assert list_runs(tmp_path) == ["exp/abc"]
    with pytest.raises(FileNotFoundError, match="valid runs: \\['exp/abc'\\]"):
        load_run("exp/nockpt", runs_root=tmp_path)


def test_maps_figure_panels_and_threshold_check() -> None:
    mask = np.zeros((16, 8), np.float32)
    mask[4:12, 2:6] = 1
    maps = {"image": np.zeros((16, 8, 3), np.uint8), "mask": mask, "attention": np.ones((4, 2), np.float32)}
    fig = maps_figure(maps, threshold=0.4)
    assert [a.get_title() for a in fig.axes] == ["image", "mask", "mask pooled, t = 0.4", "attention"]
    assert len(maps_figure({"image": maps["image"]}).axes) == 1
    with pytest.raises(ValueError, match="threshold"):
        maps_figure(maps, threshold=1.5)


def test_load_run_roundtrip_features_topk_and_maps(tmp_path) -> None:
    from reidlib.engine.checkpoint import save_checkpoint
    from reidlib.engine.experiment import build_trainer, resolve_config
    from reidlib.engine.runs import write_json
    from reidlib.study.explore import compute_features, model_maps, topk_figure

    cfg = resolve_config("ide_rgbm", "smoke", None, 0)
    trainer = build_trainer(cfg, runs_root=tmp_path, quiet=True, run=False)
    with torch.no_grad():
        for p in trainer.model.parameters():
            p.add_(0.01 * torch.randn_like(p))   # weights differ from a fresh build with the same seed
    d = tmp_path / "ide_rgbm" / "r1"
    write_json(d / "config.json", cfg)
    save_checkpoint(d / "checkpoints" / "best.pt", {"model": trainer.model.state_dict()})
    run = load_run("ide_rgbm/r1", runs_root=tmp_path)
    for (n, a), b in zip(trainer.model.state_dict().items(), run.model.state_dict().values()):
        assert torch.equal(a, b), n
    feats = compute_features(run)
    assert feats.qf.shape[0] == len(run.query) and feats.dist.shape == (len(run.query), len(run.gallery))
    i = int(np.flatnonzero([(feats.g_pids == p).any() for p in feats.q_pids])[0])
    fig = topk_figure(run, feats, i, k=4)
    res = rank_query(feats, i, k=4)
    colours = [a.title.get_color() for a in fig.axes[1:]]
    assert colours == ["green" if m else "red" for m in res["match"]]
    maps = model_maps(run, 0)
    assert maps["image"].ndim == 3 and set(np.unique(maps["mask"])) <= {0.0, 1.0}
    assert "attention" not in maps
