"""Numeric format of a model on the CPU: bf16 autocast and fp32 channels_last (NHWC).

Both act in place and keep the state dict (no wrapper module), so checkpoints load either way.
Which profile uses which: ``reidlib.engine.profiles`` (``precision``, ``channels_last``);
``bench/train.py`` measures each model's speed in every format on the machine at hand.
"""
from __future__ import annotations

from typing import Any

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


def enable_amp(model: torch.nn.Module, device: str | torch.device = "cpu") -> torch.nn.Module:
    """bf16 autocast + channels_last for ``model`` (in place): its ``forward`` runs under
    ``torch.autocast(device_type, torch.bfloat16)`` and returns float32 tensors, so the losses
    and the evaluator stay in fp32. The state dict is unchanged (no wrapper module)."""
    dev = torch.device(device).type
    model.to(memory_format=torch.channels_last)
    inner = model.forward

    def to_float(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            return x.float() if x.is_floating_point() else x
        if isinstance(x, (list, tuple)):
            return type(x)(to_float(v) for v in x)
        if isinstance(x, dict):
            return {k: to_float(v) for k, v in x.items()}
        return x

    def forward(x: torch.Tensor, mask: torch.Tensor | None = None) -> Any:
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(dev, dtype=torch.bfloat16):
            return to_float(inner(x, mask))

    model.forward = forward  # type: ignore[method-assign]
    return model
