"""Labels computed from recipes: ones for a few output steps right after each positive ends."""

from __future__ import annotations

import numpy as np


def end_steps(insert_start: np.ndarray, insert_length: np.ndarray, clip_samples: int, ty: int) -> np.ndarray:
    """Output step at which each insert ends (the lecture's int(end_ms * Ty / 10000))."""
    end = insert_start + insert_length
    return (end * ty) // clip_samples


def label_matrix(
    insert_start: np.ndarray,
    insert_length: np.ndarray,
    insert_positive: np.ndarray,
    clip_samples: int,
    ty: int,
    ones_after_end: int,
) -> np.ndarray:
    """(n, K) inserts -> (n, ty) float32 labels: y[e+1 : e+1+ones_after_end] = 1 for each positive
    ending at step e (clipped at the end of the clip), 0 elsewhere."""
    first = end_steps(insert_start, insert_length, clip_samples, ty) + 1  # (n, K)
    steps = np.arange(ty)[None, None, :]
    on = (steps >= first[..., None]) & (steps < first[..., None] + ones_after_end) & insert_positive[..., None]
    return on.any(axis=1).astype(np.float32)
