"""Numeric format of a model on the CPU: bf16 autocast and fp32 channels_last (NHWC).

Both act in place and keep the state dict (no wrapper module), so checkpoints load either way.
Which profile uses which: ``reidlib.engine.profiles`` (``precision``, ``channels_last``), applied
by :func:`apply_profile_format`; ``bench/train.py`` measures each model's speed in every format
on the machine at hand.
"""
from __future__ import annotations

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


def enable_amp(model: torch.nn.Module, device: str | torch.device = "cpu") -> torch.nn.Module:
    """bf16 autocast + channels_last for ``model`` (in place): its ``forward`` runs under
    ``torch.autocast(device_type, torch.bfloat16)`` and returns float32 tensors, so the losses
    and the evaluator stay in fp32. The state dict is unchanged (no wrapper module)."""
    dev = torch.device(device).type
    inner = enable_channels_last(model).forward

    def forward(x: torch.Tensor, mask: torch.Tensor | None = None) -> Any:
        with torch.autocast(dev, dtype=torch.bfloat16):
            return _to_float(inner(x, mask))

    model.forward = forward  # type: ignore[method-assign]
    return model


def apply_profile_format(model: torch.nn.Module, profile: Mapping[str, Any], model_name: str,
                         capability: str | None = None, cuda: bool | None = None) -> torch.nn.Module:
    """The profile's format for ``model_name``: bf16 autocast when ``precision`` resolves to
    bf16, else fp32 channels_last when the model's family is in ``channels_last``, else as is.
    ``capability`` / ``cuda`` (default: this machine, :mod:`reidlib.engine.machine`) decide
    ``"auto"`` (:func:`reidlib.engine.profiles.resolve_precision`)."""
    from .profiles import resolve_precision, use_channels_last

    if resolve_precision(profile.get("precision", "fp32"), capability, cuda) == "bf16":
        return enable_amp(model)
    if use_channels_last(profile, model_name, capability, cuda):
        return enable_channels_last(model)
    return model
