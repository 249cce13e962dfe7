"""One error type for bad parameters, and turning pydantic's errors into lines that name the key."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class ParamsError(ValueError):
    """A parameter is missing, unknown, of the wrong type or out of range (the message names it)."""


class ParamIssue(ValueError):
    """Raised by a cross-field check inside a params model: `key` is relative to that model."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def check(ok: bool, key: str, message: str) -> None:
    if not ok:
        raise ParamIssue(key, message)


def _key(loc: tuple) -> str:
    """('collect', 'negative_words', 3) -> collect.negative_words[3]; union branches are dropped."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in part or part.startswith(("function-", "literal")) or part in ("str", "tuple", "dict", "list"):
            continue  # pydantic names the union member it tried; the key is what a user edits
        else:
            out += f".{part}" if out else part
    return out


def _line(error: dict) -> tuple[str, str]:
    loc, message = tuple(error["loc"]), error["msg"]
    issue = (error.get("ctx") or {}).get("error")
    if isinstance(issue, ParamIssue):
        loc, message = loc + tuple(issue.key.split(".")), str(issue)
    elif error["type"] == "missing":
        message = "missing: every key must be set in params.yaml (defaults live there and nowhere else)"
    elif error["type"] == "extra_forbidden":
        message = "unknown key (a typo, or a key this version does not have)"
    else:
        message = message.removeprefix("Value error, ")
        if not isinstance(error.get("input"), (dict, list)):
            message += f" (got {error.get('input')!r})"
    return _key(loc) or "top level", message


def describe(exc: ValidationError, source: str | Path) -> ParamsError:
    """All problems of one validation, one line each: `params.yaml: synthesise.snr_db: ...`."""
    lines = dict.fromkeys(f"{source}: {key}: {message}" for key, message in map(_line, exc.errors()))
    return ParamsError("\n".join(lines))
