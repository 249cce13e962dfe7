"""The game voice casts: Flight of the Amazon Queen's resource container and Warzone 2100's zip, on small
files with the same layouts; lines that say the positive word never become negatives."""

import io
import struct
import zipfile

import numpy as np
import pytest
import soundfile as sf

from pipeline.common.io import DataError
from pipeline.common.params import load_params
from pipeline.triggerword.sources import queen, warzone
from pipeline.triggerword.sources.base import RawClip, Skipped

SR = 11025


def _audio(fmt: str, seconds: float = 0.6, pitch: float = 220.0) -> bytes:
    t = np.arange(int(SR * seconds)) / SR
    buffer = io.BytesIO()
    sf.write(buffer, (0.3 * np.sin(2 * np.pi * pitch * t)).astype("float32"), SR, format=fmt)
    return buffer.getvalue()


def _container(entries: dict[str, bytes], compression: int = 1) -> bytes:
    """A QTBL file: header, 21-byte entries, then the data in entry order."""
    header = struct.pack(">4s6s2sBH", b"QTBL", b"CEM10\0", b"\0\0", compression, len(entries))
    offset = len(header) + 21 * len(entries)
    table, data = b"", b""
    for name, blob in entries.items():
        table += struct.pack(">12sBII", name.encode(), 1, offset + len(data), len(blob))
        data += blob
    return header + table + data


def _says_activate(text: str) -> bool:
    return "activat" in text.lower()


def _fotaq_file(tmp_path, dialogue_text: str = "Hello there*01") -> object:
    entries = {
        "C39A.CUT": b"AmBk*FRNow to activate the machine!*00",
        "C40B.CUT": b"AmBk*FRJust a cutscene.*00",
        "BOB1.DOG": dialogue_text.encode(),
        "QUEEN2.JAS": b"It smells of coffee*24\r\n",
        "C39A_031.SB": _audio("MP3"),
        "C40B_011.SB": _audio("MP3", pitch=330),
        "020006J1.SB": _audio("MP3", pitch=440),
        "020006P1.SB": _audio("MP3", pitch=550),
        "JOE00011.SB": _audio("MP3", pitch=660),
        "JOE00021.SB": b"not an mp3 at all",
    }
    path = tmp_path / "queen.1c"
    path.write_bytes(_container(entries))
    return path


def test_the_container_table_is_read_and_bad_files_are_named(tmp_path):
    data = _container({"A.SB": b"abc", "B.CUT": b"text"})
    assert [(e.name, e.size) for e in queen.read_table(data, "q")] == [("A.SB", 3), ("B.CUT", 4)]
    with pytest.raises(DataError, match="x.1c: not a QTBL"):
        queen.read_table(b"RIFF" + data[4:], "x.1c")
    with pytest.raises(DataError, match="compression 0 not supported"):
        queen.read_table(_container({"A.SB": b"abc"}, compression=0), "x.1c")
    with pytest.raises(DataError, match="'B.CUT'.*outside the data"):
        queen.read_table(data[:-2], "x.1c")
    with pytest.raises(DataError, match="too short"):
        queen.read_table(b"QTBL", "x.1c")


def test_fotaq_lines_of_a_scene_that_says_the_word_are_never_negatives(tmp_path):
    items = list(queen.fotaq(_says_activate, None, _fotaq_file(tmp_path)))
    clips = {c.name: c for c in items if isinstance(c, RawClip)}
    skipped = {s.origin.rsplit(":", 1)[1]: s.reason for s in items if isinstance(s, Skipped)}
    assert skipped["C39A_031.SB"] == queen.EXCLUDED and "c39a_031" not in clips
    assert skipped["JOE00021.SB"] == "unreadable"
    assert set(clips) == {"c40b_011", "020006j1", "020006p1", "joe00011"}
    assert all(c.kind == "negative" and c.sample_rate == SR and c.language == "en" for c in clips.values())
    assert clips["020006j1"].split_group == clips["joe00011"].split_group == "fotaq:joe"  # Joe: one group
    assert clips["020006p1"].split_group == "fotaq:room2" and clips["c40b_011"].split_group == "fotaq:room40"


