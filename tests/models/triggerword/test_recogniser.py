"""The audit's recogniser: a clear word is recognised, noise is not, unknown words are left out."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from models.triggerword.recogniser import Recogniser, normalise

TEXTS = ["activate", "activist", "captivate", "kitchen", "window", "please activate"]


@pytest.fixture(scope="module")
def recognise() -> Recogniser:
    return Recogniser(TEXTS)


def flite(text: str, tmp_path) -> tuple[np.ndarray, int]:
    """flite's kal voice: a voice the recogniser hears well (90 % of flite clips in the default catalog)."""
    path = tmp_path / "word.wav"
    subprocess.run(["flite", "-voice", "kal16", "-t", text, "-o", str(path)], check=True, capture_output=True)
    audio, rate = sf.read(path, dtype="float32")
    return audio, rate


@pytest.mark.skipif(shutil.which("flite") is None, reason="flite is not installed (./setup.sh installs it)")
@pytest.mark.parametrize("text", ["activate", "kitchen", "please activate"])
def test_a_clear_word_is_recognised_at_any_rate(recognise: Recogniser, text: str, tmp_path) -> None:
    audio, rate = flite(text, tmp_path)
    heard = recognise(audio, rate)
    assert heard.text == text and 0.5 <= heard.confidence <= 1.0
    from synth.common.audio import resample

    assert recognise(resample(audio, rate, 44_100), 44_100).text == text


def test_a_noise_burst_is_not_heard_as_a_word(recognise: Recogniser) -> None:
    rng = np.random.default_rng(0)
    burst = (rng.normal(0, 0.3, 16_000) * np.hanning(16_000)).astype(np.float32)
    assert recognise(burst, 16_000).text == ""
    assert recognise(np.zeros(8_000, np.float32), 16_000).text == ""


def test_texts_outside_the_dictionary_are_left_out() -> None:
    recognise = Recogniser(["activate", "zzxqvbword", "Kitchen!"])
    assert recognise.texts == ["activate", "kitchen"]
    assert not recognise.knows("zzxqvbword") and recognise.knows("KITCHEN")
    with pytest.raises(ValueError, match="dictionary"):
        Recogniser(["zzxqvbword"])


def test_normalise_spells_texts_like_the_grammar() -> None:
    assert normalise("  Hey, Computer -- ACTIVATE! ") == "hey computer activate"
    assert normalise("don't") == "don't"
