"""Vocoder resynthesis of one insert: a voice heard through a parametric vocoder, its formants moved.

Statistical-parametric TTS (HTS, clustergen) speaks through a vocoder: a pulse/noise excitation shaped by a
smooth spectral envelope, with a narrow pitch contour. Voices of that kind are the ones the detector misses
most, and the training engines (espeak-ng's formant synthesiser, Kokoro's neural one) have none. So a drawn
share of training inserts is analysed and resynthesised with WORLD (pyworld: DIO + StoneMask pitch,
CheapTrick envelope, D4C aperiodicity), the envelope warped along frequency (a formant ratio: another vocal
tract length) and the pitch contour narrowed around its median. Positives and negatives get it alike, so
"vocoded" says nothing about the label. Recipes hold the draws (0 = dry): rendering stays deterministic.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from synth.common.audio import resample

ANALYSIS_RATE = 16_000  # parametric TTS voices are mostly 16 kHz; WORLD costs ~3x less than at 44.1 kHz
FRAME_MS = 10.0  # WORLD frames: half the cost of its 5-ms default, ample for a voice change
NO_VOCODER = 0.0


@dataclass(frozen=True)
class VocoderSpec:
    """Probability and ranges of the vocoder draws (params.yaml synthesise.vocoder)."""

    probability: float = 0.0
    formant_ratio: tuple[float, float] = (1.0, 1.0)  # > 1: shorter vocal tract (formants up)
    pitch_range: tuple[float, float] = (1.0, 1.0)  # < 1: a flatter contour around the median


@dataclass(frozen=True)
class VocoderDraws:
    formant_ratio: np.ndarray  # float32 (n, K), NO_VOCODER = dry
    pitch_range: np.ndarray  # float32 (n, K)


def draw_vocoder(active: np.ndarray, spec: VocoderSpec, rng: np.random.Generator) -> VocoderDraws:
    """Per insert slot; the number of rng draws does not depend on the probability or on `active`."""
    shape = active.shape
    on = (rng.random(shape) < spec.probability) & active
    ratio = rng.uniform(*spec.formant_ratio, shape)
    pitch_range = rng.uniform(*spec.pitch_range, shape)
    return VocoderDraws(
        formant_ratio=np.where(on, ratio, NO_VOCODER).astype(np.float32),
        pitch_range=np.where(on, pitch_range, NO_VOCODER).astype(np.float32),
    )


def vocode(audio: np.ndarray, sample_rate: int, formant_ratio: float, pitch_range: float) -> np.ndarray:
    """`audio` resynthesised through WORLD at 16 kHz, back at `sample_rate`: same length, peak no higher."""
    with warnings.catch_warnings():  # pyworld 0.3.5 imports pkg_resources for its version string
        warnings.simplefilter("ignore", UserWarning)
        import pyworld

    dry = np.asarray(audio, np.float64)  # int16 bank samples or floats: the output keeps their scale
    dry_peak = float(np.abs(dry).max(initial=0.0))
    if dry_peak == 0:
        return dry.astype(np.float32)
    x = resample(dry / dry_peak, sample_rate, ANALYSIS_RATE).astype(np.float64)  # WORLD expects |x| <= 1
    f0, times = pyworld.dio(x, ANALYSIS_RATE, frame_period=FRAME_MS)
    f0 = pyworld.stonemask(x, f0, times, ANALYSIS_RATE)
    envelope = pyworld.cheaptrick(x, f0, times, ANALYSIS_RATE)
    aperiodicity = pyworld.d4c(x, f0, times, ANALYSIS_RATE)
    y = pyworld.synthesize(
        narrow_pitch(f0, pitch_range), warp_envelope(envelope, formant_ratio), aperiodicity, ANALYSIS_RATE, FRAME_MS
    )
    out = fit_length(resample(np.nan_to_num(y), ANALYSIS_RATE, sample_rate), len(dry)).astype(np.float64)
    peak = float(np.abs(out).max(initial=0.0))
    return (out * dry_peak / max(peak, 1.0)).astype(np.float32)  # peak no higher than the dry clip's


def warp_envelope(envelope: np.ndarray, ratio: float) -> np.ndarray:
    """Each frame's envelope stretched along frequency by `ratio` (bin k takes the value at k / ratio)."""
    bins = np.arange(envelope.shape[1], dtype=np.float64)
    source = np.clip(bins / ratio, 0, bins[-1])
    low = np.floor(source).astype(np.int64)
    high = np.minimum(low + 1, len(bins) - 1)
    weight = source - low
    return np.ascontiguousarray(envelope[:, low] * (1 - weight) + envelope[:, high] * weight)


def narrow_pitch(f0: np.ndarray, factor: float) -> np.ndarray:
    """Voiced frames' log-f0 pulled towards its median by `factor` (1 = unchanged); unvoiced stay 0."""
    voiced = f0 > 0
    if not voiced.any():
        return f0
    log_f0 = np.log(f0[voiced])
    centre = np.median(log_f0)
    out = f0.copy()
    out[voiced] = np.exp(centre + (log_f0 - centre) * factor)
    return out


def fit_length(audio: np.ndarray, length: int) -> np.ndarray:
    """Cut or zero-pad to `length` samples (WORLD rounds the length to whole frames)."""
    if len(audio) >= length:
        return audio[:length]
    return np.pad(audio, (0, length - len(audio)))
