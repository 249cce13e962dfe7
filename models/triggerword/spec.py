"""Settings of the two trigger-word model families (params.yaml `model:`), torch-free so params can be
read without torch: the lecture's Conv1D + GRU on spectrograms, and a small head on frozen speech embeddings."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from synth.common.spec import PositiveInt, Spec

Dropout = Annotated[float, Field(ge=0, lt=1)]


class LectureSpec(Spec):
    conv_filters: PositiveInt
    conv_kernel: PositiveInt
    conv_stride: PositiveInt
    gru_units: PositiveInt
    gru_layers: PositiveInt
    dropout: Dropout

    def output_steps(self, frames: int) -> int:
        """Ty for Tx feature frames: the conv has no padding (5511 -> 1375 for kernel 15, stride 4)."""
        return (frames - self.conv_kernel) // self.conv_stride + 1


class EmbeddingSpec(Spec):
    """A head over `window` speech embeddings (80 ms each): openWakeWord's fully connected form."""

    window: Annotated[int, Field(ge=2, le=64, strict=True)]  # 16 x 80 ms = 1.28 s of embeddings (~2 s of audio)
    hidden: PositiveInt
    layers: PositiveInt  # hidden layers after the first (the window-wide one)
    dropout: Dropout
    ones_after_end: PositiveInt  # 80 ms steps labelled 1 right after each positive ends
    ignore_after_ones: Annotated[int, Field(ge=0, strict=True)]  # steps after those left out of the loss


class ModelParams(Spec):
    family: Literal["lecture", "embedding"]
    lecture: LectureSpec
    embedding: EmbeddingSpec
