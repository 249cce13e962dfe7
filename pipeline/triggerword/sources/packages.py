"""Real recorded speech from Debian packages, used as NEGATIVES (game voice casts: queen.py, warzone.py).

ktuberling-data: children's-game words read by one speaker per language (26 languages).
asterisk-core-sounds-{en,es,fr,it,ru}-wav, asterisk-prompt-it-menardi-wav: telephone prompts (words and
whole sentences) read by one professional speaker each (Allison Smith reads both English and Spanish, so
both are one split group); prompts longer than collect.max_phrase_seconds are skipped at preparation.
tuxpaint-stamps-default: spoken stamp descriptions, one volunteer voice per language (12 languages, 66 English
lines), the text in each stamp's .txt.
klettres-data: letters and syllables, one volunteer voice per language folder (20 with recordings); the text is
the file's letter or syllable.
Any word containing the positive word ("activated") is excluded: it would teach the model to
ignore the trigger. The volunteers of ktuberling, klettres and tuxpaint share one split group per language
(`volunteer_group`): one person often records a language for several of these games (ktuberling's and
klettres's Low German are one voice), and a voice must not cross splits.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.common import klettres as klettres_files
from pipeline.common import tuxpaint as tuxpaint_stamps
from pipeline.common.audio_files import AUDIO_SUFFIXES, read_audio
from pipeline.common.io import DataError
from pipeline.common.params.triggerword import CollectParams
from pipeline.triggerword.sources import queen, warzone
from pipeline.triggerword.sources.base import RawClip, Skipped, SourceIter, contains_word, require_path, word_from_stem

KTUBERLING_DIR = Path("/usr/share/ktuberling/sounds")
ASTERISK_DIR = Path("/usr/share/asterisk/sounds")
# source -> (folder under ASTERISK_DIR, language, speaker = split group, Debian package, licence)
ASTERISK = {
    "asterisk-en": ("en_US_f_Allison", "en-us", "Allison", "asterisk-core-sounds-en-wav", "CC-BY-SA-3.0"),
    "asterisk-es": ("es_MX_f_Allison", "es-mx", "Allison", "asterisk-core-sounds-es-wav", "CC-BY-SA-3.0"),
    "asterisk-fr": ("fr_CA_f_June", "fr-ca", "June", "asterisk-core-sounds-fr-wav", "CC-BY-SA-3.0"),
    "asterisk-it": ("it_IT_m_Carlo", "it", "Carlo", "asterisk-core-sounds-it-wav", "CC-BY-SA-3.0"),
    "asterisk-it-menardi": ("it_IT_f_Menardi", "it", "Menardi", "asterisk-prompt-it-menardi-wav", "CC-BY-SA-3.0"),
    "asterisk-ru": ("ru_RU_f_IvrvoiceRU", "ru", "IvrvoiceRU", "asterisk-core-sounds-ru-wav", "CC-BY-SA-3.0"),
}
APT = {
    "ktuberling": "ktuberling-data",
    "tuxpaint": tuxpaint_stamps.APT_PACKAGE,
    "klettres": klettres_files.APT_PACKAGE,
    **{name: entry[3] for name, entry in ASTERISK.items()},
    "fotaq": queen.APT_PACKAGE,
    "warzone2100": warzone.APT_PACKAGE,
}
EXCLUDED = "contains the positive word"


def speech_package_clips(name: str, collect: CollectParams) -> SourceIter:
    """Negatives from one package named in collect.speech_packages."""
    if name in ("fotaq", "warzone2100"):
        from pipeline.triggerword.sources.near_misses import transcript_screen

        says_word = transcript_screen(collect.positive_word)
        return queen.fotaq(says_word, collect.fotaq_lines) if name == "fotaq" else warzone.warzone(says_word)
    if name == "ktuberling":
        return ktuberling(collect.positive_word)
    if name in ASTERISK:
        return asterisk(name, collect.positive_word)
    if name == "tuxpaint":
        return tuxpaint(collect.positive_word)
    if name == "klettres":
        return klettres(collect.positive_word)
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
        "ktuberling",
        root,
        entries,
        positive_word,
        limit,
        speaker=lambda lang: f"ktuberling:{lang}",
        licence="GPL-2+",
        split_group=volunteer_group,
    )


def asterisk(name: str, positive_word: str, root: Path = ASTERISK_DIR, limit: int | None = None) -> SourceIter:
    """One speaker's prompts (all sub-folders except the intentional silence/)."""
    folder, language, speaker, package, licence = ASTERISK[name]
    root = root / folder
    require_path(root, name, "collect.speech_packages", package)
    entries = [
        (path, word_from_stem(path.stem), language)
        for path in sorted(root.rglob("*.wav"))
        if path.relative_to(root).parts[0] != "silence"
    ]
    yield from _negatives(
        name, root, entries, positive_word, limit, speaker=lambda _: f"asterisk:{speaker}", licence=licence
    )


def tuxpaint(positive_word: str, root: Path = tuxpaint_stamps.STAMPS_DIR, limit: int | None = None) -> SourceIter:
    """One speaker per language; a description's text is its stamp's .txt line in that language."""
    require_path(root, "tuxpaint", "collect.speech_packages", APT["tuxpaint"])
    entries = []
    for path, stamp, language in tuxpaint_stamps.descriptions(root):
        language = language or "en"
        entries.append((path, _stamp_text(stamp, language).lower() or word_from_stem(stamp.stem), language))
    yield from _negatives(
        "tuxpaint",
        root,
        entries,
        positive_word,
        limit,
        speaker=lambda lang: f"tuxpaint:{lang}",
        licence="GPL-2+",
        split_group=volunteer_group,
    )


def klettres(positive_word: str, root: Path = klettres_files.KLETTRES_DIR, limit: int | None = None) -> SourceIter:
    """One speaker per language folder; the word is the letter or syllable the file is named after."""
    require_path(root, "klettres", "collect.speech_packages", APT["klettres"])
    entries = [(path, word_from_stem(path.stem), lang) for path, lang in klettres_files.letters_and_syllables(root)]
    yield from _negatives(
        "klettres",
        root,
        entries,
        positive_word,
        limit,
        speaker=lambda lang: f"klettres:{lang}",
        licence="GPL-2+",
        split_group=volunteer_group,
    )


def volunteer_group(language: str) -> str:
    """The split group of a children's game's volunteer voice: the language without its region or script
    (en_GB, sr@latin -> en, sr), so that the same person in two packages or spellings stays in one split."""
    return "volunteer:" + language.split("@")[0].split("_")[0].lower()


def _stamp_text(path: Path, language: str) -> str:
    """A stamp's description in one language: the .txt's first line is English, `<lang>.utf8=...` the others."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    if language == "en":
        return lines[0].strip() if lines else ""
    prefix = f"{language}.utf8="
    return next((line[len(prefix) :].strip() for line in lines if line.startswith(prefix)), "")


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
    split_group: Callable[[str], str] | None = None,
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
            split_group=(split_group or speaker)(language),
            language=language,
            origin=str(path),
            licence=licence,
            audio=audio,
            sample_rate=sr,
            strict=False,
        )
