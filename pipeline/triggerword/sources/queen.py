"""Flight of the Amazon Queen's voice cast (Debian flight-of-the-amazon-queen), as NEGATIVES.

`queen.1c` is the game's compressed resource container: "QTBL", a 6-byte version, 2 bytes, one
compression byte (1 = MP3), a big-endian u16 entry count, then 21-byte entries (12-byte name, 1 byte,
u32 BE offset, u32 BE size) and the data. The `.SB` entries are the 6 745 spoken lines (MP3, 11 kHz:
band-limited, so negatives and robustness only); the cutscenes (`.CUT`), dialogues (`.DOG`) and Joe's
descriptions (`.JAS`) hold their text.

Which line speaks which text is the game engine's business, so lines are screened by the text they
belong to: a cutscene whose text says the positive word gives none of its lines (`C39A_*` for
C39A.CUT: "Now to activate the machine!"); a dialogue that says it blocks every dialogue line (their
names do not say the file), Joe's descriptions every JOE line. Conservative: the scene loses lines that
do not say it, never the other way round.

Split groups: Joe, the hero, is one actor heard throughout, so his lines are one group; every other
line is grouped by its room (the cast is undocumented; a character heard in two rooms can be in two
splits, and Joe also speaks inside cutscenes).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.common.audio_files import read_audio
from pipeline.common.io import DataError
from pipeline.triggerword.sources.base import RawClip, Skipped, SourceIter, require_path

QUEEN_1C = Path("/usr/share/scummvm/flight-of-the-amazon-queen/queen.1c")
APT_PACKAGE = "flight-of-the-amazon-queen"
LICENCE = "Flight-of-the-Amazon-Queen-License"  # free redistribution with attribution (Debian copyright file)
HEADER = struct.Struct(">4s6s2sBH")
ENTRY = struct.Struct(">12sBII")
MP3 = 1
DIALOGUE_LINE = re.compile(r"^(\d\d)[0-9A-F]{4}([A-Z]?)")  # room, 4 hex digits, speaker (J: Joe, P: the other)
CUTSCENE_LINE = re.compile(r"^C(\d+)[A-Z_]")
EXCLUDED = "its scene's text says the positive word"


@dataclass(frozen=True)
class Entry:
    name: str  # 'C39A_031.SB'
    offset: int
    size: int


def read_table(data: bytes, origin: str) -> list[Entry]:
    """The container's entries; DataError naming `origin` when it is not one or is cut short."""
    if len(data) < HEADER.size:
        raise DataError(f"{origin}: {len(data)} bytes, too short for a QTBL header")
    magic, _version, _, compression, count = HEADER.unpack_from(data)
    if magic != b"QTBL":
        raise DataError(f"{origin}: not a QTBL resource container (starts with {magic!r})")
    if compression != MP3:
        raise DataError(f"{origin}: compression {compression} not supported (only 1 = MP3)")
    end = HEADER.size + count * ENTRY.size
    if end > len(data):
        raise DataError(f"{origin}: table of {count} entries runs past the end of the file")
    entries = []
    for i in range(count):
        raw, _, offset, size = ENTRY.unpack_from(data, HEADER.size + i * ENTRY.size)
        name = raw.rstrip(b"\0").decode("ascii", "replace")
        if offset < end or offset + size > len(data):
            raise DataError(f"{origin}: entry {name!r} ({offset}+{size}) lies outside the data")
        entries.append(Entry(name, offset, size))
    return entries


def blocked_prefixes(texts: dict[str, str], says_word: Callable[[str], bool]) -> tuple[str, ...]:
    """Name prefixes of the lines that may say the word, from the text entries that do."""
    blocked: set[str] = set()
    for name, text in texts.items():
        stem, _, kind = name.rpartition(".")
        if not says_word(text):
            continue
        if kind == "CUT":
            blocked.add(stem)
        elif kind == "DOG":
            blocked.update("0123456789")
        else:  # JAS: Joe's descriptions, and whatever else it holds
            blocked.add("JOE")
    return tuple(sorted(blocked))


def group_of(stem: str) -> str:
    """Split group (and speaker) of a line: Joe's own lines, else the room it is heard in."""
    dialogue = DIALOGUE_LINE.match(stem)
    if stem.startswith("JOE") or (dialogue and dialogue.group(2) == "J"):
        return "fotaq:joe"
    room = dialogue or CUTSCENE_LINE.match(stem)
    return f"fotaq:room{int(room.group(1))}" if room else f"fotaq:{stem[:4].lower()}"


def chosen(stems: list[str], limit: int | None) -> set[str]:
    """A fixed spread of `limit` lines over the whole game (ranked by a hash of the name, not by
    room, so no scene dominates); all of them without a limit."""
    ranked = sorted(stems, key=lambda stem: (zlib.crc32(stem.encode()), stem))
    return set(ranked if limit is None else ranked[:limit])


def fotaq(says_word: Callable[[str], bool], limit: int | None, path: Path = QUEEN_1C) -> SourceIter:
    """Negatives: at most `limit` spoken lines, none from a scene whose text says the word."""
    require_path(path, "fotaq", "collect.speech_packages", APT_PACKAGE)
    data = path.read_bytes()
    entries = read_table(data, str(path))
    texts = {
        e.name: data[e.offset : e.offset + e.size].decode("latin-1")
        for e in entries
        if e.name.endswith((".CUT", ".DOG", ".JAS"))
    }
    blocked = blocked_prefixes(texts, says_word)
    lines = sorted((e for e in entries if e.name.endswith(".SB")), key=lambda e: e.name)
    keep = chosen([e.name[:-3] for e in lines if not e.name.startswith(blocked)], limit)
    for entry in lines:
        stem, origin = entry.name[:-3], f"{path}:{entry.name}"
        if entry.name.startswith(blocked):
            yield Skipped("fotaq", origin, EXCLUDED)
            continue
        if stem not in keep:
            continue
        try:
            audio, sr = read_audio(data[entry.offset : entry.offset + entry.size], origin)
        except DataError as exc:
            yield Skipped("fotaq", origin, "unreadable", str(exc), warn=True)
            continue
        group = group_of(stem)
        yield RawClip(
            kind="negative",
            word=stem.lower(),
            source="fotaq",
            name=stem.lower(),
            speaker=group,
            split_group=group,
            language="en",
            origin=origin,
            licence=LICENCE,
            audio=audio,
            sample_rate=sr,
        )
