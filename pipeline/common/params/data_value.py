"""The data_value study's section: which data groups are left out, the seeds, the learning curve."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from pipeline.common.params.errors import check
from pipeline.common.params.fields import Unique
from synth.common.spec import Count, PositiveInt, Spec

# Group members that are not catalog sources: the computed near-miss words' TTS clips, the mined clips and the
# clips the speech audit drops (compared on recipes of their own: data_value.audit_examples).
SPECIAL_MEMBERS = ("near_misses", "mined", "audit")
Seeds = Annotated[tuple[Count, ...], Unique, Field(min_length=1)]
Fraction = Annotated[float, Field(gt=0, le=1)]


class LearningCurveParams(Spec):
    fractions: Annotated[tuple[Fraction, ...], Unique]  # shares of the training examples (seeded subsets)
    speakers: Annotated[tuple[PositiveInt, ...], Unique]  # distinct positive speakers kept
    seeds: Seeds


class DataValueParams(Spec):
    seeds: Seeds  # head seeds per arm, the baseline included: the spread is the noise
    epochs: PositiveInt  # the heads' epochs inside this study (every arm alike)
    examples: PositiveInt | None  # training examples every arm starts from (the embed stage's first); None: all
    groups: dict[str, Annotated[tuple[str, ...], Field(min_length=1)]]  # group -> catalog sources or specials
    only: tuple[str, ...]  # positive groups also trained with only their positives
    bootstrap: PositiveInt  # resamples of the test positives for the interval of each difference
    workers: PositiveInt  # processes training heads side by side, one torch thread each (any number: the same table)
    audit_examples: Count  # training recipes drawn from every clip for the audit's with/without pair (0: skip it)
    learning_curve: LearningCurveParams

    @model_validator(mode="after")
    def _only_known_groups(self):
        for name in self.only:
            check(name in self.groups, "only", f"{name!r} is not one of data_value.groups ({', '.join(self.groups)})")
        for name, members in self.groups.items():
            special = [m for m in members if m in SPECIAL_MEMBERS]
            if special and len(members) > 1:
                check(False, f"groups.{name}", f"{special[0]!r} is a group of its own, not mixed with catalog sources")
        return self
