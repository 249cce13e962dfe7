"""Settings of neural style transfer (params.yaml `style:`), torch-free so params can be read without torch."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from synth.common.spec import Count, Int, PositiveFloat, Spec

MOBILENET_BLOCKS = 19  # mobilenet_v2().features has blocks 0..18
Block = Annotated[int, Field(ge=0, le=MOBILENET_BLOCKS - 1)]


class StyleConfig(Spec):
    content_layer: Block  # its activations keep the photo's layout
    style_layers: Annotated[tuple[Block, ...], Field(min_length=1)]  # Gram matrices define the style
    alpha: Annotated[float, Field(ge=0)]  # content weight
    beta: Annotated[float, Field(ge=0)]  # style weight
    tv_weight: Annotated[float, Field(ge=0)]  # total variation
    steps: Annotated[Int, Field(ge=1)]
    size: Annotated[Int, Field(ge=32)]  # longer side of both images, pixels
    optimizer: Literal["lbfgs", "adam"]
    init: Literal["content", "noise"]
    lr: PositiveFloat
    seed: Count
