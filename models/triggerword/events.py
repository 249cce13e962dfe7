"""Event-level scoring, as wake-word systems are judged: detections vs. spoken positives.

A detection fires when the smoothed per-step output crosses the threshold upwards, outside the
refractory period of the previous detection. It is a hit when it falls within `match_steps`
after a positive's end step (each positive takes at most one detection); other detections are
false accepts; positives without one are false rejects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EventSpec:
    smoothing_steps: int
    refractory_steps: int
    match_steps: int


def smooth(probabilities: np.ndarray, steps: int) -> np.ndarray:
    """Causal moving average over the last `steps` outputs (a streaming detector can do this)."""
    if steps <= 1:
        return probabilities
    cumulative = np.cumsum(np.pad(probabilities, [(0, 0)] * (probabilities.ndim - 1) + [(steps, 0)]), axis=-1)
    return (cumulative[..., steps:] - cumulative[..., :-steps]) / steps


def detect(smoothed: np.ndarray, threshold: float, refractory_steps: int) -> np.ndarray:
    """Steps (1-D) where the smoothed output rises through the threshold, honouring refractoriness."""
    above = smoothed >= threshold
    rising = np.flatnonzero(above & ~np.concatenate([[False], above[:-1]]))
    kept, last = [], -np.inf
    for step in rising:
        if step - last > refractory_steps:
            kept.append(int(step))
            last = step
    return np.array(kept, dtype=np.int64)


def match(detections: np.ndarray, positive_ends: np.ndarray, match_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Greedy in time order: each positive takes the first unused detection in its window.
    Returns (hit flag per positive, false-accept flag per detection)."""
    hit = np.zeros(len(positive_ends), bool)
    used = np.zeros(len(detections), bool)
    for p in np.argsort(positive_ends, kind="stable"):
        window = (detections >= positive_ends[p]) & (detections <= positive_ends[p] + match_steps) & ~used
        candidates = np.flatnonzero(window)
        if len(candidates):
            used[candidates[0]] = True
            hit[p] = True
    return hit, ~used


@dataclass(frozen=True)
class EventCounts:
    positives: int
    misses: int
    false_accepts: int
    hours: float

    @property
    def frr(self) -> float:
        return self.misses / self.positives if self.positives else 0.0

    @property
    def fa_per_hour(self) -> float:
        return self.false_accepts / self.hours if self.hours else 0.0


def count_events(
    probabilities: np.ndarray, positive_ends: list[np.ndarray], threshold: float, spec: EventSpec, hours: float
) -> EventCounts:
    """Totals over a set of clips: probabilities (n, Ty), positive end steps per clip."""
    return Smoothed(probabilities, positive_ends, spec).counts(threshold, hours)


class Smoothed:
    """A set of clips' smoothed outputs, ready to be counted at many thresholds: a clip whose output never
    reaches a threshold fires nothing there and misses all its positives, so only the others are walked."""

    def __init__(self, probabilities: np.ndarray, positive_ends: list[np.ndarray], spec: EventSpec):
        self.rows, self.ends, self.spec = smooth(probabilities, spec.smoothing_steps), positive_ends, spec
        self.peaks = self.rows.max(axis=-1) if self.rows.size else np.zeros(len(positive_ends))
        self.positives = int(sum(len(e) for e in positive_ends))

    def counts(self, threshold: float, hours: float) -> EventCounts:
        misses, false_accepts = self.positives, 0
        for i in np.flatnonzero(self.peaks >= threshold):
            hit, fa = match(
                detect(self.rows[i], threshold, self.spec.refractory_steps), self.ends[i], self.spec.match_steps
            )
            misses -= int(hit.sum())
            false_accepts += int(fa.sum())
        return EventCounts(self.positives, misses, false_accepts, hours)


def sweep(
    probabilities: np.ndarray, positive_ends: list[np.ndarray], thresholds: np.ndarray, spec: EventSpec, hours: float
) -> list[dict]:
    """One DET point per threshold: false-reject rate and false accepts per hour."""
    smoothed, rows = Smoothed(probabilities, positive_ends, spec), []
    for threshold in thresholds:
        c = smoothed.counts(float(threshold), hours)
        rows.append(
            {
                "threshold": float(threshold),
                "frr": c.frr,
                "fa_per_hour": c.fa_per_hour,
                "misses": c.misses,
                "false_accepts": c.false_accepts,
                "positives": c.positives,
            }
        )
    return rows


def operating_point(det: list[dict], target_fa_per_hour: float) -> dict:
    """Lowest miss rate with at most the target false accepts per hour (ties: higher threshold);
    if no threshold meets the target, the one with the fewest false accepts."""
    meeting = [row for row in det if row["fa_per_hour"] <= target_fa_per_hour]
    if meeting:
        return min(meeting, key=lambda r: (r["frr"], -r["threshold"]))
    return min(det, key=lambda r: (r["fa_per_hour"], r["frr"]))


def positive_outcomes(
    probabilities: np.ndarray, positive_ends: list[np.ndarray], threshold: float, spec: EventSpec
) -> tuple[np.ndarray, np.ndarray]:
    """Per positive, clip by clip in end order: the peak smoothed output inside its match window (how sure
    the detector got, whatever the threshold) and whether it was hit at `threshold`."""
    smoothed = smooth(probabilities, spec.smoothing_steps)
    peaks: list[float] = []
    hits: list[bool] = []
    for row, ends in zip(smoothed, positive_ends):
        hit, _ = match(detect(row, threshold, spec.refractory_steps), ends, spec.match_steps)
        hits += hit.tolist()
        peaks += [float(row[e : e + spec.match_steps + 1].max()) if e < len(row) else 0.0 for e in ends]
    return np.asarray(peaks, np.float64), np.asarray(hits, bool)


def clips_correct(
    probabilities: np.ndarray, positive_ends: list[np.ndarray], threshold: float, spec: EventSpec
) -> np.ndarray:
    """Per clip: True when every positive is detected and nothing else fires (a clip without
    positives is right when it stays silent). One Bernoulli outcome per clip, so a share of
    correct clips has a proper binomial (Wilson) interval."""
    smoothed = smooth(probabilities, spec.smoothing_steps)
    out = np.zeros(len(positive_ends), bool)
    for i, (row, ends) in enumerate(zip(smoothed, positive_ends)):
        hit, fa = match(detect(row, threshold, spec.refractory_steps), ends, spec.match_steps)
        out[i] = bool(hit.all()) and not fa.any()
    return out


def threshold_grid(count: int) -> np.ndarray:
    """`count` thresholds evenly spaced in logit space from 0.018 to 0.9997: dense near 1, where a
    confident detector's operating points at under 1 false accept per hour lie."""
    return 1.0 / (1.0 + np.exp(-np.linspace(-4.0, 8.0, count)))
