"""Field types several params sections share: [low, high] ranges, split fractions, devices."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

SPLITS = ("train", "dev", "test")
Device = Literal["auto", "cpu", "cuda"]
NonNegative = Annotated[float, Field(ge=0)]


def _ordered(pair: tuple) -> tuple:
    if pair[0] > pair[1]:
        raise ValueError(f"expected [low, high] with low <= high, got {list(pair)}")
    return pair


def _within(lo: float | None, hi: float | None):
    def check(pair: tuple) -> tuple:
        if lo is not None and pair[0] < lo:
            raise ValueError(f"low end {pair[0]} is below {lo}")
        if hi is not None and pair[1] > hi:
            raise ValueError(f"high end {pair[1]} is above {hi}")
        return pair

    return check


def Range(lo: float | None = None, hi: float | None = None):  # noqa: N802  (a type factory)
    """[low, high] floats with low <= high, optionally inside [lo, hi]."""
    return Annotated[tuple[float, float], AfterValidator(_ordered), AfterValidator(_within(lo, hi))]


CountRange = Annotated[tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]], AfterValidator(_ordered)]


def _all_splits(mapping: dict) -> dict:
    if set(mapping) != set(SPLITS):
        raise ValueError(f"needs exactly train, dev and test, got {sorted(mapping)}")
    return mapping


def _sums_to_one(mapping: dict) -> dict:
    if abs(sum(mapping.values()) - 1.0) > 1e-6:
        raise ValueError(f"must sum to 1, got {sum(mapping.values()):g}")
    return mapping


SplitFractions = Annotated[
    dict[Literal[SPLITS], Annotated[float, Field(gt=0)]], AfterValidator(_all_splits), AfterValidator(_sums_to_one)
]
SplitCounts = Annotated[dict[Literal[SPLITS], Annotated[int, Field(ge=0, strict=True)]], AfterValidator(_all_splits)]


def _unique(values: tuple) -> tuple:
    if len(set(values)) != len(values):
        raise ValueError(f"{list(values)} repeats a value")
    return values


Unique = AfterValidator(_unique)
