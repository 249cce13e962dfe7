"""Verification and identification metrics on hand-made cases whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from models.identity.verification import (
    Identification,
    Match,
    best_threshold,
    eer,
    far_resolution,
    identification_ranks,
    kfold_threshold_accuracy,
    knn_identify,
    make_pairs,
    rank_k_accuracy,
    roc,
    squared_distances,
    tar_at_far,
)


def separable(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Positives in [0, 1], negatives in [2, 3]: any threshold in (1, 2) is perfect."""
    rng = np.random.default_rng(seed)
    d = np.concatenate([rng.uniform(0, 1, n), rng.uniform(2, 3, n)])
    return d, np.repeat([True, False], n)


# ----------------------------------------------------------------------------- distances


def test_squared_distances_match_brute_force_and_are_non_negative():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    brute = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    d = squared_distances(a, b)
    assert d.shape == (4, 5) and d.dtype == np.float64
    np.testing.assert_allclose(d, brute, atol=1e-12)
    unit = a / np.linalg.norm(a, axis=1, keepdims=True)
    assert (squared_distances(unit, unit) >= 0).all()
    np.testing.assert_allclose(np.diag(squared_distances(unit, unit)), 0, atol=1e-12)


def test_squared_distances_rejects_mismatched_dims():
    with pytest.raises(ValueError, match="dims"):
        squared_distances(np.zeros((2, 3)), np.zeros((2, 4)))


# --------------------------------------------------------------------------------- pairs


def test_make_pairs_counts_sorting_and_determinism():
    labels = ["a"] * 3 + ["b"] * 2 + ["c"] * 4  # 3 + 1 + 6 = 10 positives, 26 negatives
    i, j, same = make_pairs(labels, np.random.default_rng(0), negatives=15)
    assert same.sum() == 10 and (~same).sum() == 15
    assert (i < j).all()
    assert (np.asarray(labels)[i] == np.asarray(labels)[j]).tolist() == same.tolist()
    assert len(set(zip(i.tolist(), j.tolist()))) == len(i)
    assert np.array_equal(np.lexsort((j, i)), np.arange(len(i)))
    again = make_pairs(labels, np.random.default_rng(0), negatives=15)
    assert all(np.array_equal(x, y) for x, y in zip((i, j, same), again))


def test_make_pairs_default_takes_all_negatives_when_few_exist():
    labels = ["a"] * 3 + ["b"] * 2 + ["c"] * 4
    i, j, same = make_pairs(labels, np.random.default_rng(1))
    assert same.sum() == 10 and (~same).sum() == 26  # max(100, 2000) capped by what exists


def test_make_pairs_samples_negatives_and_caps_positives_on_a_large_set():
    labels = np.repeat(np.arange(50), 20)  # 9500 positives, 490000 negatives
    i, j, same = make_pairs(labels, np.random.default_rng(2), max_positives=300)
    assert same.sum() == 300 and (~same).sum() == 3000  # default: 10 x positives
    assert (labels[i[~same]] != labels[j[~same]]).all()
    assert len(set(zip(i.tolist(), j.tolist()))) == len(i)


def test_make_pairs_errors():
    with pytest.raises(ValueError, match="at least 2 identities"):
        make_pairs(["a", "a", "a"], np.random.default_rng(0))
    with pytest.raises(ValueError, match="no positive pairs"):
        make_pairs(["a", "b", "c"], np.random.default_rng(0))


# ---------------------------------------------------------------------------- ROC metrics


def test_separable_distances_are_perfect():
    d, same = separable()
    assert roc(d, same)["auc"] == 1.0
    rate, threshold = eer(d, same)
    assert rate == 0.0 and d[same].max() <= threshold < d[~same].min()
    assert tar_at_far(d, same, 1e-3)[0] == 1.0


def test_overlapping_distances_have_chance_auc():
    rng = np.random.default_rng(0)
    d = rng.uniform(0, 1, 20000)
    same = rng.random(20000) < 0.5
    curve = roc(d, same)
    assert curve["auc"] == pytest.approx(0.5, abs=0.02)
    assert curve["positives"] + curve["negatives"] == 20000
    assert curve["thresholds"][0] == -np.inf and np.all(np.diff(curve["far"]) >= 0)


def test_eer_of_shifted_uniforms_is_a_quarter():
    """Positives U[0, 1], negatives U[0.5, 1.5]: FRR = 1 - t = FAR = t - 0.5 at t = 0.75."""
    rng = np.random.default_rng(0)
    d = np.concatenate([rng.uniform(0, 1, 20000), rng.uniform(0.5, 1.5, 20000)])
    same = np.repeat([True, False], 20000)
    rate, threshold = eer(d, same)
    assert rate == pytest.approx(0.25, abs=0.01)
    assert threshold == pytest.approx(0.75, abs=0.01)


