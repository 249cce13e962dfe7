"""Offline triplet mining over a catalog's embeddings: the synthesis step of a triplet dataset.

A triplet (anchor, positive, negative) has A and P from one identity and N from another. With
squared distances d_ap = |f(A)-f(P)|^2 and d_an = |f(A)-f(N)|^2 and margin alpha (FaceNet):
  random    any valid triplet
  semihard  d_ap < d_an < d_ap + alpha   (N is farther than P, but inside the margin: informative)
  hard      d_an < d_ap                  (N is closer than P: the encoder gets these wrong)
Triplets that already satisfy d_an >= d_ap + alpha add nothing to the loss; mining keeps them out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STRATEGIES = ("random", "semihard", "hard")


def pairwise_squared_distances(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """|a_i - b_j|^2 for all pairs, float64, never negative (cancellation can dip below 0)."""
    a = np.asarray(a, np.float64)
    b = a if b is None else np.asarray(b, np.float64)
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


@dataclass(frozen=True)
class Triplets:
    """Indices into the embedding rows, and the distances at mining time."""

    anchor: np.ndarray
    positive: np.ndarray
    negative: np.ndarray
    d_ap: np.ndarray
    d_an: np.ndarray

    def __len__(self) -> int:
        return len(self.anchor)

    def losses(self, margin: float) -> np.ndarray:
        return np.maximum(self.d_ap - self.d_an + margin, 0.0)


def valid_mask(d_ap: np.ndarray, d_an: np.ndarray, strategy: str, margin: float) -> np.ndarray:
    """[positives, negatives] mask of the triplets of one anchor that `strategy` accepts."""
    ap, an = d_ap[:, None], d_an[None, :]
    if strategy == "random":
        return np.ones((len(d_ap), len(d_an)), bool)
    if strategy == "semihard":
        return (an > ap) & (an < ap + margin)
    if strategy == "hard":
        return an < ap
    raise ValueError(f"unknown mining strategy {strategy!r}: expected one of {list(STRATEGIES)}")


def mine(
    embeddings: np.ndarray, labels, strategy: str, margin: float, per_anchor: int | None, rng: np.random.Generator
) -> Triplets:
    """Triplets for every anchor: `per_anchor` drawn without replacement from the ones `strategy`
    accepts (all of them when None). Anchors with none contribute nothing."""
    labels = np.asarray(labels)
    if len(labels) != len(embeddings):
        raise ValueError(f"mine: {len(embeddings)} embeddings but {len(labels)} labels")
    if len(np.unique(labels)) < 2:
        raise ValueError("mine: needs at least two identities (a negative must exist)")
    dist = pairwise_squared_distances(embeddings)
    index = np.arange(len(labels))
    parts: list[tuple[np.ndarray, ...]] = []
    for a in index:
        same = labels == labels[a]
        positives, negatives = index[same & (index != a)], index[~same]
        if len(positives) == 0:
            continue
        mask = valid_mask(dist[a, positives], dist[a, negatives], strategy, margin)
        flat = np.flatnonzero(mask)
        if per_anchor is not None and len(flat) > per_anchor:
            flat = np.sort(rng.choice(flat, per_anchor, replace=False))
        p, n = positives[flat // len(negatives)], negatives[flat % len(negatives)]
        parts.append((np.full(len(flat), a), p, n))
    if not parts:
        raise ValueError("mine: no identity has two items; triplets need an anchor and a positive")
    a, p, n = (np.concatenate(col).astype(np.int64) for col in zip(*parts))
    return Triplets(a, p, n, dist[a, p], dist[a, n])


def triplet_table(triplets: Triplets, item_ids, labels, strategy: str, margin: float) -> pd.DataFrame:
    """The manifest: item ids of A, P, N, their identities and the distances and loss at mining time."""
    item_ids, labels = np.asarray(item_ids, dtype=object), np.asarray(labels, dtype=object)
    return pd.DataFrame(
        {
            "anchor": item_ids[triplets.anchor],
            "positive": item_ids[triplets.positive],
            "negative": item_ids[triplets.negative],
            "identity": labels[triplets.anchor],
            "negative_identity": labels[triplets.negative],
            "d_ap": triplets.d_ap.astype(np.float32),
            "d_an": triplets.d_an.astype(np.float32),
            "loss": triplets.losses(margin).astype(np.float32),
            "strategy": strategy,
        }
    )


def triplets_from_table(table: pd.DataFrame, item_ids) -> Triplets:
    """Indices of a manifest's items in `item_ids` (KeyError naming a missing item)."""
    position = {item: i for i, item in enumerate(item_ids)}
    missing = sorted((set(table.anchor) | set(table.positive) | set(table.negative)) - set(position))
    if missing:
        raise KeyError(f"triplet manifest names items not in the catalog: {missing[:5]}")
    idx = [table[col].map(position).to_numpy(np.int64) for col in ("anchor", "positive", "negative")]
    return Triplets(*idx, table.d_ap.to_numpy(np.float64), table.d_an.to_numpy(np.float64))
