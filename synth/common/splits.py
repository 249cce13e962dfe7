"""Assign speakers and background recordings to train/dev/test so no group crosses splits."""

from __future__ import annotations

import numpy as np

SPLITS = ("train", "dev", "test")


def assign_groups(groups: list[str], fractions: dict[str, float], rng: np.random.Generator) -> dict[str, str]:
    """Shuffle the distinct groups and cut them by `fractions`; every split gets at least one
    group when there are enough groups (smaller splits are filled first)."""
    distinct = sorted(set(groups))
    order = [distinct[i] for i in rng.permutation(len(distinct))]
    counts = _split_counts(len(order), [fractions[s] for s in SPLITS])
    assignment: dict[str, str] = {}
    start = 0
    for split, count in zip(SPLITS, counts):
        for group in order[start : start + count]:
            assignment[group] = split
        start += count
    return assignment


def _split_counts(n: int, fractions: list[float]) -> list[int]:
    """Largest-remainder rounding of n * fractions, then move one group into any empty split."""
    raw = np.array(fractions) * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    for i in range(len(counts)):
        if counts[i] == 0 and n >= len(counts):
            donor = int(np.argmax(counts))
            counts[donor] -= 1
            counts[i] += 1
    return counts.tolist()


def assign_catalog(
    kinds: np.ndarray, split_groups: np.ndarray, fractions: dict[str, float], rng: np.random.Generator
) -> np.ndarray:
    """Split label per catalog row. Groups are assigned per kind in a fixed order (positive
    speakers, then speakers with only negatives, then background recordings), so every split
    gets positives, negatives and backgrounds whenever each kind has enough groups."""
    kinds = np.asarray(kinds, dtype=object)
    split_groups = np.asarray(split_groups, dtype=object)
    assignment: dict[str, str] = {}
    for kind in ("positive", "negative", "background"):
        groups = [g for g in split_groups[kinds == kind] if g not in assignment]
        assignment.update(assign_groups(groups, fractions, rng))
    return np.array([assignment[g] for g in split_groups], dtype=object)
