"""Clustering embeddings without labels: how many identities are there, and does k-means find them?

An identity encoder is useful for unlabelled data only if its embeddings cluster by identity. This
module sweeps k with k-means, picks k two ways (the elbow of the inertia curve, and the X-means
BIC), and scores a clustering against true labels with NMI and ARI.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def _as_embeddings(emb: np.ndarray) -> np.ndarray:
    x = np.asarray(emb, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"emb must be 2-D [items, dims], got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("emb contains NaN or inf")
    return x


def _fit(x: np.ndarray, k: int, seed: int) -> KMeans:
    if not 1 <= k <= len(x):
        raise ValueError(f"k must be between 1 and the number of items ({len(x)}), got {k}")
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit(x)


def kmeans(emb: np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, float]:
    """Cluster labels and inertia (sum of squared distances to the centres), best of 10 starts."""
    model = _fit(_as_embeddings(emb), k, seed)
    return model.labels_.astype(np.int64), float(model.inertia_)


def elbow_k(inertias: dict[int, float]) -> int:
    """The knee of the inertia curve: the k farthest below the chord from the first to the last point.

    Both axes are scaled to [0, 1] first (Kneedle-style), so the answer does not depend on the units
    of the embeddings or the step of k. On the normalised axes the perpendicular distance to the
    chord is a fixed multiple of the vertical one, so the vertical gap is used. A flat curve has no
    knee; the smallest k is returned for it."""
    if len(inertias) < 3:
        raise ValueError(f"need inertias for at least 3 values of k to find an elbow, got {len(inertias)}")
    ks = np.array(sorted(inertias), dtype=np.float64)
    ys = np.array([inertias[int(k)] for k in ks], dtype=np.float64)
    span = ys.max() - ys.min()
    if span == 0:
        return int(ks[0])
    x = (ks - ks[0]) / (ks[-1] - ks[0])
    y = (ys - ys.min()) / span
    chord = y[0] + (y[-1] - y[0]) * x
    return int(ks[int(np.argmax(chord - y))])


def bic_score(emb: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> float:
    """X-means BIC (Pelleg & Moore 2000) of a hard clustering; higher is better.

    Model: K spherical Gaussians sharing one per-dimension variance, mixing weights R_n / R. Uses the
    corrected per-dimension variance sigma^2 = SSE / (M (R - K)) (the paper's printed formula omits
    M), so log L = sum_n R_n log(R_n / R) - R M / 2 log(2 pi sigma^2) - M (R - K) / 2 and
    BIC = log L - K (M + 1) / 2 log R. Zero variance is floored at 1e-12 to stay finite."""
    x = _as_embeddings(emb)
    labels = np.asarray(labels)
    centers = np.asarray(centers, dtype=np.float64)
    if labels.shape != (len(x),):
        raise ValueError(f"labels must have one entry per item ({len(x)}), got shape {labels.shape}")
    if centers.ndim != 2 or centers.shape[1] != x.shape[1]:
        raise ValueError(f"centers must be [k, {x.shape[1]}], got shape {centers.shape}")
    r, m, k = len(x), x.shape[1], len(centers)
    if r <= k:
        raise ValueError(f"BIC needs more items ({r}) than clusters ({k})")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= k:
        raise ValueError(f"labels must be integers indexing the {k} centers")
    sse = float(((x - centers[labels]) ** 2).sum())
    variance = max(sse / (m * (r - k)), 1e-12)
    sizes = np.bincount(labels, minlength=k)
    sizes = sizes[sizes > 0]
    log_likelihood = (
        float((sizes * np.log(sizes / r)).sum()) - r * m / 2 * np.log(2 * np.pi * variance) - m * (r - k) / 2
    )
    return float(log_likelihood - k * (m + 1) / 2 * np.log(r))


def xmeans_k(emb: np.ndarray, k_range: Sequence[int], seed: int = 0) -> int:
    """The k in `k_range` whose k-means clustering has the highest X-means BIC.

    This is the criterion X-means uses, applied as a sweep over k rather than X-means' recursive
    splitting of centres: simpler, deterministic, and the same answer on well-separated clusters."""
    ks = sorted(set(int(k) for k in k_range))
    if not ks:
        raise ValueError("k_range is empty")
    x = _as_embeddings(emb)
    scores = {k: _bic_of_fit(x, _fit(x, k, seed)) for k in ks}
    return max(scores, key=scores.get)


def _bic_of_fit(x: np.ndarray, model: KMeans) -> float:
    return bic_score(x, model.labels_, model.cluster_centers_)


def choose_k(emb: np.ndarray, k_min: int = 2, k_max: int = 10, seed: int = 0) -> dict:
    """One k-means sweep over k_min..k_max, judged two ways.

    k_max is lowered to items - 1 (the BIC needs more items than clusters). Returns
    {"inertia": {k: ...}, "bic": {k: ...}, "elbow_k": int, "bic_k": int}."""
    x = _as_embeddings(emb)
    if k_min < 1:
        raise ValueError(f"k_min must be >= 1, got {k_min}")
    top = min(k_max, len(x) - 1)
    if top - k_min < 2:
        raise ValueError(
            f"need at least 3 values of k (k_min={k_min}, k_max={k_max}, {len(x)} items allow up to {len(x) - 1})"
        )
    inertia, bic = {}, {}
    for k in range(k_min, top + 1):
        model = _fit(x, k, seed)
        inertia[k] = float(model.inertia_)
        bic[k] = _bic_of_fit(x, model)
    return {"inertia": inertia, "bic": bic, "elbow_k": elbow_k(inertia), "bic_k": max(bic, key=bic.get)}


def cluster_scores(true_labels: Sequence[Hashable], pred_labels: Sequence[Hashable]) -> dict:
    """NMI and ARI of a clustering against the true identities (both 1 for a perfect match, up to
    renaming; ARI is ~0 for a random one, NMI is not chance-corrected)."""
    t, p = np.asarray(true_labels), np.asarray(pred_labels)
    if t.ndim != 1 or p.ndim != 1:
        raise ValueError("true_labels and pred_labels must be 1-D")
    if len(t) != len(p):
        raise ValueError(f"true_labels has {len(t)} entries but pred_labels has {len(p)}")
    if len(t) == 0:
        raise ValueError("no labels to score")
    return {"nmi": float(normalized_mutual_info_score(t, p)), "ari": float(adjusted_rand_score(t, p))}
