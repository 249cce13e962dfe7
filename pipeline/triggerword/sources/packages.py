"""Real recorded speech from Debian packages, used as NEGATIVES.

ktuberling-data: children's-game words read by one speaker per language (26 languages).
asterisk-core-sounds-en-wav: telephone prompts read by Allison Smith (words and phrases;
phrases longer than collect.max_word_seconds are skipped at preparation).
Any word containing the positive word ("activated") is excluded: it would teach the model to
ignore the trigger.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.common.audio_files import AUDIO_SUFFIXES, read_audio
from pipeline.common.io import DataError
from pipeline.triggerword.sources.base import RawClip, Skipped, SourceIter, contains_word, require_path, word_from_stem

KTUBERLING_DIR = Path("/usr/share/ktuberling/sounds")
ASTERISK_EN_DIR = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
APT = {"ktuberling": "ktuberling-data", "asterisk-en": "asterisk-core-sounds-en-wav"}
EXCLUDED = "contains the positive word"


def speech_package_clips(name: str, positive_word: str, limit: int | None = None) -> SourceIter:
    """Negatives from one package named in collect.speech_packages."""
    if name == "ktuberling":
        return ktuberling(positive_word, limit=limit)
    if name == "asterisk-en":
        return asterisk_en(positive_word, limit=limit)
    raise DataError(f"params.yaml collect.speech_packages: unknown package source {name!r}; known: {sorted(APT)}")


def ktuberling(positive_word: str, root: Path = KTUBERLING_DIR, limit: int | None = None) -> SourceIter:
    """One speaker per language directory; the word is the theme's sound name (or the file stem)."""
    require_path(root, "ktuberling", "collect.speech_packages", APT["ktuberling"])
    entries = []
    for lang_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        names = _soundtheme_names(root / f"{lang_dir.name}.soundtheme")
        for path in sorted(p for p in lang_dir.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES):
            word = word_from_stem(names.get(path.name, path.stem))
            entries.append((path, word, lang_dir.name))
    yield from _negatives(
        "ktuberling", root, entries, positive_word, limit, speaker=lambda lang: f"ktuberling:{lang}", licence="GPL-2+"
    )


def asterisk_en(positive_word: str, root: Path = ASTERISK_EN_DIR, limit: int | None = None) -> SourceIter:
    """Allison Smith's English prompts (all sub-folders except the intentional silence/)."""
    require_path(root, "asterisk-en", "collect.speech_packages", APT["asterisk-en"])
    entries = [
        (path, word_from_stem(path.stem), "en-us")
        for path in sorted(root.rglob("*.wav"))
        if path.relative_to(root).parts[0] != "silence"
    ]
    yield from _negatives(
        "asterisk-en",
        root,
        entries,
        positive_word,
        limit,
        speaker=lambda lang: f"asterisk:{root.name}",
        licence="CC-BY-SA-3.0",
    )


def _soundtheme_names(theme: Path) -> dict[str, str]:
    """file name -> sound name from a ktuberling <lang>.soundtheme ({} if absent or unparsable)."""
    try:
        tree = ET.parse(theme)
    except (OSError, ET.ParseError):
        return {}
    return {Path(s.get("file", "")).name: s.get("name", "") for s in tree.iter("sound") if s.get("name")}


def _negatives(
    source: str,
    root: Path,
    entries: list[tuple[Path, str, str]],
    positive_word: str,
    limit: int | None,
    speaker: Callable[[str], str],
    licence: str,
) -> Iterator[RawClip | Skipped]:
    """Negatives except excluded words and byte-identical copies (ktuberling's four Serbian
    folders share one set of recordings, which would otherwise leak across splits)."""
    kept, seen = 0, set()
    for path, word, language in entries:
        if contains_word(word, positive_word) or contains_word(path.stem, positive_word):
            yield Skipped(source, str(path), EXCLUDED)
            continue
        if limit is not None and kept >= limit:
            continue
        digest = hashlib.sha256(path.read_bytes()).digest()
        if digest in seen:
            yield Skipped(source, str(path), "duplicate recording")
            continue
        seen.add(digest)
        try:
            audio, sr = read_audio(path, str(path))
        except DataError as exc:
            yield Skipped(source, str(path), "unreadable", str(exc), warn=True)
            continue
        kept += 1
        name = path.relative_to(root).with_suffix("").as_posix()
        yield RawClip(
            kind="negative",
            word=word,
            source=source,
            name=name,
            speaker=speaker(language),
            split_group=speaker(language),
            language=language,
            origin=str(path),
            licence=licence,
            audio=audio,
            sample_rate=sr,
            strict=False,
        )