def test_a_dialogue_that_says_the_word_blocks_every_dialogue_line(tmp_path):
    path = _fotaq_file(tmp_path, dialogue_text="Let me activate it*01")
    names = {c.name for c in queen.fotaq(_says_activate, None, path) if isinstance(c, RawClip)}
    assert names == {"c40b_011", "joe00011"}


def test_the_line_limit_keeps_a_fixed_spread(tmp_path):
    path = _fotaq_file(tmp_path)
    first = [c.name for c in queen.fotaq(_says_activate, 2, path) if isinstance(c, RawClip)]
    again = [c.name for c in queen.fotaq(_says_activate, 2, path) if isinstance(c, RawClip)]
    assert len(first) == 2 and first == again


def _warzone_file(tmp_path) -> object:
    config = (
        'audio_module\n{\n\taudio\t"pcv413.ogg"\toneshot 100 1800 /*Command Console Activated*/\n'
        '\taudio\t"pcv341.ogg"\toneshot 100 1800  /*Power Generator Under Attack*/\n'
        '\taudio\t"beep1.ogg"\toneshot 30 1800 /*Close Window*/\n'
        '\taudio\t"pcv999.ogg"\toneshot 100 1800\n}\n'
    )
    path = tmp_path / "base.wz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("audio/audio.cfg", config)
        archive.writestr("audio/memressp/console/pcv413.ogg", _audio("OGG"))
        archive.writestr("audio/memressp/power/pcv341.ogg", _audio("OGG", pitch=330))
        archive.writestr("audio/sfx/interfce/beep1.ogg", _audio("OGG", pitch=880))
        archive.writestr("audio/tutorial/pcv999.ogg", _audio("OGG", pitch=440))
    return path


def test_warzone_keeps_transcribed_speech_and_never_a_line_saying_the_word(tmp_path):
    items = list(warzone.warzone(_says_activate, _warzone_file(tmp_path)))
    clips = [c for c in items if isinstance(c, RawClip)]
    skipped = [s for s in items if isinstance(s, Skipped)]
    assert [(c.name, c.word, c.split_group) for c in clips] == [
        ("memressp/power/pcv341", "power generator under attack", "warzone2100:memressp")
    ]
    assert [(s.reason, s.detail) for s in skipped] == [(warzone.EXCLUDED, "Command Console Activated")]


def test_warzone_lines_saying_the_word_are_the_real_human_positives(tmp_path):
    items = list(warzone.warzone_positives(_says_activate, _warzone_file(tmp_path)))
    assert [(c.kind, c.word, c.name) for c in items] == [
        ("positive", "command console activated", "memressp/console/pcv413")
    ]


def test_a_zip_without_the_sound_config_is_named(tmp_path):
    path = tmp_path / "base.wz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hi")
    with pytest.raises(DataError, match=r"base.wz: not a Warzone 2100 data zip with audio/audio.cfg"):
        list(warzone.warzone(_says_activate, path))


@pytest.mark.skipif(not queen.QUEEN_1C.exists(), reason="flight-of-the-amazon-queen is not installed")
def test_the_installed_game_keeps_the_dino_ray_scene_out():
    from pipeline.triggerword.sources.packages import speech_package_clips

    collect = load_params().collect.replace(fotaq_lines=5)
    items = list(speech_package_clips("fotaq", collect))
    blocked = {s.origin.rsplit(":", 1)[1] for s in items if isinstance(s, Skipped) and s.reason == queen.EXCLUDED}
    assert "C39A_031.SB" in blocked  # "Now to activate the machine!"
    assert len([c for c in items if isinstance(c, RawClip)]) == 5


@pytest.mark.skipif(not warzone.BASE_WZ.exists(), reason="warzone2100-data is not installed")
def test_the_installed_packages_give_real_people_saying_the_word():
    from pipeline.triggerword.sources.real_positives import real_positive_clips

    clips = real_positive_clips(load_params().collect)
    texts = {c.word for c in clips}
    assert {"command console activated", "mission timer activated"} <= texts
    assert all(c.kind == "positive" and "activat" in c.word for c in clips)
    assert real_positive_clips(load_params().collect.replace(speech_packages=())) == []
