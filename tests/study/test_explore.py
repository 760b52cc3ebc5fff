import matplotlib

matplotlib.use("Agg")
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


def test_maps_figure_panels_colour_bars_and_threshold_check() -> None:
    mask = np.zeros((16, 8), np.float32)
    mask[4:12, 2:6] = 1
    att = np.linspace(0, 1, 8, dtype=np.float32).reshape(4, 2)
    maps = {"image": np.zeros((16, 8, 3), np.uint8), "mask": mask, "attention": att}
    fig = maps_figure(maps, threshold=0.4, title="r \u2014 query #0 (person id 3)")
    titles = [a.get_title() for a in fig.axes]
    # four panels, then one colour bar: the attention map is continuous, the masks are binary
    assert titles[:4] == ["image", "mask", "mask pooled, t = 0.4", "attention"] and len(fig.axes) == 5
    assert fig.axes[4].get_ylabel() == "attention weight"
    assert fig.get_suptitle() == "r \u2014 query #0 (person id 3)"
    soft = maps_figure({"image": maps["image"], "mask": 0.5 * mask})
    assert len(soft.axes) == 3 + 1 and soft.axes[3].get_ylabel() == "mask value"   # a soft mask gets a bar
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
    assert [a.get_title() for a in fig.axes[1:]] == [
        f"{r + 1}: {d:.3g}\nid {feats.g_pids[g]}" for r, (g, d) in enumerate(zip(res["gallery"], res["distance"]))]
    assert fig.axes[0].get_title() == f"query #{i}\n(person id {feats.q_pids[i]})"
    assert "ide_rgbm/r1" in fig.get_suptitle() and "Euclidean distance" in fig.get_suptitle()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["true match (same person)",
                                                                    "false match (other person)"]
    maps = model_maps(run, 0)
    assert maps["image"].ndim == 3 and set(np.unique(maps["mask"])) <= {0.0, 1.0}
    assert "attention" not in maps


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """A smoke ``ide_rgbm`` run (untrained, perturbed weights) saved as ``ide_rgbm/r1``, with its features."""
    from reidlib.engine.checkpoint import save_checkpoint
    from reidlib.engine.experiment import build_trainer, resolve_config
    from reidlib.engine.runs import write_json
    from reidlib.study.explore import compute_features

    root = tmp_path_factory.mktemp("runs")
    cfg = resolve_config("ide_rgbm", "smoke", None, 0)
    trainer = build_trainer(cfg, runs_root=root, quiet=True, run=False)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in trainer.model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    for name in ("r1", "r2"):
        d = root / "ide_rgbm" / name
        write_json(d / "config.json", cfg)
        save_checkpoint(d / "checkpoints" / "best.pt", {"model": trainer.model.state_dict()})
    run = load_run("ide_rgbm/r1", runs_root=root)
    return root, run, compute_features(run)


def _pid(feats: Features, i: int) -> int:
    return int(feats.q_pids[i])


def test_topk_figure_wraps_rows_and_names_the_distance(smoke_run) -> None:
    from reidlib.study.explore import topk_figure

    _, run, feats = smoke_run
    k = min(20, int(((feats.g_pids != -1)).sum()) - 2)
    assert k > 10, "the smoke gallery is too small for this test"
    small, big = topk_figure(run, feats, 0, k=4), topk_figure(run, feats, 0, k=k)
    rows = {round(a.get_position().y0, 3) for a in big.axes[1:]}
    assert len(big.axes) == k + 1 and len(rows) == 2           # 10 per row, then the rest
    assert big.get_size_inches()[1] > small.get_size_inches()[1]
    assert big.get_size_inches()[0] == pytest.approx(topk_figure(run, feats, 0, k=10).get_size_inches()[0])
    assert "re-ranked distance" in topk_figure(run, feats, 0, k=3, rerank=True).get_suptitle()
    with pytest.raises(ValueError, match="per_row"):
        topk_figure(run, feats, 0, k=3, per_row=0)


def test_explorer_draws_on_build_and_redraws_on_each_control(smoke_run) -> None:
    from reidlib.study.explorer_widget import Explorer

    root, run, feats = smoke_run
    ex = Explorer(run, feats, query=0, k=4, runs_root=root)
    assert ex.draws == 1 and ex.topk_fig is not None and ex.maps_fig is not None   # drawn when built
    assert ex.controls["query"].description == "query #"
    assert ex.controls["query"].max == len(feats.q_pids) - 1
    assert ex.controls["run"].options == ("ide_rgbm/r1", "ide_rgbm/r2")
    sup = ex.topk_fig.get_suptitle()
    assert "ide_rgbm/r1" in sup and f"query #0 (person id {_pid(feats, 0)})" in sup
    assert "Euclidean distance" in sup and len(ex.topk_fig.axes) == 5
    assert f"query #0 (person id {_pid(feats, 0)})" in ex.maps_fig.get_suptitle()

    before = ex.topk_fig
    ex.controls["query"].value = 3
    assert ex.draws == 2 and ex.topk_fig is not before
    assert f"query #3 (person id {_pid(feats, 3)})" in ex.topk_fig.get_suptitle()
    assert ex.topk_fig.axes[0].get_title() == f"query #3\n(person id {_pid(feats, 3)})"
    assert f"query #3 (person id {_pid(feats, 3)})" in ex.label.value

    ex.controls["k"].value = 12
    assert len(ex.topk_fig.axes) == 13

    euclid = [a.get_title() for a in ex.topk_fig.axes[1:]]
    ex.controls["rerank"].value = True
    sup = ex.topk_fig.get_suptitle()
    assert "re-ranked distance" in sup and "Euclidean" not in sup
    assert [a.get_title() for a in ex.topk_fig.axes[1:]] != euclid            # distances on another scale

    ex.controls["threshold"].value = 0.8
    assert ex.draws == 5 and "mask pooled, t = 0.8" in [a.get_title() for a in ex.maps_fig.axes]

    ex.controls["run"].value = "ide_rgbm/r2"
    assert ex.run.name == "ide_rgbm/r2" and ex.draws == 6
    assert "ide_rgbm/r2" in ex.topk_fig.get_suptitle() and "ide_rgbm/r2" in ex.maps_fig.get_suptitle()
    assert ex.values() == {"run": "ide_rgbm/r2", "query": 3, "k": 12, "rerank": True, "threshold": 0.8}


def test_explorer_checks_and_builds_from_a_name(smoke_run) -> None:
    from reidlib.study.explorer_widget import Explorer

    root, run, feats = smoke_run
    with pytest.raises(IndexError, match="query #"):
        Explorer(run, feats, query=len(feats.q_pids), runs=[])
    with pytest.raises(ValueError, match="k must"):
        Explorer(run, feats, k=0, runs=[])
    ex = Explorer("ide_rgbm/r2", runs_root=root, runs=["ide_rgbm/r1", "nope/none"], k=2)
    assert ex.run.name == "ide_rgbm/r2" and ex.draws == 1
    with pytest.raises(FileNotFoundError):
        ex.controls["run"].value = "nope/none"
    assert ex.controls["run"].value == "ide_rgbm/r2" and ex.run.name == "ide_rgbm/r2"   # menu set back
