"""An independent speech recogniser for the audit: PocketSphinx with a grammar of the catalog's texts.

Why PocketSphinx in grammar mode: its wheel ships a US-English acoustic model and a 130k-word
dictionary (nothing to download), it shares nothing with the detector's front-end, and a grammar
restricted to the catalog's own texts asks exactly the audit's question, "which of these did the
clip say, if any?", at ~20x real time on one core. The confidence is the lowest lattice posterior
of the recognised words (the utterance's own posterior is split between paths that differ only in
trailing silence, so it stops near 0.5 for a clear word). Keyphrase mode answers only yes/no for
one phrase and needs a threshold per phrase; the free language model mishears isolated words too
often to tell "other word" from "unsure".

Measured on the default catalog: it hears festival and flite voices right in ~90 % of their clips
but espeak-ng's formant voices in under 10 % (it cannot decode formant synthesis even in whole
sentences), so a source it rarely hears right is sent to people instead of being dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 16_000
PAD_SECONDS = 0.2  # silence around each clip: trimmed words otherwise lose their first frames
_CLEAN = re.compile(r"[^a-z' ]+")


@dataclass(frozen=True)
class Heard:
    text: str  # '' when no text of the grammar fits the clip
    confidence: float  # lowest posterior of its words, in [0, 1]; 1.0 for ''  (nothing fits at all)


def normalise(text: str) -> str:
    """Lower case, letters, apostrophes and single spaces: the grammar's spelling of a text."""
    return " ".join(_CLEAN.sub(" ", text.lower()).split())


class Recogniser:
    """Recognise one of `texts` (or nothing) in a clip. Texts with words outside the dictionary are left out."""

    def __init__(self, texts: list[str]) -> None:
        from pocketsphinx import Decoder, get_model_path

        model = Path(get_model_path()) / "en-us"
        self._decoder = Decoder(
            hmm=str(model / "en-us"),
            dict=str(model / "cmudict-en-us.dict"),
            samprate=RATE,
            bestpath=True,
            loglevel="FATAL",
            lm=None,
        )
        wanted = sorted({normalise(text) for text in texts} - {""})
        self.texts = [text for text in wanted if self.knows(text)]
        if not self.texts:
            raise ValueError("none of the texts has all its words in the recogniser's dictionary")
        alternatives = " | ".join(self.texts)
        self._decoder.add_jsgf_string("texts", f"#JSGF V1.0;\ngrammar texts;\npublic <text> = {alternatives} ;\n")
        self._decoder.activate_search("texts")

    def knows(self, text: str) -> bool:
        return all(self._decoder.lookup_word(word) is not None for word in normalise(text).split())

    def __call__(self, audio: np.ndarray, sample_rate: int) -> Heard:
        """`audio`: mono float in [-1, 1] at any rate."""
        pcm = _pcm16(audio, sample_rate)
        self._decoder.start_utt()
        self._decoder.process_raw(pcm, full_utt=True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        text = normalise(hyp.hypstr) if hyp is not None else ""
        if not text:
            return Heard("", 1.0)
        words = [seg.prob for seg in self._decoder.seg() if not seg.word.startswith(("<", "["))]
        return Heard(text, float(np.clip(min(words, default=1.0), 0.0, 1.0)))


def _pcm16(audio: np.ndarray, sample_rate: int) -> bytes:
    from models.triggerword.speech_embedding import resample

    audio = resample(np.asarray(audio, np.float32), sample_rate)
    pad = np.zeros(int(PAD_SECONDS * RATE), np.float32)
    audio = np.concatenate([pad, audio, pad])
    return (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
