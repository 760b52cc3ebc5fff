"""Batch samplers: composition, seeds/epochs, DDP shares disjoint and covering."""
from __future__ import annotations

from collections import Counter

import pytest

from reidlib.data.samplers import (MaskReIDBatchSampler, RandomBatchSampler, RandomIdentitySampler,
                                   SiamesePairSampler, TripletBatchSampler)

# 12 identities with 1..8 images each (ids interleaved across the index range)
PIDS = [pid for n in range(8) for pid in range(12) if n < 1 + pid % 8]


def shares(make, world):
    out = []
    for rank in range(world):
        s = make(rank)
        s.set_epoch(3)
        out.append(list(s))
    return out


def test_pk_composition_and_replacement():
    s = RandomIdentitySampler(PIDS, num_identities=3, num_instances=4, seed=1)
    batches = list(s)
    assert len(batches) == len(s) > 0
    for b in batches:
        assert len(b) == 12
        counts = Counter(PIDS[i] for i in b)
        assert len(counts) == 3 and set(counts.values()) == {4}
    used = Counter(i for b in batches for i in b)
    small = [i for i, p in enumerate(PIDS) if PIDS.count(p) < 4]
    big = [i for i, p in enumerate(PIDS) if PIDS.count(p) >= 4]
    assert all(used[i] <= 1 for i in big)  # without replacement when enough images
    assert any(used[i] > 1 for i in small)  # with replacement when fewer than K


def test_epochs_and_seeds():
    a = RandomIdentitySampler(PIDS, 3, 2, seed=0)
    b = RandomIdentitySampler(PIDS, 3, 2, seed=0)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    assert list(RandomIdentitySampler(PIDS, 3, 2, seed=5)) != first


@pytest.mark.parametrize("world", [2, 3])
def test_ddp_shares_disjoint_covering_equal_len(world):
    def make(rank):
        return RandomIdentitySampler(PIDS, 2, 2, seed=7, num_replicas=world, rank=rank)
    parts = shares(make, world)
    ref = make(0)
    ref.set_epoch(3)
    glob = ref.global_batches()
    assert len({len(p) for p in parts}) == 1 and len(ref) == len(parts[0])
    flat = [tuple(b) for p in parts for b in p]
    assert len(set(flat)) == len(flat)  # disjoint
    assert sorted(flat) == sorted(tuple(b) for b in glob[:len(glob) - len(glob) % world])


def test_random_batches_cover_the_set_once_per_epoch():
    """MGCAM sec. 4.1 phase 1: batches drawn at random across the whole set (no identity structure)."""
    s = RandomBatchSampler(PIDS, batch_size=7, seed=2)
    batches = list(s)
    assert len(batches) == len(s) == len(PIDS) // 7 and all(len(b) == 7 for b in batches)
    flat = [i for b in batches for i in b]
    assert len(set(flat)) == len(flat) and set(flat) <= set(range(len(PIDS)))
    assert list(RandomBatchSampler(PIDS, batch_size=7, seed=2)) == batches
    s.set_epoch(1)
    assert list(s) != batches
    parts = shares(lambda r: RandomBatchSampler(PIDS, 5, seed=2, num_replicas=2, rank=r), 2)
    assert len(parts[0]) == len(parts[1]) and not {tuple(b) for b in parts[0]} & {tuple(b) for b in parts[1]}
    with pytest.raises(ValueError, match="exceeds the"):
        RandomBatchSampler(PIDS, batch_size=len(PIDS) + 1)


def test_maskreid_batch():
    s = MaskReIDBatchSampler(PIDS, num_positives=5, num_negatives=6, seed=0)
    batches = list(s)
    assert len(batches) == 12  # every identity once
    assert sorted(PIDS[b[0]] for b in batches) == list(range(12))
    for b in batches:
        assert len(b) == 11
        pos, neg = b[:5], b[5:]
        assert len({PIDS[i] for i in pos}) == 1
        neg_ids = [PIDS[i] for i in neg]
        assert len(set(neg_ids)) == 6 and PIDS[pos[0]] not in neg_ids
    with pytest.raises(ValueError, match="num_negatives"):
        MaskReIDBatchSampler(PIDS, 10, 54)
    with pytest.raises(ValueError, match="num_positives"):
        MaskReIDBatchSampler(PIDS, 0, 5)
    parts = shares(lambda r: MaskReIDBatchSampler(PIDS, 2, 3, num_replicas=2, rank=r), 2)
    assert len(parts[0]) == len(parts[1]) == 6
    assert {PIDS[b[0]] for p in parts for b in p} == set(range(12))


def test_siamese_pairs_balanced():
    s = SiamesePairSampler(PIDS, batch_size=4, seed=2)
    pos = neg = 0
    for b in s:
        assert len(b) == 8
        for t in range(4):
            p, g = b[t], b[4 + t]
            assert p != g
            same = PIDS[p] == PIDS[g]
            if t % 2 == 1:
                assert not same
            pos += same
            neg += not same
    assert pos > 0 and abs(pos - neg) <= len(s) * 4 // 2  # about half positive
    assert pos >= (len(s) * 4) // 2 - sum(1 for p in set(PIDS) if PIDS.count(p) == 1)


def test_triplet_batches_from_miner():
    a, p, n = list(range(10)), list(range(10, 20)), list(range(20, 30))
    s = TripletBatchSampler((a, p, n), batch_size=3, seed=0)
    batches = list(s)
    assert len(batches) == 3
    seen = set()
    for b in batches:
        for t in range(3):
            assert b[3 + t] == b[t] + 10 and b[6 + t] == b[t] + 20
            seen.add(b[t])
    assert len(seen) == 9
    s.set_triplets(([0], [1], [2]))
    assert list(s) == []
    parts = shares(lambda r: TripletBatchSampler((a, p, n), 2, num_replicas=2, rank=r), 2)
    assert len(parts[0]) == len(parts[1]) == 2
    assert not {b[0] for b in parts[0]} & {b[0] for b in parts[1]}


def test_bad_parameters():
    with pytest.raises(ValueError, match="num_instances"):
        RandomIdentitySampler(PIDS, 3, 0)
    with pytest.raises(ValueError, match="num_identities"):
        RandomIdentitySampler(PIDS, 20, 2)
    with pytest.raises(ValueError, match="rank"):
        RandomIdentitySampler(PIDS, 3, 2, num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="pids"):
        SiamesePairSampler([], 2)
    with pytest.raises(ValueError, match="same length"):
        TripletBatchSampler(([0, 1], [2], [3]))
