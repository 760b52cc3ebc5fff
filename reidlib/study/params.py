"""Checking a notebook's parameters against its experiment's parameter dataclass.

papermill injects parameters in a cell after the one tagged ``parameters`` and
only *warns* about names the notebook does not define. Each notebook therefore
records its globals before the parameters cell and calls
:func:`collect_params` after it::

    _before = set(globals())          # cell 1
    profile = "smoke"; seeds = 1      # cell 2, tagged "parameters"
    params = collect_params(E2Params, globals(), _before)   # cell 3

Any new global that is not a field of the dataclass is an error that lists
the valid names, so a misspelt ``-p seeeds 3`` fails instead of being ignored.
"""
from __future__ import annotations

import dataclasses
import types
from typing import Any, TypeVar

T = TypeVar("T")


def collect_params(spec: type[T], namespace: dict[str, Any], before: set[str]) -> T:
    """Build ``spec`` from the globals defined since ``before``; unknown names raise."""
    if not dataclasses.is_dataclass(spec):
        raise TypeError(f"{spec!r} is not a dataclass")
    fields = {f.name for f in dataclasses.fields(spec)}
    new = {
        k: v for k, v in namespace.items()
        if k not in before and not k.startswith("_")
        and not isinstance(v, (types.ModuleType, types.FunctionType, type))
    }
    unknown = sorted(set(new) - fields)
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown} for {spec.__name__}; valid parameters: {sorted(fields)}"
        )
    return spec(**new)


def as_dict(params: Any) -> dict[str, Any]:
    """A plain dict of a parameter dataclass (for config.json and tables)."""
    return dataclasses.asdict(params)
