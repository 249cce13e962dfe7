"""The base of every settings object: typed, range-checked, frozen, unknown keys refused.

Subclasses declare fields without defaults: params.yaml is the one place a default lives, and
pipeline.common.params builds these objects from it (errors name the key, e.g. `model.dropout`).
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, Strict

Int = Annotated[int, Strict()]  # 3 is an int; 3.0, "3" and true are not
PositiveInt = Annotated[int, Strict(), Field(ge=1)]
Count = Annotated[int, Strict(), Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def replace(self, **changes) -> Self:
        """A validated copy with some fields changed (dataclasses.replace for specs)."""
        return type(self).model_validate({**self.model_dump(), **changes})
