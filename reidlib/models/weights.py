"""Pretrained weights from a local file: checksum, safe loading, partial/adapted load.

Nothing is ever downloaded. ``torch.load(weights_only=True)`` reads the file; its
SHA-256 is always computed and returned in the :class:`LoadReport` (so a run record
can store it). It is checked against ``sha256`` when given, and otherwise, for
files named the torchvision way (``resnet50-0676ba61.pth``), against the hex prefix
in the name (torchvision's own convention).

Partial load: every parameter/buffer of the target whose name is in the file is
copied when the shapes agree, or *adapted* when they differ in a way that has an
obvious reading (the MPM stem has 63 kernels, RGB-M has 4 input channels):

* conv weight ``[O, I, k, k]``, fewer output filters: the first ``O`` filters;
* conv input channels: 1 from many -> their sum (a grey-level filter, for
  ``mask_only``); fewer -> the first ones; more -> the originals followed by zeros
  (the extra mask channel starts silent, so the pretrained response is unchanged);
* 1-D tensors of BatchNorm layers (weight, bias, running stats) longer than
  needed: the first entries.

Everything else that differs (a classifier with another number of classes) is
reported as ``mismatched`` and left at its initial value; target names absent from
the file are ``missing``; file names unknown to the target are ``unexpected``.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

_TORCHVISION_HASH = re.compile(r"-([0-9a-f]{8,64})\.(pth|pt)$")


@dataclass
class LoadReport:
    """What :func:`load_weights` did; ``str(report)`` is a one-paragraph summary."""

    path: str
    sha256: str
    loaded: list[str] = field(default_factory=list)
    adapted: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"weights {self.path} (sha256 {self.sha256[:16]}...): {len(self.loaded)} loaded, "
                 f"{len(self.adapted)} adapted, {len(self.missing)} missing, "
                 f"{len(self.unexpected)} unexpected, {len(self.mismatched)} mismatched"]
        lines += [f"  adapted {k}: {s} -> {d}" for k, (s, d) in self.adapted.items()]
        lines += [f"  mismatched {k}: {s} vs {d}" for k, (s, d) in self.mismatched.items()]
        return "\n".join(lines)


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_state_dict(path: str | os.PathLike, sha256: str | None = None) -> tuple[dict[str, torch.Tensor], str]:
    """Checked, safe read of a state dict file -> ``(state_dict, sha256)``.

    Accepts a bare state dict or one wrapped in ``{"state_dict": ...}`` / ``{"model": ...}``;
    a ``module.`` prefix (DataParallel) is stripped.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pretrained weights file not found: {path}; reidlib never downloads "
                                "weights, put the file there (e.g. torchvision's resnet50-0676ba61.pth)")
    digest = file_sha256(path)
    expected = sha256.lower() if sha256 else None
    if expected is None:
        hit = _TORCHVISION_HASH.search(path.name)
        if hit:
            expected = hit.group(1)
    if expected is not None and not digest.startswith(expected):
        raise ValueError(f"checksum mismatch for {path}: expected sha256 {expected}, got {digest}; "
                         "the file is corrupt or a different file")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle/zip errors of a truncated or foreign file
        raise ValueError(f"cannot read weights from {path} (corrupt or not a torch state dict): {exc}") from exc
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f"{path} does not hold a state dict of tensors (got {type(obj).__name__})")
    return {k[7:] if k.startswith("module.") else k: v for k, v in obj.items()}, digest


def adapt_tensor(src: torch.Tensor, shape: tuple[int, ...], slice_1d: bool = True) -> torch.Tensor | None:
    """``src`` reshaped to ``shape`` by the rules of the module docstring, or ``None``.

    ``slice_1d=False`` refuses to shorten 1-D tensors (a classifier bias is not a BN vector).
    """
    if tuple(src.shape) == tuple(shape):
        return src
    if slice_1d and src.dim() == 1 and len(shape) == 1 and shape[0] < src.shape[0]:
        return src[: shape[0]].clone()
    if src.dim() == 4 and len(shape) == 4 and tuple(src.shape[2:]) == tuple(shape[2:]) and shape[0] <= src.shape[0]:
        w = src[: shape[0]]
        i_src, i_dst = src.shape[1], shape[1]
        if i_dst == 1 and i_src > 1:
            w = w.sum(dim=1, keepdim=True)
        elif i_dst < i_src:
            w = w[:, :i_dst]
        elif i_dst > i_src:
            w = torch.cat([w, w.new_zeros(w.shape[0], i_dst - i_src, *w.shape[2:])], dim=1)
        return w.clone()
    return None


def torchvision_key_map(key: str) -> str:
    """torchvision ResNet names -> :class:`ResNetBackbone` names (``conv1.*`` -> ``stem.conv1.*``)."""
    return "stem." + key if key.split(".")[0] in ("conv1", "bn1") else key


def load_weights(module: nn.Module, path: str | os.PathLike, sha256: str | None = None,
                 key_map: Callable[[str], str] | None = None, strict: bool = False) -> LoadReport:
    """Load a local state dict file into ``module`` (partially, with adaptation); see module doc.

    ``strict=True`` raises ``ValueError`` when anything is missing or mismatched.
    """
    state, digest = read_state_dict(path, sha256)
    if key_map is not None:
        state = {key_map(k): v for k, v in state.items()}
    target = module.state_dict()
    report = LoadReport(str(path), digest)
    bn_prefixes = tuple(n + "." for n, m in module.named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm))
    new_state = {}
    for name, dst in target.items():
        if name not in state:
            report.missing.append(name)
            continue
        src = state[name]
        value = adapt_tensor(src, tuple(dst.shape), slice_1d=name.startswith(bn_prefixes))
        if value is None:
            report.mismatched[name] = (tuple(src.shape), tuple(dst.shape))
            continue
        if tuple(src.shape) == tuple(dst.shape):
            report.loaded.append(name)
        else:
            report.adapted[name] = (tuple(src.shape), tuple(dst.shape))
        new_state[name] = value.to(dst.dtype)
    report.unexpected = sorted(set(state) - set(target))
    if strict and (report.missing or report.mismatched):
        raise ValueError(f"strict load failed:\n{report}\nmissing: {report.missing}")
    module.load_state_dict(new_state, strict=False)
    return report


def load_backbone_weights(backbone: nn.Module, path: str | os.PathLike, sha256: str | None = None) -> LoadReport:
    """Load a torchvision-style ResNet checkpoint into a :class:`ResNetBackbone`."""
    return load_weights(backbone, path, sha256, key_map=torchvision_key_map)
