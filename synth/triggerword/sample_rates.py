"""Feature settings per audio sample rate, for the sample-rate ladder (pure: no torch).

The ladder asks how low the rate can go before the trigger-word model gets worse. To compare
rates and nothing else, every rung keeps the same analysis in *seconds*: the STFT window
(n_fft) and hop scale with the rate, so the frequency bands keep their width in Hz and a lower
rate simply has fewer of them (nothing above its Nyquist frequency). Integer hops cannot always
give exactly the base rate's frame count (44.1 kHz, hop 80 -> 8 kHz would need hop 14.51), so the
features are resized along time to the base count (Tx): the model's time axis, its output steps
(labels.ty) and the labels are the same at every rate; only the number of bands differs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_N_FFT = 16  # as features.n_fft: fewer samples per window leave too few bands to be a spectrum


@dataclass(frozen=True)
class RateFeatures:
    """What the feature front end does at one rate."""

    sample_rate: int
    samples: int  # one clip after resampling
    n_fft: int  # window, scaled with the rate
    hop_length: int  # hop, scaled with the rate (rounded to whole samples)
    n_features: int  # spectrogram bands (n_fft // 2 + 1) or n_mels: the model's input width
    frames: int  # STFT frames of one clip at this rate (no centre padding)
    target_frames: int  # the base rate's frames (Tx): the features are resized to this many
    freq_mask: int  # SpecAugment frequency mask, the same share of the bands as at the base rate

    @property
    def resized(self) -> bool:
        return self.frames != self.target_frames

    @property
    def feature_values(self) -> int:
        """Numbers per clip the model reads (bands x frames): the input-size cost of the rate."""
        return self.n_features * self.target_frames


def resampled_length(samples: int, orig_rate: int, new_rate: int) -> int:
    """Samples after resampling (torchaudio.functional.resample's rule: ceil(new * n / orig))."""
    g = math.gcd(orig_rate, new_rate)
    return math.ceil((new_rate // g) * samples / (orig_rate // g))


def stft_frames(samples: int, n_fft: int, hop_length: int) -> int:
    return (samples - n_fft) // hop_length + 1


def rate_features(
    rate: int,
    base_rate: int,
    clip_samples: int,
    n_fft: int,
    hop_length: int,
    kind: str = "spectrogram",
    n_mels: int = 40,
    freq_mask: int = 12,
) -> RateFeatures:
    """Feature settings at `rate` for clips of `clip_samples` at `base_rate` analysed with `n_fft`/`hop_length`.

    Raises ValueError naming the problem: a rate above the data's (no information to add), or so low
    that the scaled window is too short for a spectrum (or has fewer bands than n_mels).
    """
    if not isinstance(rate, int) or isinstance(rate, bool) or rate <= 0:
        raise ValueError(f"sample rate {rate!r} is not a positive integer (Hz)")
    if rate > base_rate:
        raise ValueError(
            f"{rate} Hz is above the data's {base_rate} Hz (audio.sample_rate): upsampling adds "
            f"no information; use rates <= {base_rate}"
        )
    if kind not in ("spectrogram", "logmel"):
        raise ValueError(f"features.kind {kind!r}: expected 'spectrogram' or 'logmel'")
    scale = rate / base_rate
    n_fft_r = int(round(n_fft * scale))
    hop_r = max(1, int(round(hop_length * scale)))
    if n_fft_r < MIN_N_FFT:
        raise ValueError(
            f"{rate} Hz is too low for features.n_fft = {n_fft} at {base_rate} Hz: the window "
            f"scales to {n_fft_r} samples (< {MIN_N_FFT}); use a higher rate or a larger n_fft"
        )
    bands = n_fft_r // 2 + 1
    if kind == "logmel" and n_mels > bands:
        raise ValueError(
            f"features.n_mels = {n_mels} is more than the {bands} FFT bands at {rate} Hz "
            f"(n_fft {n_fft_r}); use fewer mels, a larger features.n_fft or a higher rate"
        )
    samples = resampled_length(clip_samples, base_rate, rate)
    frames = stft_frames(samples, n_fft_r, hop_r)
    target = stft_frames(clip_samples, n_fft, hop_length)
    if frames < 2 or target < 2:
        raise ValueError(f"a {clip_samples}-sample clip gives {min(frames, target)} frame(s) at {rate} Hz: too short")
    n_features = bands if kind == "spectrogram" else n_mels
    base_features = n_fft // 2 + 1 if kind == "spectrogram" else n_mels
    mask = max(1, int(round(freq_mask * n_features / base_features))) if freq_mask else 0
    return RateFeatures(rate, samples, n_fft_r, hop_r, n_features, frames, target, min(mask, n_features))
