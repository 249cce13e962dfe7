"""Reading audio files the user or a package hands us, and a seeded generator per named source."""

from __future__ import annotations

import io
import re
import zlib
from pathlib import Path

import numpy as np

from pipeline.common.io import DataError

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")


def read_audio(data: str | Path | bytes, origin: str) -> tuple[np.ndarray, int]:
    """Decode wav/flac/ogg/mp3 from a path or bytes; any failure is a DataError naming `origin`."""
    import soundfile as sf

    if isinstance(data, (str, Path)):
        path = Path(data)
        if not path.is_file():
            raise DataError(f"{origin}: no such file")
        if path.stat().st_size == 0:
            raise DataError(f"{origin}: empty file (0 bytes)")
    elif len(data) == 0:
        raise DataError(f"{origin}: empty file (0 bytes)")
    try:
        audio, sr = sf.read(
            io.BytesIO(data) if isinstance(data, bytes) else str(data), dtype="float32", always_2d=False
        )
    except (sf.LibsndfileError, RuntimeError, ValueError, EOFError) as exc:
        raise DataError(f"{origin}: not readable as wav/flac/ogg/mp3 audio ({_one_line(exc)})") from None
    return audio, int(sr)


def _one_line(exc: BaseException) -> str:
    text = re.sub(r"^Error opening .*?: ", "", " ".join(str(exc).split()))  # the path is named already
    return text or type(exc).__name__


def source_rng(seed: int, name: str) -> np.random.Generator:
    """A generator per source, so adding or removing one source never changes another's draws."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])
