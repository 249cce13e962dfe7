"""Inserts placed as people talk: each line a drawn pause after the previous one's end, some overlapping.

The streams' conversation clips (recorded speech back to back) use this instead of the spread-apart placement
of synth/triggerword/recipes.py: false accepts on dense, overlapping real speech are what a deployed detector
meets for hours.
"""

from __future__ import annotations

import numpy as np


def back_to_back(
    length: np.ndarray,
    active: np.ndarray,
    pause_samples: tuple[int, int],
    room: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(start, kept) of (n, K) inserts whose active slots come first. A clip opens within the longest pause,
    each next slot starts a uniform pause after the previous slot's end; a negative pause overlaps, by at
    most half of the earlier slot, so slots stay in time order. Slots from the first that would end past
    `room` on are dropped."""
    lo, hi = pause_samples
    pause = np.floor(lo + rng.random(length.shape) * (hi - lo + 1)).astype(np.int64)
    pause = np.maximum(pause, -(length // 2))
    lead = np.floor(rng.random(len(length)) * (max(hi, 0) + 1)).astype(np.int64)
    step = length + pause  # one slot's start to the next one's
    start = lead[:, None] + np.cumsum(step, axis=1) - step
    kept = np.cumprod(active & (start + length <= room), axis=1).astype(bool)
    return np.where(kept, start, 0), kept


def peak_bound(start: np.ndarray, length: np.ndarray, peak: np.ndarray) -> np.ndarray:
    """(n,) the largest sum of insert peaks sounding at once. The set of sounding inserts only grows at an
    insert's start, so the maximum is at one: the inserts that started by then and have not ended. Without
    overlaps this is the largest single peak, exactly."""
    starts_at, ends_at = start[:, :, None], (start + length)[:, :, None]
    sounding = (start[:, None, :] <= starts_at) & (starts_at < ends_at.transpose(0, 2, 1))
    return (sounding * peak[:, None, :]).sum(axis=2).max(axis=1, initial=0.0)
