"""One volunteer who recorded a language for two packages is one person: which package speakers to merge.

A package speaker is named "<package>:<language>" ("ktuberling:fr", "klettres:en_GB"). Two speakers of
different packages and the same base language ("fr", "en") are merged when their voices' centroids are more
alike than any pair of those two packages that cannot be one person (different languages): the decision is
made against the packages' own channel and recording setup, not against a fixed threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

import numpy as np


@dataclass(frozen=True)
class MergeDecision:
    a: str
    b: str
    similarity: float  # cosine of the two speakers' centroids
    ceiling: float  # the highest cosine of a different-language pair of the same two packages
    merged: bool


def package_of(name: str) -> str | None:
    return name.split(":", 1)[0] if ":" in name else None


def language_of(name: str) -> str:
    """ "ktuberling:sr@latin" -> "sr"; "klettres:en_GB" -> "en"; "tuxpaint:fr" -> "fr"."""
    return re.split(r"[@_]", name.split(":", 1)[-1])[0].lower()


def cross_package_merges(names: list[str], centroids: np.ndarray) -> list[MergeDecision]:
    """Every same-language pair across two packages, decided; `centroids` are unit rows, one per name."""
    unit = centroids / np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    by_package: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if package_of(name):
            by_package.setdefault(package_of(name), []).append(i)
    decisions = []
    for p, q in combinations(sorted(by_package), 2):
        pairs = [(i, j) for i in by_package[p] for j in by_package[q]]
        different = [float(unit[i] @ unit[j]) for i, j in pairs if language_of(names[i]) != language_of(names[j])]
        if not different:
            continue
        ceiling = max(different)
        for i, j in pairs:
            if language_of(names[i]) == language_of(names[j]):
                similarity = float(unit[i] @ unit[j])
                decisions.append(MergeDecision(names[i], names[j], similarity, ceiling, similarity > ceiling))
    return decisions


def merged_names(decisions: list[MergeDecision]) -> dict[str, str]:
    """name -> the identity it joins (the alphabetically first of its merged group), for merged names only."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for d in decisions:
        if d.merged:
            a, b = sorted((root(d.a), root(d.b)))
            if a != b:
                parent[b] = a
    return {name: root(name) for name in parent}
