"""RandomTripletMiner and MaskGuidedTriHardMiner against hand-built banks with known answers."""
from __future__ import annotations

import torch

from reidlib.miners import MaskGuidedTriHardMiner, RandomTripletMiner

# MPM-LTL algorithm 1 on a 1-d bank; anchor 0 (pid 0, camera 0, f = 0), d = |f|:
#   idx  pid cam   f    mask cells   role for anchor 0
#    1    0   1   5.0      3         positive, farthest
#    2    0   1   3.0      1         positive
#    3    0   2   1.0      4         positive, nearest (cut by the distance filter at num_far=2)
#    4    0   0  10.0      4         same camera: not a positive
#    5    1   0   2.9      1         negative
#    6    1   0   6.0      4         negative, farthest (cut by the distance filter)
#    7    2   0   0.5      3         negative, nearest
#    8    1   1   0.2      4         other camera: not a negative
PIDS = torch.tensor([0, 0, 0, 0, 0, 1, 1, 2, 1])
CAMS = torch.tensor([0, 1, 1, 2, 0, 0, 0, 0, 1])
FEATS = torch.tensor([0.0, 5.0, 3.0, 1.0, 10.0, 2.9, 6.0, 0.5, 0.2], dtype=torch.float64)[:, None]
CELLS = [4, 3, 1, 4, 4, 1, 4, 3, 4]
MASKS = torch.stack([torch.tensor([1.0] * c + [0.0] * (4 - c)).view(2, 2) for c in CELLS])


def _anchor0(miner):
    a, p, n = miner(FEATS, PIDS, CAMS, MASKS)
    return {int(x): (int(y), int(z)) for x, y, z in zip(a, p, n)}[0]


def test_trihard_keeps_mask_overlap_after_the_distance_filter():
    # step 2 (num_far=2): P = {1, 2}, N = {7, 5}; step 3 (num_mask=1): the largest overlap
    # of each, 1 (3 cells) and 7 (3 cells) -> (1, 7). Without the distance filter it would be
    # (3, 6) (4 cells each); without the camera rules 4 / 8; without the mask filter (2, 5).
    assert _anchor0(MaskGuidedTriHardMiner(num_far=2, num_mask=1)) == (1, 7)


def test_trihard_picks_the_pair_with_the_smallest_distance_gap():
    # step 4 over P = {1, 2} x N = {7, 5}: |0.5-5| = 4.5, |2.9-5| = 2.1, |0.5-3| = 2.5, |2.9-3| = 0.1
    assert _anchor0(MaskGuidedTriHardMiner(num_far=2, num_mask=2)) == (2, 5)
    # num_far=3 lets positive 3 (d = 1) and negative 6 (d = 6) in; num_mask=1 keeps the
    # 4-cell ones: (3, 6); the largest gap would have been chosen by an argmax instead
    assert _anchor0(MaskGuidedTriHardMiner(num_far=3, num_mask=1)) == (3, 6)
    # squared distances keep this order here: (2, 5) again (|8.41 - 9| is the smallest gap)
    assert _anchor0(MaskGuidedTriHardMiner(num_far=2, num_mask=2, squared=True)) == (2, 5)


def test_random_miner_draws_every_legal_choice_uniformly():
    labels = torch.tensor([0, 0, 0, 1, 1, 2])
    miner = RandomTripletMiner(seed=5)
    counts_p, counts_n, draws = {1: 0, 2: 0}, {3: 0, 4: 0, 5: 0}, 3000
    for _ in range(draws):
        a, p, n = miner(None, labels)
        assert a.tolist() == [0, 1, 2, 3, 4]  # label 2 is a singleton: no positive
        row = a.tolist().index(0)
        counts_p[int(p[row])] += 1
        counts_n[int(n[row])] += 1
    # anchor 0: positives {1, 2} with probability 1/2 each, negatives {3, 4, 5} 1/3 each
    # (3 sigma of a binomial over 3000 draws is about 0.027)
    assert all(abs(c / draws - 1 / 2) < 0.03 for c in counts_p.values()), counts_p
    assert all(abs(c / draws - 1 / 3) < 0.03 for c in counts_n.values()), counts_n


def test_random_miner_seed_and_generator_state():
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 2, 3, 3])
    m1, m2 = RandomTripletMiner(seed=1), RandomTripletMiner(seed=1)
    first = [m1(None, labels) for _ in range(3)]
    second = [m2(torch.randn(9, 4), labels) for _ in range(3)]  # features are not used
    for u, v in zip(first, second):
        assert all(torch.equal(x, y) for x, y in zip(u, v))
    # the miner's generator advances: later calls draw new triplets
    assert any(not torch.equal(first[0][k], first[i][k]) for i in (1, 2) for k in (1, 2))
    a, p, n = first[0]
    assert (labels[a] == labels[p]).all() and (a != p).all() and (labels[a] != labels[n]).all()
