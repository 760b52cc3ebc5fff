"""``python -m reidlib check-gpu`` on a CPU: 3 steps of the paper-size MPM-LTL at 384 x 128."""
import json

import pytest
import torch

from reidlib.__main__ import main


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU path (CI); on a GPU it trains 300 steps")
def test_check_gpu_runs_three_steps_on_a_cpu(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("REIDLIB_RUNS", str(tmp_path / "runs"))
    assert main(["check-gpu"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["device"] == "cpu" and res["steps"] == 3 and res["warmup"] == 1
    assert res["batch"] == 4 and res["image_size"] == [384, 128]
    assert res["format"]["device"] == "cpu" and res["format"]["precision"] in ("fp32", "bf16")
    assert res["images_per_s"] > 0 and res["peak_memory_gb"] > 0
    assert 0 < res["data_share"] < 1
    assert not (tmp_path / "runs").exists()  # a check writes no run folder


def test_check_gpu_refuses_steps_not_above_warmup():
    from reidlib.engine.gpu_check import check_gpu

    with pytest.raises(ValueError, match=r"steps \(1\) must exceed warmup \(1\)"):
        check_gpu(steps=1, warmup=1)
