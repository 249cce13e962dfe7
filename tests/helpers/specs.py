"""Settings objects for unit tests, built from the project's params.yaml (the one place defaults live)."""

from __future__ import annotations

import dataclasses
from functools import cache

from models.identity.spec import EncoderSpec
from models.identity.training import TripletTrainConfig
from models.triggerword.spec import EmbeddingSpec, LectureSpec
from pipeline.common.params import Params, load_params
from pipeline.identity.data import encoder_spec as identity_encoder_spec
from pipeline.identity.train import train_config as identity_train_config
from pipeline.triggerword.train import feature_spec as train_feature_spec
from synth.common.features import FeatureSpec
from synth.common.style_spec import StyleConfig
from tests.helpers.project import REPO


@cache
def project_params() -> Params:
    return load_params(REPO / "params.yaml")


def lecture(**changes) -> LectureSpec:
    """params.yaml's `model.lecture:` with some fields changed."""
    return project_params().model.lecture.replace(**changes)


def embedding_spec(**changes) -> EmbeddingSpec:
    """params.yaml's `model.embedding:` with some fields changed."""
    return project_params().model.embedding.replace(**changes)


def feature_spec(sample_rate: int, **changes) -> FeatureSpec:
    """The train stage's front end from params.yaml at `sample_rate`, SpecAugment off unless asked for."""
    changes = {"sample_rate": sample_rate, "spec_augment": False, **changes}
    return dataclasses.replace(train_feature_spec(project_params()), **changes)


def triplet_config(**changes) -> TripletTrainConfig:
    """What identity_train builds from params.yaml's `identity:` (seed 0), with some fields changed."""
    return dataclasses.replace(identity_train_config(project_params().identity, seed=0), **changes)


def style_config(**changes) -> StyleConfig:
    """params.yaml's style-transfer settings (`style:` without `augment`) with some fields changed."""
    return project_params().style.transfer().replace(**changes)


def encoder_spec(**changes) -> EncoderSpec:
    """The encoder identity_train builds from params.yaml's `identity:` (not pretrained), some fields changed."""
    return identity_encoder_spec(project_params().identity, pretrained=False).replace(**changes)
