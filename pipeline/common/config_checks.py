"""The error type and checks every params dataclass uses (kept apart so section modules can import them)."""
from __future__ import annotations


class ParamsError(ValueError):
    """A parameter is missing, of the wrong type or out of range (names the param)."""


def check(ok: bool, name: str, message: str) -> None:
    if not ok:
        raise ParamsError(f"params.yaml: {name}: {message}")


def check_range(pair: tuple, name: str, lo: float | None = None, hi: float | None = None) -> None:
    check(len(pair) == 2 and pair[0] <= pair[1], name, f"expected [low, high] with low <= high, got {list(pair)}")
    if lo is not None:
        check(pair[0] >= lo, name, f"low end {pair[0]} is below {lo}")
    if hi is not None:
        check(pair[1] <= hi, name, f"high end {pair[1]} is above {hi}")
