"""SVOX Pico as a TTS source: the word a recogniser hears, its own speed and pitch controls, clear errors."""

import numpy as np
import pytest

from pipeline.common.io import DataError
from pipeline.triggerword.sources import pico

pytest.importorskip("ttspico", reason="ttspico is not installed (./setup.sh installs it)")


@pytest.fixture(scope="module")
def engine():
    return pico.Pico()


@pytest.mark.parametrize("voice", pico.VOICES)
def test_each_voice_says_the_word_a_recogniser_hears(engine, voice):
    from models.triggerword.recogniser import Recogniser

    audio = engine.say("activate", voice)
    assert audio.dtype == np.float32 and 0.4 < len(audio) / pico.RATE < 2.0
    assert 0.05 < np.abs(audio).max() <= 1.0
    heard = Recogniser(["activate", "kitchen", "captivate", "motivate", "window"])(audio, pico.RATE)
    assert heard.text == "activate"


def test_speed_and_pitch_are_the_engines_own_controls(engine):
    plain = engine.say("activate", "en-US")
    assert len(engine.say("activate", "en-US", speed=1.3)) < 0.9 * len(plain)
    assert np.array_equal(engine.say("activate", "en-US"), plain)  # the same take again: the same samples
    assert not np.array_equal(engine.say("activate", "en-US", pitch=1.2), plain)
    assert pico.controls(9.0, 0.1) == (500, 50)  # clipped to the engine's bounds
    assert "rate 120 %, pitch 90 %" in pico.describe("en-GB", 1.2, 0.9)


def test_an_unknown_voice_is_named(engine):
    with pytest.raises(DataError, match=r"no voice \['de-DE'\].*en-US, en-GB"):
        engine.say("activate", "de-DE")


def test_a_missing_package_names_the_install(monkeypatch):
    monkeypatch.setattr(pico.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match="'ttspico' is not installed.*pip install ttspico"):
        pico.Pico()
