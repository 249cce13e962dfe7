"""params.yaml `identity:`: items with identities, triplet mining, the encoder's training and evaluation
(`identity.encoder` is models.identity.spec.EncoderSettings)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from models.identity.spec import EncoderSettings
from pipeline.common.params.errors import check
from pipeline.common.params.fields import Device, SplitFractions
from synth.common.spec import Count, Int, PositiveFloat, PositiveInt, Spec

Skip = Literal["skip", "error"]


class FaceSourceParams(Spec):
    root: str  # identity folders: <root>/<person>/*.jpg (the LFW layout)
    lfw: str  # or an LFW archive: URL or local .tgz
    size: Int  # aligned face chip, pixels
    on_no_face: Skip
    small_identities: Skip

    @model_validator(mode="after")
    def _dlib_chip(self):
        check(self.size == 150, "size", "must be 150: dlib's pretrained face encoder (the baseline) takes 150 px chips")
        return self


class MineParams(Spec):
    strategy: Literal["random", "semihard", "hard"]
    per_anchor: PositiveInt
    embedding: Literal["baseline", "untrained"]


class IdentityTrainParams(Spec):
    mining: Literal["manifest", "batch_hard", "semihard"]
    remine_every: Count
    epochs: PositiveInt
    steps_per_epoch: PositiveInt
    batch_p: Annotated[Int, Field(ge=2)]  # identities per online batch
    batch_k: Annotated[Int, Field(ge=2)]  # items per identity per online batch
    triplet_batch: PositiveInt
    lr: PositiveFloat
    device: Device


class IdentityEvalParams(Spec):
    folds: Annotated[Int, Field(ge=2)]
    far: Annotated[float, Field(gt=0, lt=1)]
    negatives: Annotated[Int, Field(ge=10)]
    k_max: Annotated[Int, Field(ge=3)]
    worst: PositiveInt
    enrol: PositiveInt  # open set: items of each test identity enrolled; its other items are the probes
    bootstrap: Count  # resamples of the test identities for the EER's interval (0 = none)


class IdentityParams(Spec):
    source: Literal["speakers", "words", "faces"]
    speakers: dict[str, Annotated[tuple[str, ...], Field(min_length=1)]]  # identity -> folders
    speaker_packages: tuple[Literal["ktuberling", "klettres", "tuxpaint"], ...]  # each language's volunteer is one
    split: Literal["identities", "utterances"]  # open set (people disjoint) | closed set (prompts disjoint)
    faces: FaceSourceParams
    sample_rate: Annotated[Int, Field(ge=8000, le=48000)]
    clip_seconds: Annotated[float, Field(ge=0.25, le=10)]
    min_speech_seconds: Annotated[float, Field(ge=0)]
    max_items: Count  # per identity (0 = all)
    min_items: Annotated[Int, Field(ge=2)]
    split_fractions: SplitFractions
    margin: Annotated[float, Field(gt=0, le=2)]  # squared distances of unit vectors are <= 4
    encoder: EncoderSettings
    mine: MineParams
    train: IdentityTrainParams
    evaluate: IdentityEvalParams

    @model_validator(mode="after")
    def _source(self):
        check(self.source != "speakers" or len(self.speakers) >= 2, "speakers", "needs at least 2 speakers")
        check(
            self.source != "faces" or bool(self.faces.root or self.faces.lfw),
            "faces",
            "source is faces: set identity.faces.root (identity folders) or identity.faces.lfw (archive or URL)",
        )
        check(self.max_items == 0 or self.max_items >= self.min_items, "max_items", "must be >= identity.min_items")
        return self

    @property
    def modality(self) -> str:
        return "image" if self.source == "faces" else "audio"

    @property
    def clip_samples(self) -> int:
        return int(round(self.sample_rate * self.clip_seconds))
