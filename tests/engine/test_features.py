"""Feature extraction (batched, flip averaging) and protocols vs brute force."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine_tiny import TinyData, TinyNet, brute_rank, distance
from reidlib.data.transforms import build_transforms
from reidlib.engine.features import evaluate_protocols, extract_features, pool_by_identity


def test_extract_batched_equals_one_by_one_and_flip():
    torch.manual_seed(0)
    data, net, tf = TinyData(), TinyNet().eval(), build_transforms((16, 8), train=False)
    f = extract_features(net, data, batch_size=5, transform=tf)
    ff = extract_features(net, data, batch_size=7, transform=tf, flip=True)
    assert net.training is False
    for i in (0, 13, 23):
        x = tf(data.get_batch([i]))["image"]
        with torch.no_grad():
            a, b = net(x)["features"][0], net(x.flip(-1))["features"][0]
        torch.testing.assert_close(f[i], a)
        torch.testing.assert_close(ff[i], (a + b) / 2)
    with pytest.raises(ValueError, match="batch_size"):
        extract_features(net, data, batch_size=0)


def test_pool_by_identity_by_hand():
    f = torch.tensor([[0.0, 2], [2, 4], [5, 5], [1, 1]])
    pids, cams = np.array([1, 1, 1, 2]), np.array([0, 0, 1, 0])
    pooled, p, c = pool_by_identity(f, pids, cams)
    assert p.tolist() == [1, 1, 2] and c.tolist() == [0, 1, 0]
    assert pooled.tolist() == [[1.0, 3.0], [5, 5], [1, 1]]
    assert pool_by_identity(f, pids, cams, "max")[0][0].tolist() == [2.0, 4.0]


def test_protocols_match_brute_force():
    g = torch.Generator().manual_seed(0)
    qf, gf = torch.randn(6, 4, generator=g), torch.randn(10, 4, generator=g)
    qp, gp = np.array([0, 0, 1, 1, 2, 2]), np.arange(10) % 3
    qc, gc = np.array([0, 1, 0, 1, 0, 1]), np.arange(10) % 2
    out = evaluate_protocols(qf, gf, qp, gp, qc, gc, protocols=("sq", "mq", "sq+rr"),
                             rerank=lambda a, b: distance(a, b) * 2,
                             distance_fn=distance, rank_fn=brute_rank)
    cmc, m_ap = brute_rank(distance(qf, gf), qp, gp, qc, gc)
    assert out["sq"] == pytest.approx({"rank1": 100 * cmc[0], "rank5": 100 * cmc[4],
                                       "rank10": 100 * cmc[9], "mAP": 100 * m_ap})
    assert out["sq+rr"] == out["sq"]  # monotone re-ranking keeps the order
    pf, pp, pc = pool_by_identity(qf, qp, qc)
    assert out["mq"]["mAP"] == pytest.approx(100 * brute_rank(distance(pf, gf), pp, gp, pc, gc)[1])
    with pytest.raises(ValueError, match="valid: sq, mq, sq\\+rr, mq\\+rr"):
        evaluate_protocols(qf, gf, qp, gp, qc, gc, protocols=("xq",))
    with pytest.raises(ValueError, match="rerank"):
        evaluate_protocols(qf, gf, qp, gp, qc, gc, protocols=("sq+rr",))
