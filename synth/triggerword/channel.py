"""Channel effects on a whole rendered example, with audiomentations: a band-pass (telephone, small
loudspeaker, cheap microphone) and clipping (an overdriven input).

Recipes hold every draw (centre frequency, bandwidth, rolloff, clipping percentile; 0 = off), so
rendering applies the library's transforms with those parameters frozen and stays deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChannelSpec:
    """Probabilities and ranges of the channel draws (params.yaml synthesise.channel)."""

    bandpass_probability: float
    bandpass_center_hz: tuple[float, float]
    bandpass_bandwidth_fraction: tuple[float, float]  # of the centre frequency
    clipping_probability: float
    clipping_percentile: tuple[int, int]  # share of samples (in %) that end up clipped


@dataclass(frozen=True)
class ChannelDraws:
    center_hz: np.ndarray  # float32, 0 = no band-pass
    bandwidth_hz: np.ndarray  # float32
    rolloff_db: np.ndarray  # int16: 12 or 24 dB per octave
    clip_percentile: np.ndarray  # int8, 0 = no clipping


def draw_channel(n: int, spec: ChannelSpec, rng: np.random.Generator) -> ChannelDraws:
    """n examples' channel draws; the number of rng draws does not depend on the probabilities."""
    bandpass = rng.random(n) < spec.bandpass_probability
    center = rng.uniform(*spec.bandpass_center_hz, n)
    bandwidth = center * rng.uniform(*spec.bandpass_bandwidth_fraction, n)
    rolloff = np.where(rng.random(n) < 0.5, 12, 24)
    clipping = rng.random(n) < spec.clipping_probability
    percentile = rng.integers(spec.clipping_percentile[0], spec.clipping_percentile[1] + 1, n)
    return ChannelDraws(
        center_hz=np.where(bandpass, center, 0.0).astype(np.float32),
        bandwidth_hz=np.where(bandpass, bandwidth, 0.0).astype(np.float32),
        rolloff_db=np.where(bandpass, rolloff, 0).astype(np.int16),
        clip_percentile=np.where(clipping, percentile, 0).astype(np.int8),
    )


def apply_channel(
    audio: np.ndarray, sample_rate: int, center_hz: float, bandwidth_hz: float, rolloff_db: int, clip_percentile: int
) -> np.ndarray:
    """One example through its drawn channel (a no-op when both effects are off)."""
    from audiomentations import BandPassFilter, ClippingDistortion

    out = np.ascontiguousarray(audio, dtype=np.float32)
    if center_hz > 0:
        low = max(center_hz - bandwidth_hz / 2, 20.0)  # butter() needs 0 < low < high < nyquist
        band = BandPassFilter(p=1.0)
        band.parameters = {
            "should_apply": True,
            "center_freq": (low + center_hz + bandwidth_hz / 2) / 2,
            "bandwidth": center_hz + bandwidth_hz / 2 - low,
            "rolloff": int(rolloff_db),
        }
        band.freeze_parameters()
        out = band(out, sample_rate)
    if clip_percentile > 0:
        clip = ClippingDistortion(p=1.0)
        clip.parameters = {"should_apply": True, "percentile_threshold": int(clip_percentile)}
        clip.freeze_parameters()
        out = clip(out, sample_rate)
    return out
