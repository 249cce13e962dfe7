"""Real people saying the trigger word: the package lines a negative source leaves out because they say it
(Warzone 2100's "Command Console Activated", Allison's asterisk prompts "activated" and "de-activated").
Too few and too band-limited to train on, and the only human takes of the word the project has: the stress
stage scores each one with `datasynth detect`.

Flight of the Amazon Queen's lines that say it are not here: its lines are screened by scene, not line by
line (sources/queen.py), so which of a scene's lines says the word is not known.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.common.audio_files import read_audio
from pipeline.common.io import DataError
from pipeline.common.params.triggerword import CollectParams
from pipeline.triggerword.sources import warzone
from pipeline.triggerword.sources.base import RawClip, contains_word
from pipeline.triggerword.sources.packages import ASTERISK, ASTERISK_DIR

ENGLISH_PROMPTS = ("asterisk-en",)  # other languages' file names are English, their words are not


def real_positive_clips(collect: CollectParams) -> list[RawClip]:
    """Every line of an installed, enabled package whose transcript (or English prompt name) says the word."""
    from pipeline.triggerword.sources.near_misses import transcript_screen

    word = collect.positive_word
    clips: list[RawClip] = []
    if "warzone2100" in collect.speech_packages and warzone.BASE_WZ.exists():
        found = warzone.warzone_positives(transcript_screen(word))
        clips += [c for c in found if isinstance(c, RawClip)]
    for name in ENGLISH_PROMPTS:
        if name in collect.speech_packages:
            clips += _prompts_saying(name, word)
    return clips


def _prompts_saying(name: str, word: str, root: Path = ASTERISK_DIR) -> list[RawClip]:
    folder, language, speaker, _, licence = ASTERISK[name]
    found = []
    for path in sorted((root / folder).rglob("*.wav")):
        if not contains_word(path.stem, word):
            continue
        try:
            audio, sr = read_audio(path, str(path))
        except DataError:
            continue  # the negative source names a damaged package file already
        group = f"asterisk:{speaker}"
        found.append(
            RawClip(
                kind="positive",
                word=path.stem.replace("-", " "),
                source=name,
                name=path.stem,
                speaker=group,
                split_group=group,
                language=language,
                origin=str(path),
                licence=licence,
                audio=audio,
                sample_rate=sr,
            )
        )
    return found
