"""What every source yields, plus the few helpers they share (reading audio, ids, seeds)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.common.audio_files import AUDIO_SUFFIXES
from pipeline.common.io import DataError


@dataclass(frozen=True)
class RawClip:
    """One recording as a source found it: any rate, mono or multi-channel, not yet checked.

    `strict` clips (the user's own folders and archives) fail the stage when bad; the others
    (Debian packages, TTS) are skipped with a warning, because a package may ship odd files.
    """

    kind: str  # positive | negative | background
    word: str  # '' for backgrounds
    source: str  # catalog `source`: tts:espeak-ng, ktuberling, folders, ...
    name: str  # unique within the source; becomes part of the clip id
    speaker: str
    split_group: str
    language: str
    origin: str  # original file or synthesis command (named in every error)
    licence: str
    audio: np.ndarray = field(repr=False)  # float32 (n,) or (n, channels)
    sample_rate: int = 0
    strict: bool = False
    text: str = ""  # what is said, when it is more than the word (TTS phrases); '' means the word


@dataclass(frozen=True)
class Skipped:
    """A file a source left out on purpose (e.g. a negative containing the positive word)."""

    source: str
    origin: str
    reason: str  # short category, counted in metrics: "contains the positive word", ...
    detail: str = ""  # the full message, logged
    warn: bool = False  # True for damage worth a warning; False for routine filtering


SourceItem = RawClip | Skipped
SourceIter = Iterator[SourceItem]


def slug(text: str) -> str:
    """Readable, file-name-safe id part: 'espeak-ng:en-us+f2' -> 'espeak-ng-en-us-f2'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def word_from_stem(stem: str) -> str:
    """File stems name words with '-' or '_' between parts: 'all-circuits_busy' -> 'all circuits busy'."""
    return " ".join(re.split(r"[-_\s]+", stem)).strip().lower()


def contains_word(text: str, word: str) -> bool:
    """True if `text` contains `word` anywhere ('deactivated' contains 'activate').

    Such clips must never be negatives: the model would learn to ignore the trigger word.
    """
    return word.strip().lower() in text.lower()


def require_binary(binary: str, apt_package: str, params_key: str, value: str) -> str:
    """Path of `binary`, or a DataError telling how to install it or turn it off."""
    path = shutil.which(binary)
    if path is None:
        raise DataError(
            f"{binary}: not found on PATH, but params.yaml {params_key} lists {value!r}; "
            f"install it (sudo apt-get install {apt_package}) or remove {value!r} "
            f"from {params_key}"
        )
    return path


def require_path(path: Path, source: str, params_key: str, apt_package: str) -> None:
    """DataError unless `path` exists, telling how to install the package or turn the source off."""
    if not path.exists():
        raise DataError(
            f"{path}: not found, but params.yaml {params_key} lists {source!r}; install it "
            f"(sudo apt-get install {apt_package}) or remove {source!r} from {params_key}"
        )


def audio_files(folder: Path) -> list[Path]:
    """Audio files below `folder`, recursively, in a stable order (hidden files ignored)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in AUDIO_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
