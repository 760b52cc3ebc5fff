"""Issue 13 items 2-4: the CPU capability is an argument (never read from the test machine),
REIDLIB_PRECISION forces a precision into the config and the run id, env.json says how a
run was made."""
from __future__ import annotations

import json

import pytest
import torch

from reidlib.engine import machine, precision
from reidlib.engine.profiles import get_profile, resolve_precision, use_channels_last
from reidlib.engine.runs import config_hash, open_run


@pytest.mark.parametrize("cap, cuda, expected", [("AVX2", False, "fp32"), ("DEFAULT", False, "fp32"),
                                                 ("AVX512", False, "bf16"), ("AMX", False, "bf16"),
                                                 ("AVX2", True, "bf16")])
def test_auto_precision_follows_the_injected_capability(cap, cuda, expected):
    assert resolve_precision("auto", capability=cap, cuda=cuda, cuda_bf16=True) == expected
    assert resolve_precision("fp32", capability="AMX", cuda=True) == "fp32"
    assert resolve_precision("bf16", capability="AVX2", cuda=False) == "bf16"  # emulated there, still bf16
    with pytest.raises(ValueError, match="unknown precision 'fp8'; valid: fp32, bf16, fp16, auto"):
        resolve_precision("fp8", capability="AVX2", cuda=False)
    with pytest.raises(ValueError, match="'fp16' .* is for CUDA devices"):
        resolve_precision("fp16", capability="AVX2", cuda=False)
    assert resolve_precision("auto", cuda=True, cuda_bf16=False) == "fp16"


def test_channels_last_families_follow_the_capability():
    quick = get_profile("quick")  # precision "auto"
    assert use_channels_last(quick, "maskreid_mf", capability="AVX2", cuda=False)
    assert not use_channels_last(quick, "maskreid_mf", capability="AVX512", cuda=False)  # bf16 path instead
    # the quick profile runs on the CPU even where CUDA is: the CPU capability decides
    assert use_channels_last(quick, "maskreid_mf", capability="AVX2", cuda=True)
    on_gpu = {**quick.to_dict(), "device": "auto"}                                      # autocast on CUDA
    assert not use_channels_last(on_gpu, "maskreid_mf", capability="AVX2", cuda=True)


@pytest.mark.parametrize("cap, expected", [("AVX2", "channels_last"), ("AVX512", "amp"), ("AMX", "amp")])
def test_apply_profile_format_takes_the_capability(monkeypatch, cap, expected):
    calls = []
    monkeypatch.setattr(precision, "enable_amp", lambda m, *a: calls.append("amp") or m)
    monkeypatch.setattr(precision, "enable_channels_last", lambda m: calls.append("channels_last") or m)
    prof = get_profile("quick").to_dict()
    precision.apply_profile_format(torch.nn.Linear(2, 2), prof, "mpm_rgb", capability=cap, cuda=False)
    precision.apply_profile_format(torch.nn.Linear(2, 2), prof, "mscan", capability=cap, cuda=False)
    assert calls == ([expected, "amp"] if expected == "amp" else [expected])


@pytest.mark.parametrize("cap, expected", [("AVX2", "fp32"), ("AMX", "bf16")])
def test_auto_precision_is_resolved_in_the_config_and_the_run_id(monkeypatch, cap, expected):
    """A run's config names the format it trains in, so runs of an AVX2 session (fp32) and of an
    AMX session (bf16) never share a run folder."""
    from reidlib.domain.runs import resolve_cross_domain
    from reidlib.engine import machine
    from reidlib.engine.experiment import resolve_config

    monkeypatch.delenv("REIDLIB_PRECISION", raising=False)
    monkeypatch.setattr(machine, "cpu_capability", lambda: cap)
    monkeypatch.setattr(machine, "cuda_available", lambda: False)
    assert get_profile("quick").precision == "auto"
    cfg = resolve_config("ide", "quick")
    assert cfg["profile"]["precision"] == expected
    assert config_hash(cfg) == config_hash(resolve_config("ide", "quick", {"profile.precision": expected}))
    assert resolve_cross_domain("market", "duke", "ecn", "quick")["profile"]["precision"] == expected


def test_forced_precision_lands_in_the_config_and_the_run_id(monkeypatch):
    from reidlib.engine.experiment import resolve_config

    monkeypatch.setenv("REIDLIB_PRECISION", "fp32")
    fp32 = resolve_config("ide", "smoke")
    monkeypatch.setenv("REIDLIB_PRECISION", "bf16")
    bf16 = resolve_config("ide", "smoke")
    assert fp32["profile"]["precision"] == "fp32" and bf16["profile"]["precision"] == "bf16"
    assert config_hash(fp32) != config_hash(bf16)  # a forced run is never reused for the other precision
    explicit = resolve_config("ide", "smoke", {"profile.precision": "fp32"})
    assert explicit["profile"]["precision"] == "fp32"  # an explicit --set wins over the variable
    monkeypatch.delenv("REIDLIB_PRECISION")
    assert resolve_config("ide", "smoke")["profile"]["precision"] == get_profile("smoke").precision
    monkeypatch.setenv("REIDLIB_PRECISION", "fp16")
    with pytest.raises(ValueError, match="REIDLIB_PRECISION='fp16' is not a precision; valid: fp32, bf16, auto"):
        resolve_config("ide", "smoke")


def test_env_json_describes_the_machine(tmp_path, monkeypatch):
    monkeypatch.setattr(machine, "cpu_capability", lambda: "AVX512")
    monkeypatch.setattr(machine, "cuda_available", lambda: False)
    desc = machine.describe_machine("auto")
    assert desc["precision"] == "bf16" and desc["cpu_capability"] == "AVX512"
    for key in ("cpu_model", "avx512", "amx_bf16", "torch", "torch_threads", "cpu_count", "cuda"):
        assert key in desc
    assert desc["torch"] == torch.__version__ and desc["torch_threads"] == torch.get_num_threads()
    run = open_run(tmp_path, "exp", {"profile": {"precision": "auto"}, "a": 1})
    run.write_env(seed=3, device="cpu")
    env = json.loads((run.dir / "env.json").read_text())
    assert env["machine"]["precision"] == "bf16" and env["machine"]["cpu_capability"] == "AVX512"
    assert env["seed"] == 3 and env["packages"]["torch"]
