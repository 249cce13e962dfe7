"""Offline miners against brute force; the triplet loss on hand-made cases; online batch-hard mining."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from models.identity.encoder import triplet_loss
from synth.identity.triplets import mine, pairwise_squared_distances, triplet_table, triplets_from_table

MARGIN = 0.3


def random_embeddings(n: int = 30, identities: int = 4, dim: int = 8, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, identities, n)
    emb = rng.normal(size=(n, dim)) + 1.5 * rng.normal(size=(identities, dim))[labels]
    return emb / np.linalg.norm(emb, axis=1, keepdims=True), labels


def brute_force(emb, labels, strategy, margin):
    """Every (a, p, n) the strategy accepts, by three nested loops over the plain definition."""
    d = lambda i, j: float(((emb[i] - emb[j]) ** 2).sum())  # noqa: E731
    found = set()
    for a, p, n in itertools.product(range(len(labels)), repeat=3):
        if a == p or labels[a] != labels[p] or labels[a] == labels[n]:
            continue
        ap, an = d(a, p), d(a, n)
        if (
            strategy == "random"
            or (strategy == "semihard" and ap < an < ap + margin)
            or (strategy == "hard" and an < ap)
        ):
            found.add((a, p, n))
    return found


@pytest.mark.parametrize("strategy", ["random", "semihard", "hard"])
def test_miner_finds_exactly_the_brute_force_triplets(strategy):
    emb, labels = random_embeddings()
    got = mine(emb, labels, strategy, MARGIN, per_anchor=None, rng=np.random.default_rng(0))
    assert set(zip(got.anchor.tolist(), got.positive.tolist(), got.negative.tolist())) == brute_force(
        emb, labels, strategy, MARGIN
    )
    assert len(got) == len(brute_force(emb, labels, strategy, MARGIN))  # no duplicates


@pytest.mark.parametrize("strategy", ["semihard", "hard"])
def test_per_anchor_sampling_is_a_subset_and_deterministic(strategy):
    emb, labels = random_embeddings(seed=1)
    everything = brute_force(emb, labels, strategy, MARGIN)
    a = mine(emb, labels, strategy, MARGIN, per_anchor=2, rng=np.random.default_rng(5))
    b = mine(emb, labels, strategy, MARGIN, per_anchor=2, rng=np.random.default_rng(5))
    got = list(zip(a.anchor.tolist(), a.positive.tolist(), a.negative.tolist()))
    assert set(got) <= everything and len(set(got)) == len(got)
    assert np.bincount(a.anchor).max() <= 2
    assert got == list(zip(b.anchor.tolist(), b.positive.tolist(), b.negative.tolist()))
    d = pairwise_squared_distances(emb)
    np.testing.assert_allclose(a.d_ap, d[a.anchor, a.positive])
    np.testing.assert_allclose(a.d_an, d[a.anchor, a.negative])


def test_mine_refuses_a_single_identity_and_mismatched_labels():
    emb, _ = random_embeddings(n=6)
    with pytest.raises(ValueError, match="two identities"):
        mine(emb, np.zeros(6), "random", MARGIN, None, np.random.default_rng(0))
    with pytest.raises(ValueError, match="labels"):
        mine(emb, np.zeros(5), "random", MARGIN, None, np.random.default_rng(0))
    with pytest.raises(ValueError, match="unknown mining strategy"):
        mine(emb, np.array([0, 0, 1, 1, 2, 2]), "easy", MARGIN, None, np.random.default_rng(0))


def test_manifest_round_trip():
    emb, labels = random_embeddings(n=12, identities=3)
    ids = [f"item{i}" for i in range(12)]
    triplets = mine(emb, labels, "random", MARGIN, per_anchor=3, rng=np.random.default_rng(0))
    table = triplet_table(triplets, ids, labels, "random", MARGIN)
    assert list(table.columns[:3]) == ["anchor", "positive", "negative"]
    assert (table.identity != table.negative_identity).all()
    np.testing.assert_allclose(table.loss, np.maximum(table.d_ap - table.d_an + MARGIN, 0), rtol=1e-6)
    back = triplets_from_table(table, ids)
    np.testing.assert_array_equal(back.anchor, triplets.anchor)
    with pytest.raises(KeyError, match="not in the catalog"):
        triplets_from_table(table, ids[:5])


def test_triplet_loss_hand_made():
    # 1-D unit "embeddings": A = P at distance 0, N at squared distance 4: loss 0, inactive.
    emb = torch.tensor([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    idx = lambda *v: torch.tensor(v)  # noqa: E731
    loss, active = triplet_loss(emb, idx(0), idx(1), idx(2), margin=0.2)
    assert float(loss) == 0.0 and active == 0.0
    # N at squared distance 2, P at 0, margin 3: loss = 0 - 2 + 3 = 1.
    loss, active = triplet_loss(emb, idx(0), idx(1), idx(3), margin=3.0)
    assert float(loss) == pytest.approx(1.0) and active == 1.0
    # P farther than N: d_ap = 2, d_an = 0 (N == A's copy) -> 2 + 0.2; mean with an inactive triplet.
    loss, active = triplet_loss(emb, idx(0, 0), idx(3, 1), idx(1, 2), margin=0.2)
    assert float(loss) == pytest.approx((2.2 + 0.0) / 2) and active == 0.5
    empty, share = triplet_loss(emb, idx(), idx(), idx(), margin=0.2)
    assert float(empty) == 0.0 and share == 0.0


def test_online_batch_hard_matches_brute_force():
    """pytorch-metric-learning's BatchHardMiner, as training configures it, picks for each anchor
    the farthest positive and the nearest negative on squared distances."""
    from models.identity.training import _online_miner
    from tests.helpers.specs import triplet_config

    emb, labels = random_embeddings(n=16, identities=4, seed=3)
    a, p, n = _online_miner(triplet_config(mining="batch_hard"))(
        torch.tensor(emb, dtype=torch.float32), torch.tensor(labels)
    )
    d = pairwise_squared_distances(emb)
    for anchor, pos, neg in zip(a.tolist(), p.tolist(), n.tolist()):
        same = (labels == labels[anchor]) & (np.arange(16) != anchor)
        assert d[anchor, pos] == pytest.approx(d[anchor][same].max(), abs=1e-5)
        assert d[anchor, neg] == pytest.approx(d[anchor][labels != labels[anchor]].min(), abs=1e-5)


def test_online_semihard_triplets_are_semihard():
    from models.identity.training import _online_miner
    from tests.helpers.specs import triplet_config

    emb, labels = random_embeddings(n=24, identities=4, seed=4)
    a, p, n = _online_miner(triplet_config(mining="semihard", margin=MARGIN))(
        torch.tensor(emb, dtype=torch.float32), torch.tensor(labels)
    )
    got = set(zip(a.tolist(), p.tolist(), n.tolist()))
    assert got and got <= brute_force(emb, labels, "semihard", MARGIN + 1e-5)
