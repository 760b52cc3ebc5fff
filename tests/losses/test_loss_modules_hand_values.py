"""The loss modules against hand-computed values of the papers' equations.

Each value below is worked out on paper from the equation (the comment shows the
arithmetic), not by calling the implementation: dropping a term, flipping a sign or
moving the hinge of eq. 5 changes the number.
"""
from __future__ import annotations

import math

import pytest
import torch

from reidlib.losses import AttentionMSELoss, IDLoss, NPairLoss, RankingLoss, RegionTripletLoss

# unit vectors (scaled by 2, 5, 3, 4 to check the L2 normalisation): S = x_i^T x_j of the
# normalised rows: S01 = 0.6, S02 = 0.8, S03 = -1, S12 = 0.96, S13 = -0.6, S23 = -0.8
X = torch.tensor([[2.0, 0.0], [3.0, 4.0], [2.4, 1.8], [-4.0, 0.0]], dtype=torch.float64)
Y = torch.tensor([0, 0, 1, 2])  # anchors 0, 1 have a positive; 2, 3 are singletons (skipped)


def test_ranking_loss_eq5_hand_value():
    # MaskReID eq. 5, alpha 0.15, lambda 2: anchor 0: B+ = {1}, B- = {2, 3}, min S+ = 0.6
    #   log(1 + exp([0.8 - 0.6 + 0.15]_+) + exp([-1 - 0.6 + 0.15]_+)) + 2/2 (0.6 - 1)^2
    #   = log(1 + e^0.35 + e^0) + 0.16;  anchor 1: log(1 + e^(0.96 - 0.6 + 0.15) + e^0) + 0.16
    a0 = math.log(2 + math.exp(0.35)) + 0.16
    a1 = math.log(2 + math.exp(0.51)) + 0.16
    assert RankingLoss()(X, Y).item() == pytest.approx((a0 + a1) / 2, rel=1e-12)
    assert RankingLoss()(X, Y).item() == pytest.approx(1.4241378, abs=1e-6)  # (1.38938 + 1.45890) / 2
    # lambda = 0 drops the positive pull; alpha = 0 moves the hinge
    assert RankingLoss(lam=0.0)(X, Y).item() == pytest.approx((a0 + a1) / 2 - 0.16, rel=1e-12)
    b0, b1 = math.log(2 + math.exp(0.2)), math.log(2 + math.exp(0.36))
    assert RankingLoss(alpha=0.0)(X, Y).item() == pytest.approx((b0 + b1) / 2 + 0.16, rel=1e-12)
    # only anchor 1 (anchors=)
    assert RankingLoss()(X, Y, anchors=torch.tensor([1])).item() == pytest.approx(a1, rel=1e-12)


def test_full_ranking_loss_eq4_hand_value():
    # eq. 4: anchor 0: log(1 + e^(0.8 - 0.6) + e^(-1 - 0.6)); anchor 1: log(1 + e^(0.96 - 0.6) + e^(-0.6 - 0.6))
    want = (math.log(1 + math.exp(0.2) + math.exp(-1.6)) + math.log(1 + math.exp(0.36) + math.exp(-1.2))) / 2
    assert RankingLoss(full=True)(X, Y).item() == pytest.approx(want, rel=1e-12)


def test_full_ranking_loss_sums_over_every_positive():
    # two positives: anchor 0 with B+ = {1, 2}, B- = {3}:
    # log(1 + e^(S03 - S01) + e^(S03 - S02)) = log(1 + e^(-1.6) + e^(-1.8))
    y = torch.tensor([0, 0, 0, 1])
    got = RankingLoss(full=True)(X, y, anchors=torch.tensor([0])).item()
    assert got == pytest.approx(math.log(1 + math.exp(-1.6) + math.exp(-1.8)), rel=1e-12)


