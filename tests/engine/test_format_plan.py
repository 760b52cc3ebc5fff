"""One switch decides a run's numeric format; the machine is injected, so any CPU tests every case."""
import pytest
import torch

from reidlib.engine.precision import FormatPlan, plan_format

CPU_AUTO = {"precision": "auto", "device": "cpu", "channels_last": ["mpm"]}


@pytest.mark.parametrize("capability, model, want", [
    ("AVX2", "mpm", FormatPlan("cpu", "fp32", None, True, False, False)),      # emulated bf16 is slow
    ("AVX2", "mscan", FormatPlan("cpu", "fp32", None, False, False, False)),   # not a channels_last family
    ("AVX512", "mscan", FormatPlan("cpu", "bf16", "bf16", True, False, False)),
    ("AMX", "mpm", FormatPlan("cpu", "bf16", "bf16", True, False, False)),
])
def test_cpu_plans(capability, model, want) -> None:
    assert plan_format(CPU_AUTO, model, capability=capability, cuda=False) == want


def test_cuda_plans_bf16_or_fp16_with_a_scaler() -> None:
    prof = {"precision": "auto", "device": "auto", "channels_last": []}
    assert plan_format(prof, "mpm", cuda=True, cuda_bf16=True) == FormatPlan("cuda", "bf16", "bf16", True, False, True)
    assert plan_format(prof, "mpm", cuda=True, cuda_bf16=False) == FormatPlan("cuda", "fp16", "fp16", True, True, True)
    fp32 = plan_format({**prof, "precision": "fp32"}, "mgcam", cuda=True)
    assert fp32 == FormatPlan("cuda", "fp32", None, True, False, True)
    assert plan_format(prof, "mpm", capability="AVX2", cuda=False).device == "cpu"   # auto without CUDA


def test_bad_combinations_name_the_fix() -> None:
    with pytest.raises(ValueError, match="fp16.*is for CUDA devices"):
        plan_format({"precision": "fp16", "device": "cpu"}, "mpm", cuda=False)
    with pytest.raises(ValueError, match="profile.device='cuda' but torch sees no CUDA device"):
        plan_format({"precision": "fp32", "device": "cuda"}, "mpm", cuda=False)


def test_grad_scaler_path_trains_and_checkpoints() -> None:
    from engine_tiny import PKSampler, TinyData, TinyNet, id_term

    from reidlib.data.transforms import build_transforms
    from reidlib.engine import Recipe, Stage, Trainer

    data = TinyData()
    t = Trainer(TinyNet(), [id_term()], data, PKSampler(data.pids), Recipe("r", [Stage("all", 1, {"base": 0.05})]), quiet=True,
                transform=build_transforms((16, 8), train=False),
                max_steps_per_epoch=2, grad_scaler=True, use_mask=False)
    t.fit()
    assert t.scaler is not None and t.state_dict()["scaler"] is not None
    assert all(torch.isfinite(p).all() for p in t.model.parameters())
