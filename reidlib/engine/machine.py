"""The one place that reads the machine: CPU capability, CUDA, forced precision, env.json facts.

Everything that depends on the hardware (``precision="auto"``, channels_last families:
:func:`reidlib.engine.profiles.resolve_precision`) takes the capability as an argument and
falls back to :func:`cpu_capability` / :func:`cuda_available` only when it is not given, so
tests inject ``"AVX2"``, ``"AVX512"``, ``"AMX"`` or ``cuda=True``.

``REIDLIB_PRECISION`` (``fp32`` | ``bf16`` | ``auto``), when set, overrides a profile's
precision at config resolution (:func:`forced_precision`): it lands in
config.json and the run id. :func:`describe_machine` is what env.json and the study summary
record about the machine.
"""
from __future__ import annotations

import os
import platform
from typing import Any

PRECISION_ENV = "REIDLIB_PRECISION"
PRECISION_VALUES = ("fp32", "bf16", "auto")


def cpu_capability() -> str:
    """torch's CPU dispatch level of this machine, e.g. ``"AVX2"``, ``"AVX512"``, ``"AMX"`` ("" if unknown)."""
    import torch

    return str(getattr(torch.backends.cpu, "get_cpu_capability", lambda: "")())


def cuda_available() -> bool:
    """Whether torch sees a CUDA device."""
    import torch

    return bool(torch.cuda.is_available())


def cuda_bf16_supported() -> bool:
    """Whether the CUDA device does bf16 (Ampere and newer); False without CUDA."""
    import torch

    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def resolve_device(device: str, cuda: bool | None = None) -> str:
    """``"auto"`` -> ``"cuda"`` when a CUDA device is there (``cuda`` injects it), else ``"cpu"``;
    ``"cuda"`` without one is an error naming the fix."""
    has_cuda = cuda_available() if cuda is None else bool(cuda)
    if device == "auto":
        return "cuda" if has_cuda else "cpu"
    if device == "cuda" and not has_cuda:
        raise ValueError("profile.device='cuda' but torch sees no CUDA device: set profile.device=cpu (or auto)")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"unknown profile.device {device!r}; valid: auto, cpu, cuda")
    return device


def _cpuinfo() -> tuple[str, set[str]]:
    """(model name, flags) from /proc/cpuinfo; ("", set()) where there is none (macOS, Windows)."""
    model, flags = "", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                key = key.strip()
                if key == "model name" and not model:
                    model = val.strip()
                elif key in ("flags", "Features") and not flags:
                    flags = set(val.split())
                if model and flags:
                    break
    except OSError:
        pass
    return model, flags


def forced_precision() -> str | None:
    """``$REIDLIB_PRECISION`` (fp32 | bf16 | auto) or None when unset/empty; other values are an error."""
    value = os.environ.get(PRECISION_ENV, "").strip().lower()
    if not value:
        return None
    if value not in PRECISION_VALUES:
        raise ValueError(f"{PRECISION_ENV}={value!r} is not a precision; valid: {', '.join(PRECISION_VALUES)} "
                         "(or unset it to use the profile's precision)")
    return value


def describe_machine(precision: str | None = None) -> dict[str, Any]:
    """What a run (env.json) and the study summary record about the machine.

    Keys: ``cpu_model`` (/proc/cpuinfo "model name" or ``platform.processor()``),
    ``cpu_capability`` (torch's dispatch level), ``avx512`` / ``amx_bf16`` (CPU flags present),
    ``cpu_count``, ``cuda``, ``torch``, ``torch_threads``, ``precision`` (``precision`` resolved
    on this machine, e.g. ``"auto"`` -> ``"bf16"``; None when not given) and
    ``forced_precision`` (``$REIDLIB_PRECISION`` or None).
    """
    import torch

    from .profiles import resolve_precision

    model, flags = _cpuinfo()
    cap = cpu_capability()
    return {"cpu_model": model or platform.processor() or platform.machine(),
            "cpu_capability": cap,
            "avx512": any(f.startswith("avx512") for f in flags) or "AVX512" in cap.upper(),
            "amx_bf16": "amx_bf16" in flags,
            "cpu_count": os.cpu_count(),
            "cuda": cuda_available(),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "precision": resolve_precision(precision) if precision else None,
            "forced_precision": os.environ.get(PRECISION_ENV) or None}
