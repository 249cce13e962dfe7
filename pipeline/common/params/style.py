"""params.yaml `style:`: the style-transfer operator's settings plus `augment:` for daynight_stylize."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from pipeline.common.params.fields import Unique
from synth.common.spec import Int, PositiveInt, Spec
from synth.common.style_spec import StyleConfig


class AugmentParams(Spec):
    share: Annotated[float, Field(gt=0, le=1)]  # of the day/night training images, per label
    styles: Annotated[tuple[str, ...], Field(min_length=1), Unique]  # names of daynight_stylize's style images
    steps: PositiveInt
    size: Annotated[Int, Field(ge=16)]


class StyleParams(StyleConfig):
    augment: AugmentParams

    def transfer(self) -> StyleConfig:
        """The operator's settings (everything but `augment`)."""
        return StyleConfig.model_validate(self.model_dump(exclude={"augment"}))
