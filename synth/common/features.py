"""Waveforms -> model features with torchaudio, on whatever device the waveforms live."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class FeatureSpec:
    """Built from params.yaml `features` (or an encoder's own front end); no defaults but the mask widths."""

    sample_rate: int
    n_fft: int
    hop_length: int
    kind: str  # "spectrogram" or "logmel"
    n_mels: int
    spec_augment: bool
    freq_mask: int = 12
    time_mask: int = 40

    @property
    def n_features(self) -> int:
        return self.n_fft // 2 + 1 if self.kind == "spectrogram" else self.n_mels

    def frames(self, samples: int) -> int:
        return (samples - self.n_fft) // self.hop_length + 1


class Features(torch.nn.Module):
    """Log power spectrogram (or log-mel) without centre padding, so 441 000 samples -> 5511
    frames as in the lecture; SpecAugment masks in training mode when enabled."""

    def __init__(self, spec: FeatureSpec):
        super().__init__()
        import torchaudio.transforms as T

        self.spec = spec
        if spec.kind == "spectrogram":
            self.transform = T.Spectrogram(n_fft=spec.n_fft, hop_length=spec.hop_length, center=False, power=2.0)
        elif spec.kind == "logmel":
            self.transform = T.MelSpectrogram(
                sample_rate=spec.sample_rate,
                n_fft=spec.n_fft,
                hop_length=spec.hop_length,
                n_mels=spec.n_mels,
                center=False,
            )
        else:
            raise ValueError(f"features.kind {spec.kind!r}: expected 'spectrogram' or 'logmel'")
        self.to_db = T.AmplitudeToDB(stype="power", top_db=80.0)
        self.masks = torch.nn.Sequential(T.FrequencyMasking(spec.freq_mask), T.TimeMasking(spec.time_mask))

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        """(batch, samples) -> (batch, n_features, frames)."""
        with torch.autocast(device_type=waveforms.device.type, enabled=False):
            x = self.to_db(self.transform(waveforms.float()) + 1e-10)
        if self.training and self.spec.spec_augment:
            x = self.masks(x)
        return x


class ResampledFeatures(torch.nn.Module):
    """Waveforms at `base_rate` -> the features of the same audio at a lower rate (the sample-rate ladder).

    Resamples on the fly (torchaudio's windowed-sinc resampler, in float32 on any device), analyses
    with the window and hop scaled to the rate (synth.triggerword.sample_rates.rate_features), then resizes the
    time axis linearly to the base rate's frame count, so the model's time axis and labels do not
    change with the rate. SpecAugment masks come after the resize: same widths in time at every rate.
    """

    def __init__(self, settings, base_rate: int, kind: str, n_mels: int, spec_augment: bool, time_mask: int = 40):
        super().__init__()
        import torchaudio.transforms as T

        self.settings = settings
        self.spec = FeatureSpec(
            settings.sample_rate,
            settings.n_fft,
            settings.hop_length,
            kind,
            n_mels,
            spec_augment,
            settings.freq_mask,
            time_mask,
        )
        self.resample = (
            T.Resample(base_rate, settings.sample_rate) if settings.sample_rate != base_rate else torch.nn.Identity()
        )
        self.features = Features(
            FeatureSpec(settings.sample_rate, settings.n_fft, settings.hop_length, kind, n_mels, spec_augment=False)
        )
        self.masks = torch.nn.Sequential(T.FrequencyMasking(max(settings.freq_mask, 1)), T.TimeMasking(time_mask))

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        """(batch, base-rate samples) -> (batch, n_features, target_frames)."""
        with torch.autocast(device_type=waveforms.device.type, enabled=False):
            x = self.features(self.resample(waveforms.float()))
            if x.shape[-1] != self.settings.target_frames:
                x = torch.nn.functional.interpolate(
                    x, size=self.settings.target_frames, mode="linear", align_corners=True
                )
        if self.training and self.spec.spec_augment:
            x = self.masks(x)
        return x
