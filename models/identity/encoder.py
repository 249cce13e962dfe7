"""Identity encoders (item -> unit vector) and the FaceNet triplet loss.

AudioEncoder: waveform -> log-mel -> per-utterance normalisation -> small CNN -> 128-d unit vector.
GE2EProjection: waveform -> frozen pretrained GE2E (Resemblyzer) -> trained affine map -> unit vector:
a few dozen training speakers cannot teach a network from scratch what thousands taught GE2E, but they
can teach it which directions of its space are package, channel and language rather than person.
Images use models/image_encoder.ImageEncoder. Both end in L2 normalisation, so squared distances
lie in [0, 4] and the margin alpha has the same meaning for every modality.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from models.identity.spec import EncoderSpec
from synth.common.features import Features, FeatureSpec


class AudioEncoder(torch.nn.Module):
    """25 ms windows, 10 ms hop; conv blocks halve time and frequency; mean+max pooling over both
    keeps the embedding independent of the clip's length."""

    def __init__(self, spec: EncoderSpec):
        super().__init__()
        sr = spec.sample_rate
        self.features = Features(
            FeatureSpec(
                sample_rate=sr,
                n_fft=int(0.025 * sr),
                hop_length=int(0.010 * sr),
                kind="logmel",
                n_mels=spec.n_mels,
                spec_augment=True,
                freq_mask=spec.n_mels // 8,
                time_mask=10,
            )
        )
        blocks, c_in = [], 1
        for c_out in spec.channels:
            blocks += [
                torch.nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                torch.nn.BatchNorm2d(c_out),
                torch.nn.ReLU(inplace=True),
                torch.nn.MaxPool2d(2, ceil_mode=True),
            ]
            c_in = c_out
        self.cnn = torch.nn.Sequential(*blocks)
        # BatchNorm before the projection spreads even an untrained encoder's outputs over the sphere;
        # without it they start bunched together and online batch-hard mining collapses to loss = margin.
        self.head = torch.nn.Sequential(torch.nn.BatchNorm1d(2 * c_in), torch.nn.Linear(2 * c_in, spec.dim))

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        x = self.features(waveforms)  # (B, mels, frames) in dB
        x = (x - x.mean(dim=(1, 2), keepdim=True)) / (x.std(dim=(1, 2), keepdim=True) + 1e-5)
        x = self.cnn(x.unsqueeze(1)).flatten(2)  # (B, C, positions)
        x = torch.cat([x.mean(-1), x.amax(-1)], dim=1)
        return F.normalize(self.head(x), dim=1)


class GE2EProjection(torch.nn.Module):
    """The affine map starts orthogonal (distances of the pretrained space kept, up to the cut to `dim`)."""

    def __init__(self, spec: EncoderSpec):
        super().__init__()
        from models.identity.pretrained_speaker import GE2EFrontEnd

        self.frontend = GE2EFrontEnd(spec.sample_rate)
        self.head = torch.nn.Linear(256, spec.dim)
        torch.nn.init.orthogonal_(self.head.weight)
        torch.nn.init.zeros_(self.head.bias)

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.head(self.frontend(waveforms)), dim=1)


def build_encoder(spec: EncoderSpec) -> torch.nn.Module:
    if spec.modality == "audio":
        return GE2EProjection(spec) if spec.frontend == "ge2e" else AudioEncoder(spec)
    if spec.modality == "image":
        from models.identity.image_encoder import ImageEncoder

        return ImageEncoder(dim=spec.dim, backbone=spec.image_backbone, pretrained=spec.pretrained)
    raise ValueError(f"unknown modality {spec.modality!r}: expected audio or image")


def triplet_loss(
    embeddings: torch.Tensor, anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float
) -> tuple[torch.Tensor, float]:
    """FaceNet: mean over triplets of max(|f(A)-f(P)|^2 - |f(A)-f(N)|^2 + alpha, 0), and the share
    of triplets with a non-zero loss (when it falls towards 0, mining has run out of information)."""
    if len(anchor) == 0:
        return embeddings.sum() * 0.0, 0.0
    a, p, n = embeddings[anchor], embeddings[positive], embeddings[negative]
    losses = F.relu((a - p).pow(2).sum(1) - (a - n).pow(2).sum(1) + margin)
    return losses.mean(), float((losses > 0).float().mean())
