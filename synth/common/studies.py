"""Study engine: confidence intervals, "smallest good-enough setting", power-law learning curves.

Pure and model-agnostic: used by the day/night resolution and data-size studies (and any other
ladder: sample rates, model widths). A table is a list of mappings with the setting and accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


def wilson_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion: sane at 0 %, 100 % and small n (unlike p ± z·se)."""
    if n <= 0:
        return (0.0, 1.0)
    p = correct / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def smallest_sufficient(
    table: Sequence[Mapping], epsilon: float, key: str = "resolution", metric: str = "accuracy"
) -> Mapping:
    """The row with the smallest `key` whose `metric` is within `epsilon` of the best row's.

    The cheapest setting that is practically as good: e.g. the lowest resolution within 1 point of
    the best accuracy. Ties on `key` cannot happen in a ladder; an empty table is an error.
    """
    if not table:
        raise ValueError("smallest_sufficient: empty table")
    if epsilon < 0:
        raise ValueError(f"smallest_sufficient: epsilon must be >= 0, got {epsilon}")
    best = max(float(row[metric]) for row in table)
    good = [row for row in table if float(row[metric]) >= best - epsilon - 1e-12]
    return min(good, key=lambda row: row[key])


@dataclass(frozen=True)
class PowerLaw:
    """error(n) = a · n^(-b): the usual shape of a learning curve before it flattens."""

    a: float
    b: float

    def error(self, n: float) -> float:
        return self.a * float(n) ** (-self.b)

    def examples_for(self, target_accuracy: float) -> float:
        """Training examples needed to reach `target_accuracy` (inf when the curve does not fall)."""
        target_error = 1.0 - target_accuracy
        if target_error <= 0 or self.b <= 0:
            return math.inf
        return (self.a / target_error) ** (1.0 / self.b)


def fit_power_law(sizes: Sequence[float], errors: Sequence[float], floor: float = 1e-3) -> PowerLaw:
    """Least squares in log-log space. Errors are floored (a perfect score has no logarithm)."""
    x = np.log(np.asarray(sizes, dtype=float))
    y = np.log(np.maximum(np.asarray(errors, dtype=float), floor))
    if len(x) < 2 or np.ptp(x) == 0:
        raise ValueError("fit_power_law: needs at least two different training-set sizes")
    slope, intercept = np.polyfit(x, y, 1)
    return PowerLaw(a=float(np.exp(intercept)), b=float(-slope))


def paired_bootstrap(a: np.ndarray, b: np.ndarray, resamples: int, rng: np.random.Generator) -> tuple[float, float]:
    """95 % interval of mean(a) - mean(b) over items drawn with replacement, the same items for both
    (a and b score the same items, e.g. each test positive's miss rate under two trainings)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired_bootstrap: needs two equal 1-d arrays, got {a.shape} and {b.shape}")
    if not len(a):
        return (math.nan, math.nan)
    rows = rng.integers(0, len(a), size=(resamples, len(a)))
    deltas = (a - b)[rows].mean(axis=1)
    low, high = np.quantile(deltas, [0.025, 0.975])
    return (float(low), float(high))


def effect_verdict(delta: float, spread: float, interval: tuple[float, float], unit: str = "points") -> str:
    """'higher' / 'lower' when a difference exceeds the seed spread and its bootstrap interval leaves out 0;
    'within noise' otherwise. delta, spread and interval are fractions, shown x100 in `unit`."""
    low, high = interval
    shown = f"{delta * 100:+.1f} {unit}, seed spread {spread * 100:.1f}, 95 % [{low * 100:+.1f}, {high * 100:+.1f}]"
    if abs(delta) <= spread or (low <= 0 <= high):
        return f"within noise ({shown})"
    return f"{'higher' if delta > 0 else 'lower'} ({shown})"
