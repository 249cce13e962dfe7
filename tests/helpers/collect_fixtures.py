"""Small inputs for the collect-stage tests: tone "words", user folders and a params.yaml that
keeps a whole collect run to a second or two (one espeak voice at most, noise backgrounds)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import soundfile as sf

from pipeline.common.params import Params, load_params
from tests.helpers.project import full_params
from tests.helpers.specs import project_params

SR = 16000


def tone_word(
    seconds: float = 0.5, sr: int = SR, lead: float = 0.2, tail: float = 0.3, freq: float = 330.0, amp: float = 0.5
) -> np.ndarray:
    """A steady tone standing in for a spoken word, with silence before and after."""
    t = np.arange(int(round(seconds * sr))) / sr
    word = amp * np.sin(2 * np.pi * freq * t)
    return np.concatenate([np.zeros(int(lead * sr)), word, np.zeros(int(tail * sr))]).astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, sr: int = SR) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, sr, subtype="PCM_16")
    return path


def user_folder(root: Path) -> Path:
    """positives/ with a speaker sub-folder and a loose file, negatives/lion/, backgrounds/."""
    write_wav(root / "positives" / "alice" / "take1.wav", tone_word(0.5))
    write_wav(root / "positives" / "bob.flac", tone_word(0.6, freq=220))
    write_wav(root / "negatives" / "lion" / "carol" / "take1.wav", tone_word(0.4, freq=500))
    rng = np.random.default_rng(0)
    write_wav(root / "backgrounds" / "room.wav", (0.1 * rng.standard_normal(3 * SR)).astype(np.float32))
    return root


def write_params(root: Path, tts: bool = False, folders: tuple[str, ...] = ("recordings",), **collect) -> Path:
    """params.yaml for a tiny run: 16 kHz, 2 s examples, noise backgrounds, optional espeak."""
    section = {
        "positive_word": "activate",
        "negative_words": ["lion"],
        "near_misses": {"words": 0, "pairs": 0},  # tests of near misses turn them on
        "min_word_seconds": 0.2,
        "max_word_seconds": 0.9,
        "max_phrase_seconds": 1.2,
        "speed_variants": [],
        "tts": {
            "engines": ["espeak-ng"] if tts else [],
            "espeak_accents": ["en-us"],
            "espeak_variants": ["f2"],
            "positive_takes": 1,
            "negative_voices_per_word": 1,
            "positive_phrases": [],
            "negative_sentences": [],
        },
        "speech_packages": [],
        "backgrounds": ["noise"],
        "background_window_seconds": 2.0,
        "noise_windows_per_colour": 1,
        "folders": list(folders),
        "archives": [],
    }
    section.update(collect)
    # labels.ty must match what the project's model makes of a 2 s example.
    project = project_params()
    ty = project.model.lecture.output_steps(project.features.frames(2 * SR))
    small = {
        "seed": 7,
        "audio": {"sample_rate": SR, "clip_seconds": 2.0},
        "collect": section,
        "synthesise": {
            "positives": [0, 1],
            "negatives": [0, 1],
            "end_guard_seconds": 0.1,
            "stream": {
                "hours": 0.01,
                "mining_hours": 0.01,
                "dev_hours": 0.01,
                "negatives": [0, 1],
                "conversation": {"hours": 0.0, "mining_hours": 0.0, "dev_hours": 0.0},  # no recorded speech here
            },
        },
        "labels": {"ty": ty, "ones_after_end": min(10, ty - 1)},
        "studies": {"audio_rate": {"rates": [8000, SR]}},
    }
    path = root / "params.yaml"
    path.write_text(full_params(small))
    return path


def tiny_params(root: Path, **kwargs) -> Params:
    return load_params(write_params(root, **kwargs))


def needs(binary: str) -> str | None:
    """Why a test must be skipped when a Debian package's binary is absent (None if present)."""
    return None if shutil.which(binary) else f"{binary} is not installed (apt-get install {binary})"