def test_tar_at_far_by_hand():
    #             pos  pos  neg  pos  neg  neg  pos  neg
    d = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    same = np.array([1, 1, 0, 1, 0, 0, 1, 0], bool)
    assert tar_at_far(d, same, 0.25) == (0.75, 0.4)  # accepts 0.1-0.4: 3 of 4 pos, 1 of 4 neg
    assert tar_at_far(d, same, 0.0) == (0.5, 0.2)
    assert tar_at_far(d, same, 1.0) == (1.0, 0.8)
    assert far_resolution(same) == 0.25
    tar, threshold = tar_at_far(d[2:], same[2:], 0.1)  # the closest pair is a negative
    assert tar == 0.0 and threshold == -np.inf


def test_metric_errors():
    with pytest.raises(ValueError, match="no positive"):
        eer([0.1, 0.2], [False, False])
    with pytest.raises(ValueError, match="no negative"):
        tar_at_far([0.1, 0.2], [True, True])
    with pytest.raises(ValueError, match="entries"):
        roc([0.1, 0.2, 0.3], [True, False])
    with pytest.raises(ValueError, match="far must be"):
        tar_at_far([0.1, 0.2], [True, False], far=2.0)


# ------------------------------------------------------------------------------- threshold


def test_best_threshold_is_a_midpoint_maximising_accuracy():
    d = np.array([0.1, 0.2, 0.3, 0.9, 0.4, 1.0])
    same = np.array([1, 1, 1, 1, 0, 0], bool)  # 0.9 is a positive among the negatives
    assert best_threshold(d, same) == pytest.approx(0.35)  # 5 of 6, the first best cut
    assert best_threshold([0.5, 0.5, 0.5], [True, False, True]) > 0.5  # ties: accept all (2 of 3)


def test_kfold_accuracy_on_separable_data():
    d, same = separable()
    result = kfold_threshold_accuracy(d, same, folds=10, seed=0)
    assert result["accuracy"] == 1.0 and result["std"] == 0.0
    assert len(result["fold_thresholds"]) == 10
    assert all(d[same].max() < t < d[~same].min() for t in result["fold_thresholds"])
    assert d[same].max() < result["threshold"] < d[~same].min()
    assert kfold_threshold_accuracy(d, same, folds=10, seed=0) == result


def test_kfold_errors():
    with pytest.raises(ValueError, match="folds"):
        kfold_threshold_accuracy([0.1, 0.2, 0.3], [True, False, False], folds=10)


# -------------------------------------------------------------------------- identification

GALLERY = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
GALLERY_LABELS = ["ann", "ann", "bob", "cy"]


def test_identification_ranks_on_a_tiny_gallery():
    probes = np.array([[0.95, 0.0], [0.0, 0.9], [0.1, 0.9], [-0.2, 0.8]])
    ranks = identification_ranks(probes, ["ann", "ann", "bob", "cy"], GALLERY, GALLERY_LABELS)
    assert ranks.tolist() == [1, 2, 1, 2]
    assert rank_k_accuracy(ranks, 1) == 0.5 and rank_k_accuracy(ranks, 2) == 1.0


def test_identification_errors():
    with pytest.raises(ValueError, match="'dee' is not in the gallery"):
        identification_ranks(np.zeros((1, 2)), ["dee"], GALLERY, GALLERY_LABELS)
    with pytest.raises(ValueError, match="gallery_labels has 3 entries"):
        identification_ranks(np.zeros((1, 2)), ["ann"], GALLERY, GALLERY_LABELS[:3])
    with pytest.raises(ValueError, match="k must be"):
        rank_k_accuracy(np.array([1]), 0)


def test_knn_identify_with_an_unknown_query():
    queries = np.array([[1.0, 0.05], [0.0, -1.0]])  # near ann; far from everyone
    first, second = knn_identify(queries, GALLERY, GALLERY_LABELS, k=2, threshold=0.5)
    assert isinstance(first, Identification) and first.known and first.identity == "ann"
    assert [m.identity for m in first.matches] == ["ann", "bob"]
    assert first.matches[0] == Match("ann", pytest.approx(0.0025))
    assert not second.known and second.identity is None
    assert second.matches[0].distance == pytest.approx(2.0) and len(second.matches) == 2
    everyone = knn_identify(queries, GALLERY, GALLERY_LABELS, k=10)
    assert all(r.known and len(r.matches) == 3 for r in everyone)