def test_npair_loss_eq3_hand_value():
    # MaskReID eq. 3: anchor 0, x+ = 1: log(1 + e^(0.8 - 0.6) + e^(-1 - 0.6));
    # anchor 1, x+ = 0: log(1 + e^(0.96 - 0.6) + e^(-0.6 - 0.6)) (same as eq. 4 with one positive)
    want = (math.log(1 + math.exp(0.2) + math.exp(-1.6)) + math.log(1 + math.exp(0.36) + math.exp(-1.2))) / 2
    assert NPairLoss()(X, Y).item() == pytest.approx(want, rel=1e-12)
    # an explicit positive: anchor 0 with x+ = 1 only (-1 = no positive for the others)
    pos = torch.tensor([1, -1, -1, -1])
    assert NPairLoss()(X, Y, pos).item() == pytest.approx(math.log(1 + math.exp(0.2) + math.exp(-1.6)), rel=1e-12)
    # without normalisation S = raw dot products: anchor 0: S01 = 6, S02 = 4.8, S03 = -8
    raw = math.log(1 + math.exp(4.8 - 6) + math.exp(-8 - 6))
    assert NPairLoss(normalize=False)(X, Y, pos).item() == pytest.approx(raw, rel=1e-12)


def test_id_loss_module_averages_parts_hand_value():
    # MPM-LTL eq. 3: part 1 logits (0, ln 3) -> p(1) = 3/4; part 2 (ln 2, 0) -> p(1) = 1/3;
    # (-ln 3/4 - ln 1/3) / 2 = ln(4) / 2 = ln 2
    z1 = torch.tensor([[0.0, math.log(3.0)]], dtype=torch.float64)
    z2 = torch.tensor([[math.log(2.0), 0.0]], dtype=torch.float64)
    y = torch.tensor([1])
    assert IDLoss()([z1, z2], y).item() == pytest.approx(math.log(2.0), rel=1e-12)
    assert IDLoss()(torch.stack([z1, z2], 1), y).item() == pytest.approx(math.log(2.0), rel=1e-12)
    # mean over images vs the literal sum over images (two copies of the image)
    zz1, zz2, yy = z1.repeat(2, 1), z2.repeat(2, 1), y.repeat(2)
    assert IDLoss()([zz1, zz2], yy).item() == pytest.approx(math.log(2.0), rel=1e-12)
    assert IDLoss(reduction="sum")([zz1, zz2], yy).item() == pytest.approx(2 * math.log(2.0), rel=1e-12)
    # label smoothing 0.5 over 2 classes: target (1/4, 3/4) -> part 1: -(ln 1/4)/4 - 3 ln(3/4)/4
    s1 = -(math.log(0.25) / 4 + 3 * math.log(0.75) / 4)
    s2 = -(math.log(2 / 3) / 4 + 3 * math.log(1 / 3) / 4)
    assert IDLoss(label_smoothing=0.5)([z1, z2], y).item() == pytest.approx((s1 + s2) / 2, rel=1e-12)


def test_region_triplet_module_hand_value():
    # MGCAM eq. 6, m = 10: image 0: ||(0,0)-(1,2)||^2 = 5, [10 - ||(0,0)-(3,0)||^2]_+ = 1 -> 6;
    # image 1: 0 + [10 - 16]_+ = 0; mean 3.   m = 20: (5 + 11 + 0 + 4) / 2 = 10
    full = torch.zeros(2, 2)
    body = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    bgd = torch.tensor([[3.0, 0.0], [0.0, 4.0]])
    assert RegionTripletLoss()(full, body, bgd).item() == pytest.approx(3.0)
    assert RegionTripletLoss(margin=20.0)(full, body, bgd).item() == pytest.approx(10.0)
    assert RegionTripletLoss(reduction="sum")(full, body, bgd).item() == pytest.approx(6.0)


def test_attention_mse_module_hand_value():
    # MGCAM eq. 5: mask 2 x 4 -> attention size 1 x 2 by area: left block 3/4 foreground,
    # right block 2/4; Phi+ = (0.25, 1.0): (0.75 - 0.25)^2 + (0.5 - 1)^2 = 0.5 per image
    att = torch.tensor([[[[0.25, 1.0]]]])
    mask = torch.tensor([[[[1.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0]]]])
    assert AttentionMSELoss()(att, mask).item() == pytest.approx(0.5)
    assert AttentionMSELoss(reduction="mean")(att, mask).item() == pytest.approx(0.25)
    # nearest resize samples pixels (0, 0) and (0, 2): (1 - 0.25)^2 + (0 - 1)^2
    assert AttentionMSELoss(resize="nearest")(att, mask).item() == pytest.approx(0.5625 + 1.0)
    # batch mean of per-image sums: a second image with a perfect attention adds 0
    att2 = torch.cat([att, torch.tensor([[[[0.75, 0.5]]]])])
    assert AttentionMSELoss()(att2, mask.repeat(2, 1, 1, 1)).item() == pytest.approx(0.25)
