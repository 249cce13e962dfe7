"""Verification and identification metrics for identity encoders (faces, speakers, words).

The encoders map items to L2-normalised embeddings; two items are judged the same identity when
their squared Euclidean distance is at most a threshold. Every verification metric here takes
pair distances (lower = more alike) and boolean `same` flags, so it does not care which encoder
made them. Conventions: a pair is accepted when distance <= threshold;
FAR = accepted negatives / negatives, TAR = accepted positives / positives, FRR = 1 - TAR.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold

from synth.identity.triplets import pairwise_squared_distances


def _as_matrix(x: np.ndarray, name: str) -> np.ndarray:
    m = np.asarray(x, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"{name} must be 2-D [items, dims], got shape {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError(f"{name} contains NaN or inf")
    return m


def _as_labels(labels: Sequence, n: int | None, name: str) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if n is not None and len(arr) != n:
        raise ValueError(f"{name} has {len(arr)} entries but there are {n} embeddings")
    return arr


def _check_scores(distances: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distances and flags as 1-D float/bool arrays; both classes must be present, or no rate exists."""
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(same)
    if d.ndim != 1 or s.ndim != 1:
        raise ValueError(f"distances and same must be 1-D, got shapes {d.shape} and {s.shape}")
    if len(d) != len(s):
        raise ValueError(f"distances has {len(d)} entries but same has {len(s)}")
    if not np.isfinite(d).all():
        raise ValueError("distances contain NaN or inf")
    if s.dtype != bool and not np.isin(s, (0, 1)).all():
        raise ValueError("same must be boolean (or 0/1)")
    s = s.astype(bool)
    if not s.any():
        raise ValueError("no positive (same-identity) pairs: TAR is undefined")
    if s.all():
        raise ValueError("no negative (different-identity) pairs: FAR is undefined")
    return d, s


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise squared Euclidean distances [len(a), len(b)] in float64 (one matrix product, fast
    for whole galleries; the miners' formula), after checking the shapes."""
    a, b = _as_matrix(a, "a"), _as_matrix(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a has {a.shape[1]} dims but b has {b.shape[1]}")
    return pairwise_squared_distances(a, b)


# ---------------------------------------------------------------------------------------- pairs


def _groups(inverse: np.ndarray, identities: int) -> tuple[np.ndarray, np.ndarray]:
    """Item indices ordered by identity (ascending within each), and each identity's start."""
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(identities + 1))
    return order, starts


def _positive_pairs(order: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    parts_i, parts_j = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for lo, hi in zip(starts[:-1], starts[1:]):
        a, b = np.triu_indices(hi - lo, 1)
        parts_i.append(order[lo:hi][a])
        parts_j.append(order[lo:hi][b])
    return np.concatenate(parts_i), np.concatenate(parts_j)


def _all_negative_pairs(order: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every different-identity pair (i < j), built block by block: memory is what is returned."""
    parts_i, parts_j = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for lo, hi in zip(starts[:-2], starts[1:-1]):
        mine, later = order[lo:hi], order[hi:]
        a, b = np.repeat(mine, len(later)), np.tile(later, len(mine))
        parts_i.append(np.minimum(a, b))
        parts_j.append(np.maximum(a, b))
    return np.concatenate(parts_i), np.concatenate(parts_j)


def _sampled_negative_pairs(
    inverse: np.ndarray, wanted: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Rejection sampling: uniform random pairs, dropping same-identity and repeated ones. The first
    `wanted` distinct survivors are a uniform sample without replacement of the negatives."""
    n = len(inverse)
    keys = np.empty(0, np.int64)
    while len(keys) < wanted:
        draws = 2 * (wanted - len(keys)) + 16
        a, b = rng.integers(0, n, draws), rng.integers(0, n, draws)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        ok = inverse[lo] != inverse[hi]
        keys = np.concatenate([keys, lo[ok] * n + hi[ok]])
        _, first = np.unique(keys, return_index=True)
        keys = keys[np.sort(first)][:wanted]
    return keys // n, keys % n


def make_pairs(
    labels: Sequence[Hashable], rng: np.random.Generator, negatives: int | None = None, max_positives: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Verification pairs over a labelled set: returns (i, j, same), i < j, sorted by (i, j).

    Positives are every same-identity pair (a uniform sample of `max_positives` of them if capped).
    Negatives are a uniform sample, without replacement, of `negatives` different-identity pairs;
    the default max(10 * positives, 2000) gives TAR@FAR=1e-3 at least a couple of false accepts
    to stand on. Both counts are limited by how many pairs exist."""
    inverse = np.unique(_as_labels(labels, None, "labels"), return_inverse=True)[1].ravel()
    identities = int(inverse.max()) + 1 if len(inverse) else 0
    if identities < 2:
        raise ValueError(f"need at least 2 identities to make pairs, got {identities}")
    order, starts = _groups(inverse, identities)
    pos_i, pos_j = _positive_pairs(order, starts)
    if len(pos_i) == 0:
        raise ValueError("no identity has two items: there are no positive pairs")
    if max_positives is not None and len(pos_i) > max_positives:
        if max_positives < 1:
            raise ValueError(f"max_positives must be >= 1, got {max_positives}")
        keep = rng.choice(len(pos_i), max_positives, replace=False)
        pos_i, pos_j = pos_i[keep], pos_j[keep]
    if negatives is not None and negatives < 1:
        raise ValueError(f"negatives must be >= 1, got {negatives}")
    n, sizes = len(inverse), np.diff(starts)
    available = n * (n - 1) // 2 - int((sizes * (sizes - 1) // 2).sum())
    wanted = min(negatives if negatives is not None else max(10 * len(pos_i), 2000), available)
    if 2 * wanted >= available:  # most of them anyway: enumerate, then choose
        neg_i, neg_j = _all_negative_pairs(order, starts)
        keep = rng.choice(available, wanted, replace=False)
        neg_i, neg_j = neg_i[keep], neg_j[keep]
    else:
        neg_i, neg_j = _sampled_negative_pairs(inverse, wanted, rng)
    i, j = np.concatenate([pos_i, neg_i]), np.concatenate([pos_j, neg_j])
    same = np.concatenate([np.ones(len(pos_i), bool), np.zeros(len(neg_i), bool)])
    sort = np.lexsort((j, i))
    return i[sort].astype(np.int64), j[sort].astype(np.int64), same[sort]


# ------------------------------------------------------------------------------ verification


def roc(distances: np.ndarray, same: np.ndarray) -> dict:
    """The full ROC (one point per distinct distance), thresholds in distance units.

    Returns far, tar, thresholds (ascending; the first is -inf: accept nothing), auc, and the pair
    counts `positives` / `negatives` so a report can say how fine the FAR axis is."""
    d, s = _check_scores(distances, same)
    far, tar, thresholds = roc_curve(s, -d, drop_intermediate=False)
    return {
        "far": far,
        "tar": tar,
        "thresholds": -thresholds,
        "auc": float(roc_auc_score(s, -d)),
        "positives": int(s.sum()),
        "negatives": int((~s).sum()),
    }


def eer(distances: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """Equal error rate and its threshold, where FAR = FRR.

    The ROC is a staircase, so FAR - FRR rarely hits 0 exactly: this interpolates linearly along
    the ROC segment where the sign changes (and the threshold likewise between its end points)."""
    curve = roc(distances, same)
    far, frr, thr = curve["far"], 1.0 - curve["tar"], curve["thresholds"]
    gap = far - frr  # -1 at accept-nothing, +1 at accept-all
    k = int(np.argmax(gap >= 0))
    t = gap[k - 1] / (gap[k - 1] - gap[k])
    rate = far[k - 1] + t * (far[k] - far[k - 1])
    threshold = thr[k - 1] + t * (thr[k] - thr[k - 1]) if np.isfinite(thr[k - 1]) else thr[k]
    return float(rate), float(threshold)


def far_resolution(same: np.ndarray) -> float:
    """The smallest non-zero FAR the pairs can measure: 1 / number of negative pairs.

    A TAR@FAR target below this is only met by accepting no negative at all, so the estimate is
    coarse (and optimistic about the threshold); reports should print it beside TAR@FAR."""
    negatives = int((~np.asarray(same, dtype=bool)).sum())
    if negatives == 0:
        raise ValueError("no negative (different-identity) pairs: FAR is undefined")
    return 1.0 / negatives


def tar_at_far(distances: np.ndarray, same: np.ndarray, far: float = 1e-3) -> tuple[float, float]:
    """TAR at the largest threshold whose FAR <= `far`, and that threshold.

    With fewer than 1/far negative pairs the estimate is coarse (see `far_resolution`). The
    threshold is -inf when even the closest pair is a negative that must be rejected."""
    if not 0.0 <= far <= 1.0:
        raise ValueError(f"far must be in [0, 1], got {far}")
    curve = roc(distances, same)
    k = int(np.flatnonzero(curve["far"] <= far)[-1])  # FAR never decreases along the curve
    return float(curve["tar"][k]), float(curve["thresholds"][k])


def best_threshold(distances: np.ndarray, same: np.ndarray) -> float:
    """The accuracy-maximising threshold among midpoints between consecutive sorted distances.

    Midpoints keep the rule robust to whether unseen pairs equal a training distance. The two
    extremes (accept nothing / accept everything) sit half the distance spread beyond the data;
    ties between equally accurate cuts go to the smallest threshold."""
    d, s = _check_scores(distances, same)
    order = np.argsort(d, kind="stable")
    ds, ss = d[order], s[order]
    n, negatives = len(d), int((~s).sum())
    accepted_pos = np.concatenate([[0], np.cumsum(ss)])  # accepting the first k pairs
    correct = accepted_pos + negatives - (np.arange(n + 1) - accepted_pos)
    cut = np.ones(n + 1, bool)
    cut[1:n] = ds[1:] > ds[:-1]  # no cut between equal distances
    k = int(np.flatnonzero(cut)[np.argmax(correct[cut])])
    margin = 0.5 * (ds[-1] - ds[0]) or 0.5
    if k == 0:
        return float(ds[0] - margin)
    if k == n:
        return float(ds[-1] + margin)
    return float(0.5 * (ds[k - 1] + ds[k]))


def kfold_threshold_accuracy(distances: np.ndarray, same: np.ndarray, folds: int = 10, seed: int = 0) -> dict:
    """The LFW protocol: the threshold is chosen on k-1 folds and its accuracy measured on the
    held-out one, so the accuracy is not flattered by tuning on the test pairs.

    Folds are stratified (each keeps the overall positive share, as LFW's balanced folds do) and
    shuffled with `seed`. Returns accuracy (mean), std, threshold (mean of the fold thresholds:
    the one to deploy), fold_thresholds and fold_accuracies."""
    d, s = _check_scores(distances, same)
    if folds < 2:
        raise ValueError(f"folds must be >= 2, got {folds}")
    smaller = min(int(s.sum()), int((~s).sum()))
    if smaller < folds:
        raise ValueError(
            f"{folds} folds need at least {folds} positive and {folds} negative pairs; the rarer class has {smaller}"
        )
    thresholds, accuracies = [], []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(d, s):
        threshold = best_threshold(d[train], s[train])
        thresholds.append(threshold)
        accuracies.append(float(np.mean((d[test] <= threshold) == s[test])))
    return {
        "accuracy": float(np.mean(accuracies)),
        "std": float(np.std(accuracies)),
        "threshold": float(np.mean(thresholds)),
        "fold_thresholds": thresholds,
        "fold_accuracies": accuracies,
    }


# ---------------------------------------------------------------------------- identification


def _identity_distances(
    query_emb: np.ndarray, gallery_emb: np.ndarray, gallery_labels: Sequence[Hashable]
) -> tuple[np.ndarray, np.ndarray]:
    """Gallery identities (sorted) and, per query, the distance to each identity's nearest item."""
    gallery = _as_matrix(gallery_emb, "gallery_emb")
    labels = _as_labels(gallery_labels, len(gallery), "gallery_labels")
    if len(gallery) == 0:
        raise ValueError("the gallery is empty")
    identities, inverse = np.unique(labels, return_inverse=True)
    order, starts = _groups(inverse.ravel(), len(identities))
    d = squared_distances(query_emb, gallery)[:, order]
    return identities, np.minimum.reduceat(d, starts[:-1], axis=1)


def identification_ranks(
    probe_emb: np.ndarray, probe_labels: Sequence[Hashable], gallery_emb: np.ndarray, gallery_labels: Sequence[Hashable]
) -> np.ndarray:
    """1-based rank of each probe's true identity, identities ordered by their nearest gallery item.

    Ties count against the probe (an identity at the same distance ranks ahead), so duplicated
    embeddings cannot inflate rank-1 accuracy."""
    probes = _as_matrix(probe_emb, "probe_emb")
    labels = _as_labels(probe_labels, len(probes), "probe_labels")
    identities, dist = _identity_distances(probes, gallery_emb, gallery_labels)
    where = np.minimum(np.searchsorted(identities, labels), len(identities) - 1)
    missing = identities[where] != labels
    if missing.any():
        raise ValueError(f"probe identity {labels[missing][0].item()!r} is not in the gallery")
    true = dist[np.arange(len(probes)), where]
    return (dist <= true[:, None]).sum(1).astype(np.int64)


def rank_k_accuracy(ranks: np.ndarray, k: int) -> float:
    """Share of probes whose true identity is among the k nearest identities (CMC at k)."""
    r = np.asarray(ranks)
    if r.ndim != 1 or len(r) == 0:
        raise ValueError("ranks must be a non-empty 1-D array")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return float(np.mean(r <= k))


@dataclass(frozen=True)
class Match:
    """One gallery identity and the distance from the query to its nearest gallery item."""

    identity: Hashable
    distance: float


@dataclass(frozen=True)
class Identification:
    """Top-k identities for one query, nearest first.

    `known` is False when a threshold was given and even the nearest identity is farther than it:
    open-set identification says "none of these", while `matches` still shows the candidates."""

    matches: tuple[Match, ...]
    known: bool

    @property
    def identity(self) -> Hashable | None:
        """The decision: the nearest identity, or None for an unknown query."""
        return self.matches[0].identity if self.known else None


def knn_identify(
    query_emb: np.ndarray,
    gallery_emb: np.ndarray,
    gallery_labels: Sequence[Hashable],
    k: int = 5,
    threshold: float | None = None,
) -> list[Identification]:
    """For each query, the k nearest gallery identities (fewer if the gallery has fewer).

    An identity's distance is that of its nearest item (1-NN per identity), so identities with many
    gallery items are not favoured by sheer numbers. Equal distances keep sorted-identity order."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    identities, dist = _identity_distances(query_emb, gallery_emb, gallery_labels)
    names = identities.tolist()
    results = []
    for row in dist:
        top = np.argsort(row, kind="stable")[:k]
        matches = tuple(Match(names[c], float(row[c])) for c in top)
        results.append(Identification(matches, threshold is None or matches[0].distance <= threshold))
    return results
