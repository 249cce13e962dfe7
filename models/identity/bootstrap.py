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


def resampled_eers(
    distances: list[np.ndarray], first: np.ndarray, second: np.ndarray, rng: np.random.Generator, resamples: int
) -> np.ndarray:
    """(kept resamples, encoders): the EER of each encoder's pair distances on the same identity draws
    (a draw without both kinds of pair is skipped). `first`/`second`: integer identity codes of each pair."""
    people = int(max(first.max(), second.max())) + 1
    rates = []
    for _ in range(resamples):
        draws = np.bincount(rng.integers(0, people, people), minlength=people)
        weights = pair_weights(first, second, draws)
        keep = weights > 0
        same = np.repeat(first[keep] == second[keep], weights[keep])
        if same.all() or not same.any():
            continue
        rates.append([eer(np.repeat(d[keep], weights[keep]), same)[0] for d in distances])
    return np.asarray(rates, np.float64).reshape(-1, len(distances))


def percentile_band(values: np.ndarray, level: float = 0.95) -> dict:
    if len(values) == 0:
        return {"low": None, "high": None, "resamples": 0}
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return {"low": float(low), "high": float(high), "resamples": len(values), "level": level}


def eer_interval(
    distances: np.ndarray, first: np.ndarray, second: np.ndarray, rng: np.random.Generator, resamples: int
) -> dict:
    """95 % percentile interval of one encoder's EER over `resamples` draws of the test identities."""
    return percentile_band(resampled_eers([distances], first, second, rng, resamples)[:, 0])


def eer_difference(
    ours: np.ndarray,
    theirs: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    rng: np.random.Generator,
    resamples: int,
) -> dict:
    """EER(ours) - EER(theirs) on the same draws: a paired interval, far narrower than two separate ones
    because a hard person is hard for both encoders."""
    rates = resampled_eers([ours, theirs], first, second, rng, resamples)
    return percentile_band(rates[:, 0] - rates[:, 1])
