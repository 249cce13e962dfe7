"""Choosing k and scoring clusterings on well-separated blobs, where the answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from models.identity.clustering import bic_score, choose_k, cluster_scores, elbow_k, kmeans, xmeans_k

TRUE_K = 4


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """Four tight Gaussian blobs (std 0.05) around far-apart centres in 8-D, 40 points each."""
    rng = np.random.default_rng(0)
    centres = 2.0 * np.eye(8)[:TRUE_K]
    labels = np.repeat(np.arange(TRUE_K), 40)
    return centres[labels] + rng.normal(scale=0.05, size=(len(labels), 8)), labels


@pytest.fixture(scope="module")
def sweep(blobs) -> dict:
    return choose_k(blobs[0], k_min=2, k_max=8, seed=0)


def test_choose_k_finds_the_true_k_both_ways(sweep):
    assert sorted(sweep["inertia"]) == sorted(sweep["bic"]) == list(range(2, 9))
    assert sweep["elbow_k"] == TRUE_K
    assert sweep["bic_k"] == TRUE_K
    inertias = [sweep["inertia"][k] for k in range(2, 9)]
    assert all(a >= b for a, b in zip(inertias, inertias[1:]))


def test_xmeans_k_agrees_with_the_sweep(blobs):
    assert xmeans_k(blobs[0], range(3, 6), seed=0) == TRUE_K


def test_kmeans_at_the_true_k_recovers_the_identities(blobs):
    emb, truth = blobs
    labels, inertia = kmeans(emb, TRUE_K, seed=0)
    assert labels.shape == truth.shape and inertia > 0
    scores = cluster_scores(truth, labels)
    assert scores["nmi"] == pytest.approx(1.0) and scores["ari"] == pytest.approx(1.0)
    again, _ = kmeans(emb, TRUE_K, seed=0)
    assert np.array_equal(labels, again)


def test_bic_prefers_the_true_clustering_to_a_merged_one(blobs):
    emb, truth = blobs
    centres = np.stack([emb[truth == c].mean(0) for c in range(TRUE_K)])
    merged = np.minimum(truth, 2)  # blobs 2 and 3 share a centre
    merged_centres = np.stack([emb[merged == c].mean(0) for c in range(3)])
    assert bic_score(emb, truth, centres) > bic_score(emb, merged, merged_centres)


def test_elbow_k_by_hand():
    assert elbow_k({1: 100.0, 2: 20.0, 3: 10.0, 4: 8.0, 5: 7.0}) == 2
    assert elbow_k({2: 5.0, 3: 5.0, 4: 5.0}) == 2  # flat: no knee, the smallest k


def test_cluster_scores_ignore_label_names_and_catch_random_labels():
    assert cluster_scores(["a", "a", "b", "b"], [7, 7, 3, 3]) == {"nmi": 1.0, "ari": 1.0}
    rng = np.random.default_rng(0)
    assert abs(cluster_scores(rng.integers(0, 4, 2000), rng.integers(0, 4, 2000))["ari"]) < 0.02


def test_errors(blobs):
    emb = blobs[0]
    with pytest.raises(ValueError, match="at least 3 values"):
        elbow_k({2: 1.0, 3: 0.5})
    with pytest.raises(ValueError, match="at least 3 values"):
        choose_k(emb[:4], k_min=2, k_max=10)
    with pytest.raises(ValueError, match="k must be between"):
        kmeans(emb[:3], 5)
    with pytest.raises(ValueError, match="2 entries but pred_labels has 3"):
        cluster_scores([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="more items"):
        bic_score(emb[:3], np.arange(3), emb[:3])
    with pytest.raises(ValueError, match="2-D"):
        kmeans(emb[0], 2)
