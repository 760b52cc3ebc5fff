"""MaskPool2d (MPM-LTL III-C) against a brute-force loop over windows."""
import pytest
import torch
import torch.nn.functional as F

from reidlib.models.mask_pooling import MaskPool2d

DRAWING = """
..........
...##.....
..####....
..####....
.######...
..####..#.
..#..#....
..#..#....
.##..##...
..........
..........
"""


def hand_mask() -> torch.Tensor:
    rows = [r for r in DRAWING.strip().splitlines()]
    return torch.tensor([[1.0 if c == "#" else 0.0 for c in r] for r in rows]).view(1, 1, len(rows), -1)


def brute_force(mask, k, s, p, t, include_pad=True):
    m = mask[0, 0].tolist()
    h, w = len(m), len(m[0])
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    out = torch.zeros(1, 1, oh, ow)
    for i in range(oh):
        for j in range(ow):
            count, n = 0, 0
            for y in range(i * s - p, i * s - p + k):
                for x in range(j * s - p, j * s - p + k):
                    inside = 0 <= y < h and 0 <= x < w
                    n += 1 if (inside or include_pad) else 0
                    count += m[y][x] if inside else 0
            out[0, 0, i, j] = 1.0 if count / n > t else 0.0
    return out


@pytest.mark.parametrize("threshold", [0.0, 0.5, 1.0, 0.4, 0.6])
@pytest.mark.parametrize("k,s,p", [(7, 2, 3), (3, 2, 1), (2, 2, 0), (3, 1, 1)])
@pytest.mark.parametrize("include_pad", [True, False])
def test_matches_brute_force(threshold, k, s, p, include_pad):
    mask = hand_mask()
    got = MaskPool2d(k, s, p, threshold, count_include_pad=include_pad)(mask)
    assert torch.equal(got, brute_force(mask, k, s, p, threshold, include_pad))


def test_edge_cases_zero_is_max_pool_and_one_is_empty():
    mask = hand_mask()
    assert torch.equal(MaskPool2d(3, 2, 1, 0.0)(mask), F.max_pool2d(mask, 3, 2, 1))
    assert MaskPool2d(3, 2, 1, 1.0)(mask).sum() == 0
    assert MaskPool2d(2, 2, 0, 1.0)(torch.ones(1, 1, 4, 4)).sum() == 0  # even a full window
    assert MaskPool2d(2, 2, 0, 0.99)(torch.ones(1, 1, 4, 4)).sum() == 4


def test_exceeds_is_strict():
    mask = torch.tensor([[1.0, 1.0], [0.0, 0.0]]).view(1, 1, 2, 2)  # share exactly 0.5
    assert MaskPool2d(2, 2, 0, 0.5)(mask).item() == 0.0
    assert MaskPool2d(2, 2, 0, 0.49)(mask).item() == 1.0


def test_output_binary_and_dtype():
    mask = (torch.rand(2, 1, 17, 9, generator=torch.Generator().manual_seed(0)) > 0.5).double()
    out = MaskPool2d(7, 2, 3, 0.5)(mask)
    assert out.dtype == torch.float64 and set(out.unique().tolist()) <= {0.0, 1.0}
    assert out.shape == (2, 1, 9, 5)


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_threshold_out_of_range(threshold):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        MaskPool2d(3, 2, 1, threshold)


def test_bad_geometry():
    with pytest.raises(ValueError, match="kernel_size"):
        MaskPool2d(0)
    with pytest.raises(ValueError, match="padding"):
        MaskPool2d(3, 2, 2)
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        MaskPool2d(3, 2, 1)(torch.ones(5, 5))


def test_one_default_threshold_everywhere():
    # MPM-LTL Fig. 7: 0.4 is the best threshold on Market; every signature and the
    # mpm_ltl recipe share reidlib.models.mask_pooling.DEFAULT_THRESHOLD (old: 0.5 / 0.4).
    import inspect

    from reidlib.engine.recipes import EXPERIMENTS
    from reidlib.models.ide import IDE
    from reidlib.models.inputs import InputTrunk, MaskChannelStem
    from reidlib.models.mask_pooling import DEFAULT_THRESHOLD, mask_pool2d
    from reidlib.models.mpm import MPM, MPMStem

    assert DEFAULT_THRESHOLD == 0.4
    for fn in (mask_pool2d, MaskPool2d, MaskChannelStem, InputTrunk, MPMStem, MPM, IDE):
        assert inspect.signature(fn).parameters["threshold"].default == DEFAULT_THRESHOLD, fn
    assert EXPERIMENTS["mpm_ltl"]["model"]["kwargs"]["threshold"] == DEFAULT_THRESHOLD
    assert MPM(3).trunk.backbone.stem.mask_pool1.threshold == DEFAULT_THRESHOLD
    # a window 45 % foreground is foreground at the default (0.4) and was not at 0.5
    window = torch.zeros(1, 1, 4, 5)
    window.view(-1)[:9] = 1.0
    assert MaskPool2d((4, 5))(window).item() == 1.0
