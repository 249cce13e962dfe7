"""Settings of the identity encoders (params.yaml `identity.encoder:`), torch-free."""

from __future__ import annotations

from typing import Literal

from synth.common.spec import PositiveInt, Spec


class EncoderSettings(Spec):
    frontend: Literal["mel", "ge2e"]  # audio: log-mel + CNN, or a projection on frozen pretrained GE2E
    dim: PositiveInt
    n_mels: PositiveInt
    channels: tuple[PositiveInt, ...]
    image_backbone: Literal["mobilenet_v2", "small_cnn"]
    image_size: PositiveInt


class EncoderSpec(EncoderSettings):
    """What build_encoder needs: the settings plus the data's modality and rate (saved with the weights)."""

    modality: Literal["audio", "image"]
    sample_rate: PositiveInt
    pretrained: bool
