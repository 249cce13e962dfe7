"""params.yaml `daynight:`: photos, synthetic nights, the shallow CNN and its studies."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from pipeline.common.params.errors import check
from pipeline.common.params.fields import Device, SplitFractions
from synth.common.spec import Count, Int, PositiveFloat, PositiveInt, Spec

Pixels = Annotated[Int, Field(ge=8)]
SOURCE_KEYS = {"root", "globs", "one_per_dir", "licence"}


def _photo_source(spec: dict) -> dict:
    if "root" not in spec or not isinstance(spec.get("globs"), list) or not set(spec) <= SOURCE_KEYS:
        raise ValueError("needs root and a list of globs (optional: one_per_dir, licence)")
    return spec


def _pipelines(pipelines: dict) -> dict:
    if set(pipelines) != {"day", "night"}:
        raise ValueError(f"needs day and night, got {sorted(pipelines)}")
    for name, spec in pipelines.items():
        if not isinstance(spec.get("transform"), dict):
            raise ValueError(f"{name}: expected albumentations A.to_dict output: {{transform: {{...}}}}")
    return pipelines


class DayNightTrainParams(Spec):
    resolution: Pixels  # px the model sees
    epochs: PositiveInt
    batch_size: PositiveInt
    learning_rate: PositiveFloat
    width: PositiveInt
    blocks: PositiveInt
    device: Device


class DayNightStudyParams(Spec):
    resolutions: Annotated[tuple[Pixels, ...], Field(min_length=1)]
    epsilon: Annotated[float, Field(ge=0, lt=1)]
    fractions: Annotated[tuple[Annotated[float, Field(gt=0, le=1)], ...], Field(min_length=2)]
    target_accuracy: Annotated[float, Field(gt=0.5, lt=1)]


class DayNightParams(Spec):
    size: Int
    min_side: Annotated[Int, Field(ge=64)]
    jpeg_quality: Annotated[Int, Field(ge=1, le=100)]
    max_photos: Count
    variants_per_class: PositiveInt
    split_fractions: SplitFractions
    sources: dict[str, Annotated[dict[str, Any], AfterValidator(_photo_source)]]
    exclude: tuple[str, ...]
    night: tuple[str, ...]
    folders: tuple[str, ...]
    pipelines: Annotated[dict[str, dict[str, Any]], AfterValidator(_pipelines)]
    train: DayNightTrainParams
    study: DayNightStudyParams

    @model_validator(mode="after")
    def _sizes(self):
        check(self.size >= self.min_side, "size", "must be >= daynight.min_side")
        check(
            all(r <= self.size for r in self.study.resolutions),
            "study.resolutions",
            f"cannot exceed daynight.size = {self.size}",
        )
        check(self.train.resolution <= self.size, "train.resolution", f"cannot exceed daynight.size = {self.size}")
        return self
