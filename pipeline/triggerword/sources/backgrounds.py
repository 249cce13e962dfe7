"""Background recordings: game ambiences (ufoai-sound), hold music (asterisk-moh-opsound-wav) and
generated white/pink/brown noise. Each yields whole recordings; preparation cuts them into
windows whose split_group is the recording, so one recording never spans two splits.
"""

from __future__ import annotations

import fnmatch
import zipfile
from pathlib import Path

from pipeline.common.audio_files import read_audio, source_rng
from pipeline.common.io import DataError
from pipeline.common.params.triggerword import CollectParams
from pipeline.triggerword.sources.base import RawClip, Skipped, SourceIter, require_path

UFOAI_PK3 = Path("/usr/share/games/ufoai/base/0snd.pk3")
UFOAI_COPYRIGHT = Path("/usr/share/doc/ufoai-sound/copyright")
UFOAI_MEMBERS = "sound/ambience/"
MOH_DIR = Path("/usr/share/asterisk/moh")
NOISE_COLOURS = ("white", "pink", "brown")
NOISE_LICENCE = "CC0-1.0 (generated)"
APT = {"ufoai-ambience": "ufoai-sound", "asterisk-moh": "asterisk-moh-opsound-wav"}


def background_clips(
    name: str, collect: CollectParams, sample_rate: int, seed: int, limit: int | None = None
) -> SourceIter:
    """Recordings from one source named in collect.backgrounds."""
    if name == "ufoai-ambience":
        return ufoai_ambience(limit=limit)
    if name == "asterisk-moh":
        return asterisk_moh(limit=limit)
    if name == "noise":
        return noise(collect, sample_rate, seed)
    raise DataError(
        f"params.yaml collect.backgrounds: unknown background source {name!r}; known: {sorted([*APT, 'noise'])}"
    )


def _background(source: str, name: str, origin: str, licence: str, audio, sr: int) -> RawClip:
    recording = f"{source}:{name}"
    return RawClip(
        kind="background",
        word="",
        source=source,
        name=name,
        speaker=recording,
        split_group=recording,
        language="",
        origin=origin,
        licence=licence,
        audio=audio,
        sample_rate=sr,
        strict=False,
    )


def ufoai_ambience(
    pk3: Path = UFOAI_PK3, copyright_file: Path = UFOAI_COPYRIGHT, limit: int | None = None
) -> SourceIter:
    """sound/ambience/*.ogg from the game's sound archive (a zip), decoded in memory."""
    require_path(pk3, "ufoai-ambience", "collect.backgrounds", APT["ufoai-ambience"])
    licences = dep5_licences(copyright_file)
    with zipfile.ZipFile(pk3) as archive:
        members = sorted(m for m in archive.namelist() if m.startswith(UFOAI_MEMBERS) and m.endswith(".ogg"))
        for member in members[:limit]:
            origin = f"{pk3}:{member}"
            try:
                audio, sr = read_audio(archive.read(member), origin)
            except DataError as exc:
                yield Skipped("ufoai-ambience", origin, "unreadable", str(exc), warn=True)
                continue
            yield _background(
                "ufoai-ambience", Path(member).stem, origin, licence_for(f"base/{member}", licences), audio, sr
            )


def asterisk_moh(root: Path = MOH_DIR, limit: int | None = None) -> SourceIter:
    """Creative Commons hold music (8 kHz telephone quality, a realistic far-field background)."""
    require_path(root, "asterisk-moh", "collect.backgrounds", APT["asterisk-moh"])
    for path in sorted(root.glob("*.wav"))[:limit]:
        try:
            audio, sr = read_audio(path, str(path))
        except DataError as exc:
            yield Skipped("asterisk-moh", str(path), "unreadable", str(exc), warn=True)
            continue
        yield _background("asterisk-moh", path.stem, str(path), "CC-BY-SA-3.0", audio, sr)


def noise(collect: CollectParams, sample_rate: int, seed: int) -> SourceIter:
    """`noise_windows_per_colour` independent one-window recordings per colour.

    Independent recordings (not windows of one long one) let every colour reach every split.
    """
    from synth.common.audio import coloured_noise

    rng = source_rng(seed, "noise")
    n = int(round(collect.background_window_seconds * sample_rate))
    for colour in NOISE_COLOURS:
        for i in range(collect.noise_windows_per_colour):
            audio = coloured_noise(colour, n, rng)
            origin = f"generated {colour} noise #{i} (seed {seed})"
            yield _background("noise", f"{colour}-{i:03d}", origin, NOISE_LICENCE, audio, sample_rate)


def dep5_licences(path: Path) -> list[tuple[list[str], str]]:
    """(file patterns, licence) per `Files:` stanza of a machine-readable Debian copyright file."""
    stanzas: list[tuple[list[str], str]] = []
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return stanzas
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                key = key.strip().lower()
                fields[key] = value.strip()
        if "files" in fields and "license" in fields:
            licence = fields["license"].split("\n", 1)[0].strip()
            stanzas.append((fields["files"].split(), licence))
    return stanzas


def licence_for(member: str, stanzas: list[tuple[list[str], str]]) -> str:
    """Licence of the last stanza whose pattern matches (DEP-5 rule); `Files: *` is the fallback."""
    found = "unknown (see the package's copyright file)"
    for patterns, licence in stanzas:
        if any(fnmatch.fnmatchcase(member, p) for p in patterns):
            found = licence
    return found
