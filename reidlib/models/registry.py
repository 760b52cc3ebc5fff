"""Model registry: one plain dict per family, merged; ``build_model`` (CONTRIBUTING.md).

Families: :data:`~reidlib.models.ide.IDE_MODELS` (IDE baseline and input variants,
MPM-LTL Table 1), :data:`~reidlib.models.mpm.MPM_MODELS` (MPM-LTL III-C),
``maskreid.MODELS`` (MaskReID), ``mscan.MODELS`` and ``mgcam.MODELS`` (MGCAM),
``semparts.MODELS`` (SemParts). Every factory is called as
``factory(num_classes, size=size, **kwargs)`` and returns an ``nn.Module`` whose
``forward(x [B,3,H,W], mask [B,1,H,W] | None)`` returns a dict with ``features [B, D]``.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

from torch import nn

from . import maskreid, mgcam, mscan, semparts
from .ide import IDE_MODELS
from .mpm import MPM_MODELS

SIZES = ("small", "paper")


def _merge(*families: dict[str, Callable[..., nn.Module]]) -> dict[str, Callable[..., nn.Module]]:
    merged: dict[str, Callable[..., nn.Module]] = {}
    for family in families:
        clash = sorted(set(merged) & set(family))
        if clash:
            raise RuntimeError(f"model names registered twice: {clash}")
        merged.update(family)
    return merged


MODELS: dict[str, Callable[..., nn.Module]] = _merge(
    IDE_MODELS, MPM_MODELS, maskreid.MODELS, mscan.MODELS, mgcam.MODELS, semparts.MODELS)


def list_models() -> list[str]:
    """Sorted registered model names."""
    return sorted(MODELS)


def _check_kwargs(name: str, factory: Callable[..., nn.Module], kwargs: dict[str, Any]) -> None:
    """Raise ``TypeError`` naming unknown keyword arguments (when the signature is explicit)."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return  # the factory forwards **kwargs; its model raises on unknown ones
    valid = [n for n, p in params.items() if n not in ("num_classes", "size")
             and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
    unknown = sorted(set(kwargs) - set(valid))
    if unknown:
        raise TypeError(f"unknown keyword argument(s) {unknown} for model {name!r}; valid: {valid}")


def build_model(name: str, num_classes: int, size: str = "small", **kwargs: Any) -> nn.Module:
    """Build a registered model. Unknown ``name`` -> ``KeyError`` listing the valid names;
    unknown ``size`` -> ``ValueError``; unknown keyword arguments -> ``TypeError``."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; valid models: {list_models()}")
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; valid sizes: {list(SIZES)}")
    factory = MODELS[name]
    _check_kwargs(name, factory, kwargs)
    return factory(num_classes, size=size, **kwargs)
