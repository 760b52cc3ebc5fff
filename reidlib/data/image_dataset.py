"""Torch dataset over re-ID records (``reidlib/data/base.py``) with an in-memory cache.

Each item is a dict::

    image  uint8 [3,H,W]   RGB resized to ``size`` (bilinear)
    mask   uint8 [1,H,W]   0/1 person mask (nearest) - zeros when the record has none
    parts  uint8 [1,H,W]   part labels 0..3 (nearest) - zeros when the record has none
    pid    int             training label (contiguous 0..N-1 via ``label_map``) or raw pid
    camid  int             0-based camera
    index  int             position in ``records``

``get_batch(indices)`` returns the same keys stacked (``[B,...]`` tensors), which is
what :mod:`reidlib.data.transforms` and the training loop consume.

``cache=True`` decodes every image once into one uint8 tensor (measured: about
300 MB for 13k images at 128x64, ~10x faster than decoding per epoch); use it for
the small synthetic/CUHK01 sets and ``cache=False`` for big ones.

Decoded caches are also kept per process (:data:`DECODED`, the last
:data:`DECODED_MAX` sets, keyed by the files and the size), so the many runs of
one notebook decode each split once; :func:`clear_decoded` empties it.

``masks``: ``"optional"`` (zeros for records without a mask, ``has_mask`` False),
``"required"`` (error naming the first record without one: for models that need
the mask, e.g. MPM-LTL / MGCAM), or ``"none"`` (never read masks/parts).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

Record = dict[str, Any]
MASK_MODES = ("optional", "required", "none")
#: process-wide decoded caches: key (files, size, masks mode) -> tensors (never mutated)
DECODED: dict[tuple, dict[str, torch.Tensor]] = {}
DECODED_MAX = 16


def clear_decoded() -> None:
    """Forget the process-wide decoded caches."""
    DECODED.clear()


def _load(path: str, size: tuple[int, int], mode: str,
          like: tuple[str, tuple[int, int]] | None = None) -> tuple[np.ndarray, tuple[int, int]]:
    """Decode ``path`` as RGB (``mode='RGB'``) or a label map (``'L'``), resized to (H, W);
    returns the array and the file's own (W, H). ``like=(image_path, (W, H))``: a mask / part
    map whose stored size differs from its image's is an :class:`~reidlib.data.io.ImageReadError`
    naming both files (never stretched silently)."""
    try:
        with Image.open(path) as im:
            own = im.size
            if like is not None and own != like[1]:
                from .io import ImageReadError

                raise ImageReadError(
                    f"{path} is {own[1]}x{own[0]} (HxW) but its image {like[0]} is {like[1][1]}x{like[1][0]}: "
                    "a mask / part map must have its image's size; regenerate it "
                    "(python -m reidlib masks) or fix the record")
            im = im.convert(mode)
            resample = Image.BILINEAR if mode == "RGB" else Image.NEAREST
            if im.size != (size[1], size[0]):
                im = im.resize((size[1], size[0]), resample)
            arr = np.asarray(im, dtype=np.uint8)
    except FileNotFoundError:
        raise FileNotFoundError(f"image file not found: {path} (re-create the data folder or fix the record)") from None
    except ValueError:
        raise
    except OSError as exc:
        raise OSError(f"cannot decode {path}: {exc}") from exc
    return (arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)), own


class ImageDataset(Dataset):
    """Records -> tensors, with an optional decode-once uint8 cache.

    Args:
        records: list of record dicts (``path, pid, camid, mask_path, parts_path``).
        size: (H, W) every image/mask/part map is resized to at load time.
        label_map: pid -> label (e.g. :func:`reidlib.data.base.relabel` of the train split);
            ``None`` keeps raw pids (query/gallery).
        masks: ``"optional" | "required" | "none"`` (see module docstring).
        cache: decode everything on construction into memory.
    """

    def __init__(self, records: Sequence[Record], size: Sequence[int] = (128, 64),
                 label_map: Mapping[int, int] | None = None, masks: str = "optional",
                 cache: bool = True):
        if masks not in MASK_MODES:
            raise ValueError(f"unknown masks mode {masks!r}; valid: {', '.join(MASK_MODES)}")
        if len(size) != 2 or min(size) <= 0:
            raise ValueError(f"size must be (H, W) with positive ints, got {size}")
        if len(records) == 0:
            raise ValueError("ImageDataset got no records: check the split / data folder")
        self.records = list(records)
        self.size = (int(size[0]), int(size[1]))
        self.masks = masks
        self.label_map = dict(label_map) if label_map is not None else None
        if masks == "required":
            missing = [r["path"] for r in self.records if not r.get("mask_path")]
            if missing:
                raise FileNotFoundError(
                    f"{len(missing)} records have no mask (first: {missing[0]}); this model needs "
                    "masks: run `python -m reidlib masks` for the data set, or set data.masks='extracted' "
                    "to compute them with a segmenter")
        if self.label_map is not None:
            unknown = {r["pid"] for r in self.records} - set(self.label_map)
            if unknown:
                raise KeyError(f"pids {sorted(unknown)[:5]} not in label_map: build it from these records")
        self.pids = torch.tensor([self._label(r) for r in self.records], dtype=torch.long)
        self.camids = torch.tensor([int(r["camid"]) for r in self.records], dtype=torch.long)
        self.has_mask = masks != "none" and any(r.get("mask_path") for r in self.records)
        self.has_parts = masks != "none" and any(r.get("parts_path") for r in self.records)
        self._cache: dict[str, torch.Tensor] | None = None
        if cache:
            key = (tuple((r["path"], r.get("mask_path"), r.get("parts_path")) for r in self.records),
                   self.size, masks != "none")
            if key not in DECODED:
                while len(DECODED) >= DECODED_MAX:
                    DECODED.pop(next(iter(DECODED)))
                DECODED[key] = self._stack([self._decode(i) for i in range(len(self.records))])
            self._cache = dict(DECODED[key])  # shallow copy: a mask source may replace "mask"

    def _label(self, rec: Record) -> int:
        return self.label_map[rec["pid"]] if self.label_map is not None else int(rec["pid"])

    def __len__(self) -> int:
        return len(self.records)

    def _decode(self, i: int) -> dict[str, torch.Tensor]:
        rec = self.records[i]
        h, w = self.size
        image, own = _load(rec["path"], self.size, "RGB")
        out = {"image": torch.from_numpy(image.copy())}
        mask = torch.zeros(1, h, w, dtype=torch.uint8)
        parts = torch.zeros(1, h, w, dtype=torch.uint8)
        if self.masks != "none":
            if rec.get("mask_path"):
                m, _ = _load(rec["mask_path"], self.size, "L", like=(rec["path"], own))
                mask = (torch.from_numpy(m.copy()) > 127).to(torch.uint8)
            if rec.get("parts_path"):
                parts = torch.from_numpy(_load(rec["parts_path"], self.size, "L", like=(rec["path"], own))[0].copy())
        out["mask"], out["parts"] = mask, parts
        return out

    @staticmethod
    def _stack(items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        return {k: torch.stack([it[k] for it in items]) for k in items[0]}

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} out of range for ImageDataset of {len(self)} records")
        i = i % len(self)
        item: dict[str, Any]
        if self._cache is not None:
            item = {k: v[i] for k, v in self._cache.items()}
        else:
            item = dict(self._decode(i))
        item.update(pid=int(self.pids[i]), camid=int(self.camids[i]), index=i)
        return item

    def get_batch(self, indices: Sequence[int]) -> dict[str, Any]:
        """Stacked batch for ``indices``: tensors ``[B,...]`` plus ``pid``, ``camid``, ``index``."""
        idx = torch.as_tensor(list(indices), dtype=torch.long)
        if idx.numel() == 0:
            raise ValueError("get_batch got no indices")
        if int(idx.min()) < 0 or int(idx.max()) >= len(self):
            raise IndexError(f"batch indices out of range 0..{len(self) - 1}")
        if self._cache is not None:
            batch: dict[str, Any] = {k: v[idx] for k, v in self._cache.items()}
        else:
            batch = self._stack([self._decode(int(i)) for i in idx])
        if not self.has_mask:
            batch["mask"] = None
        if not self.has_parts:
            batch["parts"] = None
        batch.update(pid=self.pids[idx], camid=self.camids[idx], index=idx)
        return batch
