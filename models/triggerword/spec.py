"""Settings of the lecture's network (params.yaml `model:`), torch-free so params can be read without torch."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from synth.common.spec import PositiveInt, Spec


class LectureSpec(Spec):
    conv_filters: PositiveInt
    conv_kernel: PositiveInt
    conv_stride: PositiveInt
    gru_units: PositiveInt
    gru_layers: PositiveInt
    dropout: Annotated[float, Field(ge=0, lt=1)]

    def output_steps(self, frames: int) -> int:
        """Ty for Tx feature frames: the conv has no padding (5511 -> 1375 for kernel 15, stride 4)."""
        return (frames - self.conv_kernel) // self.conv_stride + 1
