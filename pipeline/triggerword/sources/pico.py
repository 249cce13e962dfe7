"""SVOX Pico, the small HMM-based TTS engine of Android's early years, offline from PyPI.

The `ttspico` source package (Apache-2.0: the AOSP Pico engine and its language files) builds a C
extension and installs the engine's lingware: two English voices, American (en-US, `lh0`) and British
(en-GB, `kh0`), both women. An engine has its own speed (`rate`, %) and pitch (`pitch`, %) controls; it
returns 16 kHz 16-bit PCM. A third engine family beside the formant (espeak-ng), diphone/HTS (flite,
festival) and neural (Kokoro) ones: statistical-parametric speech with natural prosody.
"""

from __future__ import annotations

import importlib.util
import threading

import numpy as np

from pipeline.common.io import DataError

RATE = 16000
LANGUAGES = {"en-US": "en-us", "en-GB": "en-gb"}  # voice -> the catalog's language
VOICES = tuple(LANGUAGES)
LICENCE = "Apache-2.0 (SVOX Pico engine and lingware, Android Open Source Project; ttspico)"
INSTALL = "pip install ttspico==0.3.2 (./setup.sh does this; it builds with gcc)"
LIMITS = {"rate": (20, 500), "pitch": (50, 200)}  # the engine's bounds, in % of its default


def require() -> None:
    if importlib.util.find_spec("ttspico") is None:
        raise DataError(f"pico: the Python package 'ttspico' is not installed; {INSTALL}")


def check_voices(names: tuple[str, ...]) -> tuple[str, ...]:
    """`names` when each is a Pico voice, else one error naming the unknown ones."""
    unknown = [n for n in names if n not in VOICES]
    if unknown:
        raise DataError(f"pico: no voice {unknown} (collect.tts.pico_voices); the voices are {', '.join(VOICES)}")
    return names


class Pico:
    """A fresh engine for every take: an engine that has spoken once says the same text differently the next
    time (it keeps state), and a new one costs ~1 ms. One take at a time: the C module's engines may share
    globals, and a take takes ~10 ms."""

    def __init__(self):
        require()
        self._lock = threading.Lock()

    def say(self, text: str, voice: str, speed: float = 1.0, pitch: float = 1.0) -> np.ndarray:
        """16 kHz float audio of `text` by `voice`, at `speed` and `pitch` relative to the voice's own."""
        import ttspico

        check_voices((voice,))
        with self._lock:
            engine = ttspico.TtsEngine(voice)
            engine.rate, engine.pitch = controls(speed, pitch)
            pcm = engine.speak(text)
            del engine
        if not pcm:
            raise DataError(f"pico: voice {voice} gave no audio for {text!r}")
        return np.frombuffer(pcm, np.int16).astype(np.float32) / 32768.0


def controls(speed: float, pitch: float) -> tuple[int, int]:
    """The engine's rate and pitch settings (% of its defaults, within its bounds) for relative speed and pitch."""
    return int(np.clip(round(100 * speed), *LIMITS["rate"])), int(np.clip(round(100 * pitch), *LIMITS["pitch"]))


def describe(voice: str, speed: float, pitch: float) -> str:
    rate, tone = controls(speed, pitch)
    return f"svox pico {voice}: rate {rate} %, pitch {tone} %"
