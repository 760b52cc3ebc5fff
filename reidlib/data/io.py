"""Image, mask and part-map I/O with errors that name the file and the fix.

Arrays returned (numpy, ``uint8``):

* :func:`read_image` -> ``[H, W, 3]`` RGB, 0..255
* :func:`read_mask`  -> ``[H, W]`` in ``{0, 1}`` (foreground where the stored grey
  value is ``> 127``; masks are stored 0 / 255, see ``reidlib.data.base``)
* :func:`read_parts` -> ``[H, W]`` labels ``0..num_parts-1`` (SemParts: 0 background,
  1 head, 2 upper body, 3 lower body)

:func:`write_png_atomic` writes a PNG to a temporary file in the target folder and
then ``os.replace``-s it, so an interrupted run never leaves a half-written file
that a later run would take as done; the file gets the user's umask (:func:`umask_mode`),
not ``mkstemp``'s 0600.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

__all__ = ["ImageReadError", "read_image", "read_mask", "read_parts", "umask_mode", "write_png_atomic"]


def umask_mode() -> int:
    """``0o666 & ~umask``: the mode ``open()`` would give a new file (``mkstemp`` gives 0600).
    Read without changing the umask for longer than one call pair."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


class ImageReadError(ValueError):
    """An image file exists but cannot be decoded, or its content is not as expected."""


def _open(path: str | os.PathLike, what: str) -> Image.Image:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{what} file not found: {p}")
    try:
        img = Image.open(p)
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(
            f"cannot read {what} {p}: {exc}. The file is corrupt or not an image; "
            "re-extract or re-download it."
        ) from exc
    return img


def _check_hw(arr: np.ndarray, expected_hw: tuple[int, int] | None, path: str | os.PathLike,
              what: str) -> None:
    if expected_hw is None:
        return
    exp = (int(expected_hw[0]), int(expected_hw[1]))
    if tuple(arr.shape[:2]) != exp:
        raise ImageReadError(
            f"{what} {path} has size HxW={arr.shape[0]}x{arr.shape[1]} but its image is "
            f"{exp[0]}x{exp[1]}. Regenerate the {what} for this image (reidlib.masks) or "
            "resize it with nearest-neighbour interpolation to the image size."
        )


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image as RGB ``uint8 [H, W, 3]`` (grey/palette/RGBA images are converted)."""
    img = _open(path, "image")
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def read_mask(path: str | os.PathLike, expected_hw: tuple[int, int] | None = None) -> np.ndarray:
    """Read a binary person mask as ``uint8 [H, W]`` in ``{0, 1}`` (grey ``> 127`` -> 1).

    ``expected_hw`` (the image's ``(H, W)``) makes a size mismatch an error.
    """
    img = _open(path, "mask")
    arr = np.asarray(img.convert("L"))
    _check_hw(arr, expected_hw, path, "mask")
    return (arr > 127).astype(np.uint8)


def read_parts(path: str | os.PathLike, expected_hw: tuple[int, int] | None = None,
               num_parts: int = 4) -> np.ndarray:
    """Read a body-part label map as ``uint8 [H, W]`` with labels ``0..num_parts-1``.

    Labels are stored as raw grey values (not scaled); a value ``>= num_parts``
    is an error (it usually means a 0/255 mask was saved where parts belong).
    """
    if num_parts < 1 or num_parts > 256:
        raise ValueError(f"num_parts must be in 1..256, got {num_parts}")
    img = _open(path, "part map")
    if img.mode not in ("L", "P", "I", "I;16"):
        raise ImageReadError(
            f"part map {path} has mode {img.mode!r}; expected a single-channel label image "
            "(mode 'L' or 'P') with values 0..3"
        )
    arr = np.asarray(img)
    _check_hw(arr, expected_hw, path, "part map")
    if arr.size and (int(arr.max()) >= num_parts or int(arr.min()) < 0):
        bad = sorted(int(v) for v in np.unique(arr) if v >= num_parts or v < 0)[:5]
        raise ImageReadError(
            f"part map {path} has labels {bad} outside 0..{num_parts - 1} "
            "(0 background, 1 head, 2 upper, 3 lower); regenerate it with reidlib.masks"
        )
    return arr.astype(np.uint8)


def write_png_atomic(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` (``uint8 [H, W]`` or ``[H, W, 3]``) as a PNG via tmp file + ``os.replace``.

    Parent folders are created. Returns the final path.
    """
    arr = np.asarray(array)
    if arr.dtype != np.uint8:
        raise ValueError(f"write_png_atomic({path}): array must be uint8, got {arr.dtype}")
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (1, 3, 4))):
        raise ValueError(
            f"write_png_atomic({path}): expected shape [H, W] or [H, W, 3|4], got {arr.shape}"
        )
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    dst = Path(path)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.stem}.", suffix=".tmp", dir=dst.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            Image.fromarray(arr).save(fh, format="PNG")
        os.chmod(tmp, umask_mode())  # the user's umask, like any other written file
        os.replace(tmp, dst)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return dst
