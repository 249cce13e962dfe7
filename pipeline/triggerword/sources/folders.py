"""The user's own recordings (collect.folders). Each root may hold:

    positives/[<speaker>/]*.wav           the positive word
    negatives/<word>/[<speaker>/]*.wav    other words
    backgrounds/**/*.wav                  background recordings (any length)

wav, flac, ogg and mp3 are read. A file directly in positives/ or negatives/<word>/ is its own
speaker (its stem). These clips are strict: a bad file fails the stage, naming the file.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.common.audio_files import read_audio
from pipeline.common.io import DataError
from pipeline.triggerword.sources.base import RawClip, SourceIter, audio_files, contains_word

SOURCE = "folders"
LANGUAGE = "und"  # BCP 47 "undetermined": the user's language is not known


def folder_clips(root: str | Path, positive_word: str) -> SourceIter:
    """Every audio file below one root, positives first, in a stable order."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a directory (params.yaml collect.folders)")
    parts = [root / "positives", root / "negatives", root / "backgrounds"]
    if not any(p.is_dir() for p in parts):
        raise DataError(
            f"{root}: has none of positives/, negatives/<word>/, backgrounds/ (params.yaml collect.folders)"
        )
    licence = f"user-provided ({root})"
    if parts[0].is_dir():
        for path in audio_files(parts[0]):
            yield _word_clip(root, parts[0], path, "positive", positive_word.lower(), licence)
    if parts[1].is_dir():
        for word_dir in sorted(p for p in parts[1].iterdir() if p.is_dir() and not p.name.startswith(".")):
            word = word_dir.name.replace("_", " ").lower()
            if contains_word(word, positive_word):
                raise DataError(
                    f"{word_dir}: negative word {word!r} contains the positive word "
                    f"{positive_word!r}; move these files to positives/ or delete them"
                )
            for path in audio_files(word_dir):
                yield _word_clip(root, word_dir, path, "negative", word, licence)
    if parts[2].is_dir():
        for path in audio_files(parts[2]):
            recording = f"{SOURCE}:{root.name}/{path.relative_to(root).as_posix()}"
            audio, sr = read_audio(path, str(path))
            yield RawClip(
                kind="background",
                word="",
                source=SOURCE,
                name=_name(root, path),
                speaker=recording,
                split_group=recording,
                language="",
                origin=str(path),
                licence=licence,
                audio=audio,
                sample_rate=sr,
                strict=True,
            )


def speaker_of(word_dir: Path, path: Path) -> str:
    """The first sub-folder below the word's folder, else the file's stem."""
    rel = path.relative_to(word_dir).parts
    return rel[0] if len(rel) > 1 else path.stem


def _name(root: Path, path: Path) -> str:
    return f"{root.name}/{path.relative_to(root).with_suffix('').as_posix()}"


def _word_clip(root: Path, word_dir: Path, path: Path, kind: str, word: str, licence: str) -> RawClip:
    audio, sr = read_audio(path, str(path))
    speaker = speaker_of(word_dir, path)
    return RawClip(
        kind=kind,
        word=word,
        source=SOURCE,
        name=_name(root, path),
        speaker=speaker,
        split_group=speaker,
        language=LANGUAGE,
        origin=str(path),
        licence=licence,
        audio=audio,
        sample_rate=sr,
        strict=True,
    )
