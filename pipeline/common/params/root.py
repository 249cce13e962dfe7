"""The whole params.yaml as one `Params` object, and the one function that reads it."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import ValidationError, model_validator

from models.triggerword.spec import ModelParams
from pipeline.common.params.data_value import DataValueParams
from pipeline.common.params.daynight import DayNightParams
from pipeline.common.params.errors import ParamsError, check, describe
from pipeline.common.params.identity import IdentityParams
from pipeline.common.params.style import StyleParams
from pipeline.common.params.triggerword import (
    AblateParams,
    AudioParams,
    AuditParams,
    CollectParams,
    EmbedParams,
    EvaluateParams,
    FeatureParams,
    LabelParams,
    MineParams,
    StressParams,
    StudiesParams,
    SynthParams,
    TargetsParams,
    TrainParams,
    ValidateParams,
    check_rates,
)
from synth.common.spec import Count, Spec

DEFAULT_PARAMS = Path("params.yaml")
S = TypeVar("S", bound=Spec)


with warnings.catch_warnings():  # the `validate:` section shadows BaseModel.validate (deprecated): intended
    warnings.filterwarnings("ignore", message='Field name "validate"')

    class Params(Spec):
        seed: Count
        audio: AudioParams
        collect: CollectParams
        audit: AuditParams
        synthesise: SynthParams
        features: FeatureParams
        labels: LabelParams
        model: ModelParams
        train: TrainParams
        embed: EmbedParams
        mine: MineParams
        ablate: AblateParams
        data_value: DataValueParams
        stress: StressParams
        evaluate: EvaluateParams
        targets: TargetsParams
        validate: ValidateParams
        studies: StudiesParams
        style: StyleParams
        daynight: DayNightParams
        identity: IdentityParams

        @model_validator(mode="after")
        def _consistent(self):
            self._inserts_fit()
            check_rates(self.studies.audio_rate, self.audio, self.features)
            frames = self.features.frames(self.audio.clip_samples)
            steps = self.model.lecture.output_steps(frames)
            check(
                steps == self.labels.ty,
                "labels.ty",
                f"{self.labels.ty} but the model maps {frames} frames (audio, "
                f"features) to {steps} output steps (model.lecture.conv_kernel/conv_stride): set labels.ty: {steps}",
            )
            return self

        def _inserts_fit(self) -> None:
            audio, collect, synth = self.audio, self.collect, self.synthesise
            check(
                collect.background_window_seconds >= audio.clip_seconds,
                "collect.background_window_seconds",
                f"{collect.background_window_seconds} s windows cannot hold a {audio.clip_seconds} s example",
            )
            # Inserts that do not fit together are left out per example, but the longest one alone must fit.
            longest = max(collect.max_word_seconds, collect.max_phrase_seconds)
            check(
                longest + synth.end_guard_seconds <= audio.clip_seconds,
                "collect.max_phrase_seconds",
                f"a {longest} s insert (collect.max_word_seconds / max_phrase_seconds) plus the "
                f"{synth.end_guard_seconds} s end guard does not fit in audio.clip_seconds = {audio.clip_seconds}",
            )


def build(cls: type[S], raw: object, source: str | Path = DEFAULT_PARAMS) -> S:
    """Validate a mapping into `cls`; every problem becomes one ParamsError line naming its key."""
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        raise describe(exc, source) from None


def read_yaml(path: str | Path) -> dict:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: not found (run the stage from the repository root)") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: expected a mapping of sections, got {type(raw).__name__}")
    return raw


def load_params(path: str | Path = DEFAULT_PARAMS) -> Params:
    """Read and validate params.yaml; every problem is a ParamsError naming the key."""
    return build(Params, read_yaml(path), path)


def with_change(params: Params, key: str, value: object, source: str) -> Params:
    """`params` with one dotted key set to `value`, validated as params.yaml is (errors name `source`)."""
    raw = params.model_dump()
    *path, last = key.split(".")
    node = raw
    for part in path:
        if not isinstance(node.get(part), dict):
            raise ParamsError(f"{source}: {key}: no such params section {part!r}")
        node = node[part]
    if last not in node:
        raise ParamsError(f"{source}: {key}: no such param")
    node[last] = value
    return build(Params, raw, source)


def merge(base: dict, overlay: dict) -> dict:
    """Deep-merge two raw params mappings; the overlay's values win."""
    out = dict(base)
    for key, value in overlay.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
