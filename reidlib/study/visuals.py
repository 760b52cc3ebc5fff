"""Figures of the data and of the models' mask handling (notebook ``00_data_and_masks``).

* :func:`mask_pooling_figure` — MPM-LTL Fig. 5: a mask after the stem's two
  mask-pooling steps (7x7 stride 2, then 3x3 stride 2) at several thresholds.
* :func:`part_grid_figure` — MPM-LTL Fig. 6: the k = 3, 6, 12 (6x2) and 18 (6x3)
  part grids drawn over an image.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from reidlib.models.mask_pooling import mask_pool2d
from reidlib.models.mpm import part_grid
from reidlib.study.figures import set_style


def stem_mask_pooling(mask: np.ndarray, threshold: float) -> np.ndarray:
    """The MPM stem's mask channel: MaskPool2d(7, 2, 3) then MaskPool2d(3, 2, 1) (MPM-LTL III-C).

    ``mask``: ``[H, W]`` binary; returns ``[H/4, W/4]`` float in {0, 1}.
    """
    m = torch.as_tensor(np.asarray(mask, dtype=np.float32))[None, None]
    m = mask_pool2d(m, 7, 2, 3, threshold=threshold)
    m = mask_pool2d(m, 3, 2, 1, threshold=threshold)
    return m[0, 0].numpy()


def mask_pooling_figure(image: np.ndarray, mask: np.ndarray, thresholds: Sequence[float] = (0.0, 0.4, 0.7, 1.0)):
    """Image, mask, and the pooled mask at each threshold, side by side."""
    import matplotlib.pyplot as plt

    set_style()
    n = 2 + len(thresholds)
    fig, axes = plt.subplots(1, n, figsize=(1.3 * n, 2.6))
    axes[0].imshow(image)
    axes[0].set_title("image")
    axes[1].imshow(mask, cmap="gray", vmin=0, vmax=1)
    axes[1].set_title("mask")
    for ax, t in zip(axes[2:], thresholds):
        ax.imshow(stem_mask_pooling(mask, t), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"t = {t:g}")
    for ax in axes:
        ax.axis("off")
    fig.suptitle("mask after the stem's mask pooling (7x7 stride 2, then 3x3 stride 2) at threshold t; "
                 "white = person", fontsize=8)
    fig.tight_layout()
    return fig


def part_grid_figure(image: np.ndarray, part_counts: Sequence[int] = (3, 6, 12, 18)):
    """The image with each part grid drawn over it (rows x columns of MPM's part head)."""
    import matplotlib.pyplot as plt

    set_style()
    h, w = image.shape[:2]
    fig, axes = plt.subplots(1, len(part_counts), figsize=(1.4 * len(part_counts), 2.6))
    for ax, k in zip(np.atleast_1d(axes), part_counts):
        rows, cols = part_grid(k)
        ax.imshow(image)
        for r in range(1, rows):
            ax.axhline(r * h / rows - 0.5, color="yellow", lw=1)
        for c in range(1, cols):
            ax.axvline(c * w / cols - 0.5, color="yellow", lw=1)
        ax.set_title(f"k = {k} ({rows}x{cols})")
        ax.axis("off")
    fig.tight_layout()
    return fig
