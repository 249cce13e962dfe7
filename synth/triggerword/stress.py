"""Long stress files: spoken takes at random, non-overlapping times over one background, levels drawn wide.

Built the way an independent evaluation set would be, and unlike the training recipes: a file is tens of
seconds, each take gets its own SNR from a wide range, the whole file its own level, and nothing is
aligned to a 10-s grid. Pure numpy: the caller brings the audio (all at one rate) and the generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FULL_SCALE = 0.99  # a mix whose peak would pass this is scaled down as a whole (SNRs are kept)


@dataclass(frozen=True)
class StressSpec:
    rate: int
    samples: int
    snr_db: tuple[float, float]  # take RMS over background RMS, per take
    level_dbfs: tuple[float, float]  # background RMS of the file
    min_gap_samples: int


@dataclass(frozen=True)
class Placed:
    index: int  # position of the take in the caller's list
    start: int  # sample
    end: int  # sample after its last
    snr_db: float


def place(lengths: list[int], spec: StressSpec, rng: np.random.Generator) -> list[int]:
    """Start samples of takes of `lengths`, in a random order, apart by at least the minimum gap."""
    order = rng.permutation(len(lengths))
    free = spec.samples - sum(lengths) - spec.min_gap_samples * (len(lengths) + 1)
    if free < 0:
        raise ValueError(f"{len(lengths)} takes of {sum(lengths)} samples do not fit in {spec.samples}")
    offsets = np.sort(rng.integers(0, free + 1, size=len(lengths)))
    starts = [0] * len(lengths)
    cursor = spec.min_gap_samples
    for slot, take in enumerate(order):
        starts[take] = cursor + int(offsets[slot])
        cursor += lengths[take] + spec.min_gap_samples
    return starts


def compose(
    background: np.ndarray, takes: list[np.ndarray], spec: StressSpec, rng: np.random.Generator
) -> tuple[np.ndarray, list[Placed]]:
    """(mix, where each take went): `background` (spec.samples long) at a drawn level, each take at a drawn
    SNR against the background's RMS, the sum kept under full scale."""
    if len(background) != spec.samples:
        raise ValueError(f"background of {len(background)} samples, expected {spec.samples}")
    level = 10 ** (rng.uniform(*spec.level_dbfs) / 20)
    bg_rms = max(float(np.sqrt(np.mean(np.square(background, dtype=np.float64)))), 1e-6)
    mix = background.astype(np.float64) * (level / bg_rms)
    placed = []
    for index, (take, start) in enumerate(zip(takes, place([len(t) for t in takes], spec, rng))):
        snr = float(rng.uniform(*spec.snr_db))
        take_rms = max(float(np.sqrt(np.mean(np.square(take, dtype=np.float64)))), 1e-6)
        mix[start : start + len(take)] += take * (level * 10 ** (snr / 20) / take_rms)
        placed.append(Placed(index, start, start + len(take), round(snr, 2)))
    peak = float(np.abs(mix).max())
    if peak > FULL_SCALE:
        mix *= FULL_SCALE / peak
    return mix.astype(np.float32), placed
