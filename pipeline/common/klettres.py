"""KLettres's spoken letters and syllables on disk (Debian klettres-data), read by the trigger word
(negatives) and the identity encoders (one speaker per language).

Each language folder (`en`, `en_GB`, `pt_BR`, ...) holds `alpha/<letter>.ogg` and often `syllab/<syllable>.ogg`,
read by that language's volunteer; `icons/` and `pics/` are the game's pictures.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.common.audio_files import AUDIO_SUFFIXES

KLETTRES_DIR = Path("/usr/share/klettres")
APT_PACKAGE = "klettres-data"
NOT_LANGUAGES = ("icons", "pics")


def language_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name not in NOT_LANGUAGES)


def recordings(folder: Path) -> list[Path]:
    """A language folder's letters and syllables, in path order."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)


def letters_and_syllables(root: Path) -> Iterator[tuple[Path, str]]:
    """(audio file, language folder) of every recording, language by language."""
    for folder in language_folders(root):
        for path in recordings(folder):
            yield path, folder.name
