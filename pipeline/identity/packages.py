"""More real speakers from Debian packages: one identity per language a volunteer recorded for a package.

identity.speaker_packages names them:
- ktuberling (ktuberling-data): spoken words, one folder per language; folders with the same recordings
  (the four Serbian spellings) are one person, the first name standing for them.
- klettres (klettres-data): letters and syllables, one folder per language (`alpha/`, `syllab/`).
- tuxpaint (tuxpaint-stamps-default): spoken stamp descriptions, `*_desc_<lang>.ogg` all over the stamp tree.
Each returns {identity: [(file, root)]}; the root names an item's utterance (its path below the root).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from pipeline.common import klettres as klettres_files
from pipeline.common import tuxpaint as tuxpaint_stamps
from pipeline.common.io import DataError

log = logging.getLogger("datasynth")
ROOTS = {
    "ktuberling": Path("/usr/share/ktuberling/sounds"),
    "klettres": klettres_files.KLETTRES_DIR,
    "tuxpaint": tuxpaint_stamps.STAMPS_DIR,
}
APT = {"ktuberling": "ktuberling-data", "klettres": klettres_files.APT_PACKAGE, "tuxpaint": tuxpaint_stamps.APT_PACKAGE}
AUDIO = (".wav", ".ogg", ".flac", ".mp3")
Files = list[tuple[Path, Path]]


def package_speakers(packages: tuple[str, ...], roots: dict[str, Path] | None = None) -> dict[str, Files]:
    """identity.speaker_packages -> {"<package>:<language>": [(file, root)]}, in package order."""
    roots = {**ROOTS, **(roots or {})}
    readers = {"ktuberling": ktuberling, "klettres": klettres, "tuxpaint": tuxpaint}
    speakers: dict[str, Files] = {}
    for package in packages:
        root = roots[package]
        if not root.is_dir():
            raise DataError(
                f"{root}: not found, but params.yaml identity.speaker_packages lists {package!r} "
                f"(sudo apt-get install {APT[package]}, or remove it)"
            )
        speakers |= {f"{package}:{language}": files for language, files in readers[package](root).items() if files}
    return speakers


def _audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO)


def ktuberling(root: Path) -> dict[str, Files]:
    seen: dict[str, str] = {}
    out: dict[str, Files] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = _audio_files(folder)
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.name.encode() + path.read_bytes())
        key = digest.hexdigest()
        if key in seen:
            log.debug("identity: ktuberling %s has the recordings of %s: one speaker", folder.name, seen[key])
            continue
        seen[key] = folder.name
        out[folder.name] = [(p, folder) for p in files]
    return out


def klettres(root: Path) -> dict[str, Files]:
    return {f.name: [(p, f) for p in klettres_files.recordings(f)] for f in klettres_files.language_folders(root)}


def tuxpaint(root: Path) -> dict[str, Files]:
    out: dict[str, Files] = {}
    for path, _, language in tuxpaint_stamps.descriptions(root):
        if language:  # the English descriptions' volunteer is not named by a language folder: left out
            out.setdefault(language, []).append((path, root))
    return out
