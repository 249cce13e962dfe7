"""params.yaml `style:` -> StyleConfig (the style-transfer operator's settings, shared by style and daynight)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml

from pipeline.common.params import DEFAULT_PARAMS, ParamsError
from synth.common.style_transfer import StyleConfig


def load_style_config(path: str | Path = DEFAULT_PARAMS) -> StyleConfig:
    """StyleConfig from params.yaml's `style:` section (every key optional; unknown keys rejected).

    The `augment:` sub-mapping belongs to the daynight_stylize stage (pipeline/daynight/stylize.py)
    and is skipped here."""
    path = Path(path)
    raw = {}
    if path.exists():
        try:
            raw = (yaml.safe_load(path.read_text()) or {}).get("style") or {}
        except yaml.YAMLError as exc:
            raise ParamsError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{path}: style: expected a mapping, got {type(raw).__name__}")
    raw = {key: value for key, value in raw.items() if key != "augment"}
    known = {f.name for f in dataclasses.fields(StyleConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ParamsError(f"{path}: style: unknown key(s) {unknown}; known: {sorted(known)}")
    values = {key: tuple(value) if isinstance(value, list) else value for key, value in raw.items()}
    return checked(StyleConfig(**values), path)


def checked(config: StyleConfig, source: str | Path = "params.yaml") -> StyleConfig:
    try:
        return config.check()
    except (ValueError, TypeError) as exc:
        raise ParamsError(f"{source}: style.{exc}") from None


