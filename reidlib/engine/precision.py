"""Numeric format of a run: device, autocast (bf16 / fp16), channels_last, gradient scaler.

One switch decides: the profile's ``device`` and ``precision`` (``reidlib.engine.profiles``),
turned by :func:`plan_format` into a :class:`FormatPlan` for the machine at hand (the CPU
capability and CUDA facts can be injected, so the logic is tested on any machine):

=============  ===============================================================================
CPU            ``bf16``: bf16 autocast + channels_last (native on AVX-512 / AMX, emulated and
               slow on AVX2); ``fp32``: channels_last for the profile's ``channels_last``
               families, else as is
CUDA           ``bf16`` autocast (Ampere and newer) or ``fp16`` autocast with a gradient
               scaler (older devices), channels_last, ``torch.backends.cudnn.benchmark``
=============  ===============================================================================

The wrappers act in place and keep the state dict (no wrapper module), so checkpoints load
either way. The resolved plan is what the run records (``env.json``, via
``reidlib.engine.machine.describe_machine``); ``bench/train.py`` measures each model's speed
in every format on the machine at hand.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

import torch


def enable_channels_last(model: torch.nn.Module) -> torch.nn.Module:
    """fp32 channels_last for ``model`` (in place): weights and the input image in NHWC order.
    Not bit-exact with NCHW; on this AVX2 CPU it trains the small MaskReID ~1.5x faster
    (bench/train.py prints the ratio per model). The state dict's values are unchanged."""
    model.to(memory_format=torch.channels_last)
    inner = model.forward

    def forward(x: torch.Tensor, mask: torch.Tensor | None = None) -> Any:
        return inner(x.contiguous(memory_format=torch.channels_last), mask)

    model.forward = forward  # type: ignore[method-assign]
    return model


def _to_float(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.float() if x.is_floating_point() else x
    if isinstance(x, (list, tuple)):
        return type(x)(_to_float(v) for v in x)
    if isinstance(x, dict):
        return {k: _to_float(v) for k, v in x.items()}
    return x


def enable_amp(model: torch.nn.Module, device: str | torch.device = "cpu", dtype: str = "bf16") -> torch.nn.Module:
    """Autocast (``dtype`` bf16 or fp16) + channels_last for ``model`` (in place): its ``forward``
    runs under ``torch.autocast(device_type, dtype)`` and returns float32 tensors, so the losses
    and the evaluator stay in fp32. The state dict is unchanged (no wrapper module)."""
    dev = torch.device(device).type
    torch_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
    inner = enable_channels_last(model).forward

    def forward(x: torch.Tensor, mask: torch.Tensor | None = None) -> Any:
        with torch.autocast(dev, dtype=torch_dtype):
            return _to_float(inner(x, mask))

    model.forward = forward  # type: ignore[method-assign]
    return model


@dataclass(frozen=True)
class FormatPlan:
    """How a run computes: ``device`` (cpu | cuda), ``precision`` (fp32 | bf16 | fp16, resolved),
    ``autocast`` (the autocast dtype or None), ``channels_last``, ``grad_scaler`` (fp16 only) and
    ``cudnn_benchmark`` (CUDA)."""

    device: str
    precision: str
    autocast: str | None
    channels_last: bool
    grad_scaler: bool
    cudnn_benchmark: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan_format(profile: Mapping[str, Any], model_name: str, capability: str | None = None,
                cuda: bool | None = None, cuda_bf16: bool | None = None) -> FormatPlan:
    """The :class:`FormatPlan` of ``profile`` (dict) for ``model_name`` on this machine, or on the one
    described by ``capability`` (CPU dispatch level), ``cuda`` and ``cuda_bf16`` (see module docstring)."""
    from .machine import resolve_device
    from .profiles import resolve_precision

    device = resolve_device(str(profile.get("device", "cpu")), cuda)
    precision = resolve_precision(str(profile.get("precision", "fp32")), capability, device == "cuda", cuda_bf16)
    if precision in ("bf16", "fp16"):
        return FormatPlan(device, precision, precision, True, precision == "fp16", device == "cuda")
    families = profile.get("channels_last", ()) or ()
    nhwc = device == "cuda" or any(str(model_name).startswith(p) for p in families)
    return FormatPlan(device, precision, None, nhwc, False, device == "cuda")


def apply_format(model: torch.nn.Module, plan: FormatPlan) -> torch.nn.Module:
    """Put ``model`` on the plan's device in its format (in place); sets cudnn.benchmark on CUDA."""
    model.to(plan.device)
    if plan.cudnn_benchmark:
        torch.backends.cudnn.benchmark = True
    if plan.autocast is not None:
        return enable_amp(model, plan.device, plan.autocast)
    if plan.channels_last:
        return enable_channels_last(model)
    return model


def apply_profile_format(model: torch.nn.Module, profile: Mapping[str, Any], model_name: str,
                         capability: str | None = None, cuda: bool | None = None) -> torch.nn.Module:
    """:func:`apply_format` of :func:`plan_format` (``capability`` / ``cuda``: this machine by default)."""
    return apply_format(model, plan_format(profile, model_name, capability, cuda))
