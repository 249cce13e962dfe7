"""Warzone 2100's spoken messages (Debian warzone2100-data), as NEGATIVES.

`base.wz` is a zip; `audio/audio.cfg` lists every sound as `audio "name.ogg" ...` with what it says in a
trailing comment (`/*Power Generator Destroyed*/`). Only lines with such a transcript become negatives
(untranscribed files may say anything, and `audio/sfx/` is not speech); a transcript that says the
positive word ("Command Console Activated") is never one. Ogg at 11 kHz: band-limited.
Split groups: the folder a message lives in (`memressp`: the commander's console voice, `vtoltalk`,
`trnsppil`: pilots, ...), since the voice cast is not documented.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.common.audio_files import read_audio
from pipeline.common.io import DataError
from pipeline.triggerword.sources.base import RawClip, Skipped, SourceIter, require_path

BASE_WZ = Path("/usr/share/games/warzone2100/base.wz")
APT_PACKAGE = "warzone2100-data"
LICENCE = "GPL-2+"
CONFIG = "audio/audio.cfg"
TRANSCRIPT = re.compile(r'audio\s+"([^"]+)"[^\n]*?/\*\s*(.*?)\s*\*/')
EXCLUDED = "its transcript says the positive word"


def transcripts(config: str) -> dict[str, str]:
    """file name -> what it says, from audio.cfg's comments (the first entry of a repeated name)."""
    found: dict[str, str] = {}
    for name, text in TRANSCRIPT.findall(config):
        if text:
            found.setdefault(name, text)
    return found


def speech_files(names: list[str]) -> dict[str, str]:
    """file name -> its path in the zip, for sounds outside audio/sfx (the first of a repeated name)."""
    found: dict[str, str] = {}
    for path in sorted(names):
        if path.startswith("audio/") and not path.startswith("audio/sfx/") and path.endswith(".ogg"):
            found.setdefault(path.rsplit("/", 1)[1], path)
    return found


def messages(path: Path = BASE_WZ) -> Iterator[tuple[str, str, str, zipfile.ZipFile]]:
    """(zip member, transcript, origin, the open zip) of every transcribed spoken message, by file name."""
    require_path(path, "warzone2100", "collect.speech_packages", APT_PACKAGE)
    try:
        archive = zipfile.ZipFile(path)
        config = archive.read(CONFIG).decode("latin-1")
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise DataError(f"{path}: not a Warzone 2100 data zip with {CONFIG} ({exc})") from None
    with archive:
        files = speech_files(archive.namelist())
        for name, text in sorted(transcripts(config).items()):
            if name in files:
                yield files[name], text, f"{path}:{files[name]}", archive


def warzone(says_word: Callable[[str], bool], path: Path = BASE_WZ) -> SourceIter:
    """Negatives: every transcribed spoken message that does not say the word."""
    for member, text, origin, archive in messages(path):
        if says_word(text):
            yield Skipped("warzone2100", origin, EXCLUDED, text)
        else:
            yield from _clip(member, text, origin, archive, "negative")


def warzone_positives(says_word: Callable[[str], bool], path: Path = BASE_WZ) -> SourceIter:
    """The messages that say the word, as positives (the stress stage's real-human slice)."""
    for member, text, origin, archive in messages(path):
        if says_word(text):
            yield from _clip(member, text, origin, archive, "positive")


def _clip(member: str, text: str, origin: str, archive: zipfile.ZipFile, kind: str) -> SourceIter:
    try:
        audio, sr = read_audio(archive.read(member), origin)
    except DataError as exc:
        yield Skipped("warzone2100", origin, "unreadable", str(exc), warn=True)
        return
    group = f"warzone2100:{member.split('/')[1]}"
    yield RawClip(
        kind=kind,
        word=text.lower(),
        source="warzone2100",
        name=member.removeprefix("audio/").removesuffix(".ogg"),
        speaker=group,
        split_group=group,
        language="en",
        origin=origin,
        licence=LICENCE,
        audio=audio,
        sample_rate=sr,
    )
