"""How sure an EER is: a bootstrap over the test people, not over pairs.

Pairs of one person are not independent draws (a person with an odd voice makes many hard pairs), so
the resampled unit is the identity: draw test identities with replacement and keep every pair among
the drawn, a positive pair once per draw of its person and a negative pair once per draw of each of
its two people (m_a * m_b times).
"""

from __future__ import annotations

import numpy as np

from models.identity.verification import eer


def pair_weights(first: np.ndarray, second: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """How often each pair (identity codes of its two items) appears in a sample with `draws` per identity."""
    weights = draws[first] * draws[second]
    same = first == second
    weights[same] = draws[first[same]]
    return weights


def eer_interval(
    distances: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    rng: np.random.Generator,
    resamples: int,
    level: float = 0.95,
) -> dict:
    """Percentile interval of the EER over `resamples` draws of the identities; `first`/`second` are
    integer identity codes of each pair's items."""
    people = int(max(first.max(), second.max())) + 1
    rates = []
    for _ in range(resamples):
        draws = np.bincount(rng.integers(0, people, people), minlength=people)
        weights = pair_weights(first, second, draws)
        keep = weights > 0
        same = first[keep] == second[keep]
        if same.all() or not same.any():
            continue
        repeat = weights[keep]
        rates.append(eer(np.repeat(distances[keep], repeat), np.repeat(same, repeat))[0])
    if not rates:
        return {"low": None, "high": None, "resamples": 0}
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(rates, [tail, 100 - tail])
    return {"low": float(low), "high": float(high), "resamples": len(rates), "level": level}
