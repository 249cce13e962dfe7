"""Short training windows cut from whole clips' embeddings (train.head.crop_steps).

A 10 s clip gives the head 125 outputs, most of them over background the head already rejects; a crop of
a few seconds around a positive's end keeps what it learns from (the word's approach, its end, what comes
after) at a fraction of the cost, and where the word lands inside the window varies from epoch to epoch.
The embeddings are the whole clip's, so a crop's first outputs still see the audio before it.
"""

from __future__ import annotations

import numpy as np


def crop_starts(labels: np.ndarray, steps: int, rng: np.random.Generator) -> np.ndarray:
    """(n, T) step labels -> (n,) first output step of each clip's crop of `steps` outputs.

    A clip with label ones is cut around one run of them, drawn at random, with the run's first step at a
    random place in the crop's last three quarters (so the word's approach is in it too); a clip without
    ones anywhere in it. Every crop lies inside its clip."""
    n, total = labels.shape
    if steps >= total:
        return np.zeros(n, np.int64)
    ones = labels > 0
    onsets = ones & ~np.pad(ones, ((0, 0), (1, 0)))[:, :-1]  # the first step of each run of ones
    starts = rng.integers(0, total - steps + 1, size=n)
    before = rng.integers(steps // 4, steps, size=n)  # the onset's place inside the crop
    for i in np.flatnonzero(onsets.any(axis=1)):
        onset = rng.choice(np.flatnonzero(onsets[i]))
        starts[i] = min(max(onset - before[i], 0), total - steps)
    return starts


def crop(steps_array: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """(n, T, ...) -> (n, length, ...): row i's steps starts[i] .. starts[i] + length - 1."""
    index = starts[:, None] + np.arange(length)[None, :]
    return np.asarray(steps_array)[np.arange(len(starts))[:, None], index]
