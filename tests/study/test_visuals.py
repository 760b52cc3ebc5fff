import matplotlib

matplotlib.use("Agg")
import numpy as np

from reidlib.study.visuals import mask_pooling_figure, part_grid_figure, stem_mask_pooling


def test_stem_mask_pooling_shapes_and_thresholds() -> None:
    mask = np.zeros((32, 16), np.uint8)
    mask[4:28, 4:12] = 1
    low, high = stem_mask_pooling(mask, 0.0), stem_mask_pooling(mask, 1.0)
    assert low.shape == (8, 4)
    assert set(np.unique(low)) <= {0.0, 1.0}
    assert high.sum() == 0            # nothing exceeds a ratio of 1
    assert low.sum() >= stem_mask_pooling(mask, 0.5).sum()  # higher threshold, fewer windows


def test_figures_build() -> None:
    img = np.zeros((32, 16, 3), np.uint8)
    mask = np.ones((32, 16), np.uint8)
    assert len(mask_pooling_figure(img, mask, (0.0, 0.5)).axes) == 4
    assert len(part_grid_figure(img, (3, 12)).axes) == 2
