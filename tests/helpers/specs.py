"""Settings objects for unit tests, built from the project's params.yaml (the one place defaults live)."""

from __future__ import annotations

from functools import cache

from models.identity.spec import EncoderSpec
from models.identity.training import TripletTrainConfig
from models.triggerword.spec import LectureSpec
from pipeline.common.params import Params, load_params
from synth.common.features import FeatureSpec
from synth.common.style_spec import StyleConfig
from tests.helpers.project import REPO


@cache
def project_params() -> Params:
    return load_params(REPO / "params.yaml")


def lecture(**changes) -> LectureSpec:
    """params.yaml's `model:` with some fields changed."""
    return project_params().model.replace(**changes)


def feature_spec(sample_rate: int, **changes) -> FeatureSpec:
    """params.yaml's `features:` at `sample_rate`, SpecAugment off unless asked for."""
    f = project_params().features
    values = {
        "n_fft": f.n_fft,
        "hop_length": f.hop_length,
        "kind": f.kind,
        "n_mels": f.n_mels,
        "spec_augment": False,
        **changes,
    }
    return FeatureSpec(sample_rate=sample_rate, **values)


def triplet_config(**changes) -> TripletTrainConfig:
    """What identity_train builds from params.yaml's `identity:`, with some fields changed."""
    p = project_params().identity
    t = p.train
    values = {
        "mining": t.mining,
        "strategy": p.mine.strategy,
        "per_anchor": p.mine.per_anchor,
        "remine_every": t.remine_every,
        "epochs": t.epochs,
        "steps_per_epoch": t.steps_per_epoch,
        "batch_p": t.batch_p,
        "batch_k": t.batch_k,
        "triplet_batch": t.triplet_batch,
        "lr": t.lr,
        "margin": p.margin,
        "seed": 0,
        **changes,
    }
    return TripletTrainConfig(**values)


def style_config(**changes) -> StyleConfig:
    """params.yaml's style-transfer settings (`style:` without `augment`) with some fields changed."""
    return project_params().style.transfer().replace(**changes)


def encoder_spec(**changes) -> EncoderSpec:
    """An audio encoder with params.yaml's `identity.encoder:` settings, some fields changed."""
    p = project_params().identity
    values = {
        **p.encoder.model_dump(),
        "modality": "audio",
        "sample_rate": p.sample_rate,
        "pretrained": False,
        **changes,
    }
    return EncoderSpec(**values)
