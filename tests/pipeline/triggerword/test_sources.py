"""The collect sources: TTS, the user's folders, Speech Commands-style archives, Debian packages."""

import hashlib
import io
import tarfile

import numpy as np
import pytest

from pipeline.common.io import DataError
from pipeline.triggerword.sources.archives import archive_clips
from pipeline.triggerword.sources.backgrounds import UFOAI_PK3, dep5_licences, licence_for, noise, ufoai_ambience
from pipeline.triggerword.sources.base import RawClip, Skipped
from pipeline.triggerword.sources.folders import folder_clips
from pipeline.triggerword.sources.packages import (
    ASTERISK,
    ASTERISK_DIR,
    EXCLUDED,
    KTUBERLING_DIR,
    asterisk,
    klettres,
    ktuberling,
    tuxpaint,
    volunteer_group,
)
from pipeline.triggerword.sources.prepare import prepare
from pipeline.triggerword.sources.tts import list_voices, tts_clips
from synth.common.audio import nonsilent_bounds
from tests.helpers.collect_fixtures import SR, needs, tiny_params, tone_word, user_folder, write_wav


def clips_of(items):
    return [i for i in items if isinstance(i, RawClip)]


@pytest.mark.skipif(bool(needs("espeak-ng")), reason=str(needs("espeak-ng")))
def test_espeak_gives_a_trimmed_normalised_positive_and_is_deterministic(tmp_path):
    params = tiny_params(tmp_path, tts=True)
    raw = list(tts_clips(params.collect, params.seed))
    assert [(c.kind, c.word, c.speaker) for c in raw] == [
        ("positive", "activate", "espeak-ng:en-us+f2"),
        ("negative", "lion", "espeak-ng:en-us+f2"),
    ]
    word = prepare(raw[0], params.audio, params.collect)[0].clip
    start, end = nonsilent_bounds(word.audio, SR, params.collect.trim_top_db)
    assert start <= 0.002 * SR and end >= len(word.audio) - 0.002 * SR  # nothing left to trim
    assert 0.3 < len(word.audio) / SR < 0.9 and word.sample_rate == SR
    assert np.isclose(np.max(np.abs(word.audio)), 10 ** (params.collect.word_peak_dbfs / 20), atol=1e-3)
    again = list(tts_clips(params.collect, params.seed))
    assert np.array_equal(raw[0].audio, again[0].audio) and raw[0].origin == again[0].origin


@pytest.mark.skipif(bool(needs("espeak-ng")), reason=str(needs("espeak-ng")))
def test_phrases_end_with_the_positive_word_and_sentences_are_whole_negatives(tmp_path):
    tts = {"positive_phrases": ["please {word}"], "negative_sentences": ["the activity starts at seven"]}
    params = tiny_params(tmp_path, tts=True, max_word_seconds=1.5, max_phrase_seconds=1.9)
    params = params.model_copy(
        update={"collect": params.collect.replace(tts={**params.collect.tts.model_dump(), **tts})}
    )
    raw = list(tts_clips(params.collect, params.seed))
    phrase = next(c for c in raw if "please" in c.origin)
    sentence = next(c for c in raw if c.word == "the activity starts at seven")
    assert (phrase.kind, phrase.word) == ("positive", "activate") and phrase.origin.endswith("please activate")
    assert sentence.kind == "negative" and sentence.speaker == "espeak-ng:en-us+f2"
    word = prepare(next(c for c in raw if c.origin.endswith(" activate")), params.audio, params.collect)[0].clip
    said = prepare(phrase, params.audio, params.collect)[0].clip
    assert len(said.audio) > len(word.audio) + 0.15 * SR  # "please" comes first; the clip still ends with the word
    assert len(prepare(sentence, params.audio, params.collect)[0].clip.audio) > 1.0 * SR  # longer than any word


@pytest.mark.skipif(bool(needs("espeak-ng")), reason=str(needs("espeak-ng")))
def test_espeak_variants_apply_to_en_gb_and_unknown_variants_are_named(tmp_path):
    params = tiny_params(tmp_path, tts=True)
    tts = params.collect.tts.replace(espeak_accents=("en-gb",), espeak_variants=("f2", "m3"))
    collect = params.collect.replace(tts=tts, negative_words=())
    a, b = tts_clips(collect, 0)
    assert not np.array_equal(a.audio, b.audio)  # `-v en-gb+f2` alone would ignore the variant
    with pytest.raises(DataError, match="no-such-variant"):
        list_voices(tts.replace(espeak_variants=("no-such-variant",)))
    everything = list_voices(tts.replace(espeak_variants="all"))
    assert len(everything) > 50 and not any(v.name.startswith("mb") for v in everything)


@pytest.mark.skipif(bool(needs("flite") or needs("festival")), reason="flite or festival is not installed")
def test_flite_and_festival_voices_render(tmp_path):
    params = tiny_params(tmp_path, tts=True)
    tts = params.collect.tts.replace(
        engines=("flite", "festival"),
        flite_voices=("slt",),
        festival_voices=("kal_diphone",),
        engine_take_multiplier={"festival": 2},
    )
    raw = list(tts_clips(params.collect.replace(tts=tts, negative_words=()), 0))
    assert [c.speaker for c in raw] == ["flite:slt"] + ["festival:kal_diphone"] * 2  # multiplier: 2 takes
    for clip in raw:
        assert 0.3 < len(prepare(clip, params.audio, params.collect)[0].clip.audio) / SR < 0.9


def test_folder_source_speakers_from_sub_folders_or_stems(tmp_path):
    params = tiny_params(tmp_path)
    raw = list(folder_clips(user_folder(tmp_path / "recordings"), "activate"))
    assert [(c.kind, c.word, c.speaker, c.strict) for c in raw[:3]] == [
        ("positive", "activate", "alice", True),
        ("positive", "activate", "bob", True),
        ("negative", "lion", "carol", True),
    ]
    background = raw[3]
    assert background.kind == "background" and background.split_group.endswith("backgrounds/room.wav")
    windows = prepare(background, params.audio, params.collect)
    assert len(windows) == 1 and len(windows[0].clip.audio) == 2 * SR  # 3 s -> one 2 s window
    assert abs(len(prepare(raw[1], params.audio, params.collect)[0].clip.audio) / SR - 0.6) < 0.01


def test_folder_negatives_containing_the_positive_word_are_an_error(tmp_path):
    write_wav(tmp_path / "r" / "negatives" / "activated" / "x.wav", tone_word())
    with pytest.raises(DataError, match="activated"):
        list(folder_clips(tmp_path / "r", "activate"))


def speech_commands_tar(path):
    """A tiny Speech Commands layout: two words, an excluded word, background noise, a README."""
    rng = np.random.default_rng(0)
    members = {
        "activate/ab12_nohash_0.wav": tone_word(0.5),
        "activate/cd34_nohash_1.wav": tone_word(0.6),
        "lion/ab12_nohash_0.wav": tone_word(0.4),
        "activated/ef56_nohash_0.wav": tone_word(0.5),
        "_background_noise_/white_noise.wav": (0.1 * rng.standard_normal(5 * SR)).astype(np.float32),
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, audio in [*members.items(), ("README.md", None)]:
            data = b"readme" if audio is None else _wav_bytes(audio)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _wav_bytes(audio):
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, audio, SR, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@pytest.mark.parametrize("as_url", [True, False])
def test_archive_loader_from_file_url_and_path(tmp_path, as_url):
    tar = speech_commands_tar(tmp_path / "speech_commands_tiny.tar.gz")
    digest = hashlib.sha256(tar.read_bytes()).hexdigest()
    entry = {"url": tar.as_uri() if as_url else str(tar), "sha256": digest, "licence": "CC-BY-4.0"}
    items = list(archive_clips(entry, "activate", cache_dir=tmp_path / "cache"))
    raw = clips_of(items)
    assert sorted((c.kind, c.word, c.speaker) for c in raw) == [
        ("background", "", "archive:speech_commands_tiny/_background_noise_/white_noise"),
        ("negative", "lion", "speech_commands_tiny:ab12"),
        ("positive", "activate", "speech_commands_tiny:ab12"),
        ("positive", "activate", "speech_commands_tiny:cd34"),
    ]
    assert [s.reason for s in items if isinstance(s, Skipped)] == ["contains the positive word"]
    assert all(c.strict and c.licence == "CC-BY-4.0" for c in raw)
    assert (tmp_path / "cache").exists() == as_url
    with pytest.raises(DataError, match="sha256"):
        list(archive_clips({**entry, "sha256": "0" * 64}, "activate", cache_dir=tmp_path / "cache"))


@pytest.mark.parametrize("name", ["asterisk-en", "asterisk-fr", "asterisk-ru"])
def test_asterisk_excludes_words_containing_the_positive_word(name):
    folder, language, speaker, package, _ = ASTERISK[name]
    if not (ASTERISK_DIR / folder).is_dir():
        pytest.skip(f"{package} is not installed")
    items = list(asterisk(name, "activate", limit=3))
    excluded = [s.origin for s in items if isinstance(s, Skipped) and s.reason == EXCLUDED]
    assert any(o.endswith("/activated.wav") for o in excluded)
    raw = clips_of(items)
    assert len(raw) == 3 and not any("activate" in c.word for c in raw)
    assert all(c.licence == "CC-BY-SA-3.0" and c.speaker == f"asterisk:{speaker}" for c in raw)
    assert all(c.language == language and c.source == name for c in raw)


def test_allisons_english_and_spanish_prompts_are_one_split_group():
    assert ASTERISK["asterisk-en"][2] == ASTERISK["asterisk-es"][2]


@pytest.mark.skipif(not KTUBERLING_DIR.is_dir(), reason="ktuberling-data is not installed")
def test_ktuberling_words_come_from_the_sound_theme():
    raw = clips_of(ktuberling("activate", limit=2))
    assert len(raw) == 2 and all(c.speaker == f"ktuberling:{c.language}" for c in raw)
    assert all(c.word and c.licence == "GPL-2+" and c.kind == "negative" for c in raw)
    assert all(c.split_group == volunteer_group(c.language) for c in raw)


def test_volunteer_groups_join_a_language_across_regions_and_scripts():
    assert [volunteer_group(code) for code in ("nds", "en_GB", "pt_BR", "sr@latin", "sr")] == [
        "volunteer:nds",
        "volunteer:en",
        "volunteer:pt",
        "volunteer:sr",
        "volunteer:sr",
    ]


def test_tuxpaint_descriptions_are_one_speaker_per_language_with_their_stamps_text(tmp_path):
    import soundfile

    stamps = {"animals/cat": "A cat.\nfr.utf8=Un chat.\n", "tools/lamp": "Press to activate the lamp.\n"}
    for stamp, text in stamps.items():
        (tmp_path / stamp).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f"{stamp}.txt").write_text(text)
    rng = np.random.default_rng(0)
    for i, name in enumerate(["animals/cat_desc.ogg", "animals/cat_desc_fr.ogg", "tools/lamp_desc.ogg"]):
        soundfile.write(tmp_path / name, rng.uniform(-0.3, 0.3, 8000 + 100 * i), 16000, format="OGG")
    items = list(tuxpaint("activate", root=tmp_path))
    raw = clips_of(items)
    assert [(c.word, c.language, c.speaker) for c in raw] == [
        ("a cat.", "en", "tuxpaint:en"),
        ("un chat.", "fr", "tuxpaint:fr"),
    ]
    assert [c.split_group for c in raw] == ["volunteer:en", "volunteer:fr"]
    assert all(c.kind == "negative" and c.licence == "GPL-2+" for c in raw)
    assert [(s.origin.endswith("lamp_desc.ogg"), s.reason) for s in items if isinstance(s, Skipped)] == [
        (True, EXCLUDED)
    ]  # its description says the word


def test_klettres_letters_and_syllables_are_one_speaker_per_language_folder(tmp_path):
    import soundfile

    rng = np.random.default_rng(0)
    for i, name in enumerate(["en_GB/alpha/B.ogg", "fr/alpha/A.ogg", "fr/syllab/ba.ogg", "pics/x/y.ogg"]):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(tmp_path / name, rng.uniform(-0.3, 0.3, 8000 + 100 * i), 16000, format="OGG")
    (tmp_path / "fr/syllab/ba_copy.ogg").write_bytes((tmp_path / "fr/syllab/ba.ogg").read_bytes())
    items = list(klettres("activate", root=tmp_path))
    raw = clips_of(items)
    assert [(c.word, c.language, c.speaker, c.name) for c in raw] == [
        ("b", "en_GB", "klettres:en_GB", "en_GB/alpha/B"),
        ("a", "fr", "klettres:fr", "fr/alpha/A"),
        ("ba", "fr", "klettres:fr", "fr/syllab/ba"),
    ]  # the game's pictures are no language; a byte-identical copy is one recording
    # en_GB's volunteer shares the English split group of every children's game (one person may record for several)
    assert [c.split_group for c in raw] == ["volunteer:en", "volunteer:fr", "volunteer:fr"]
    assert all(c.kind == "negative" and c.licence == "GPL-2+" for c in raw)
    assert [s.reason for s in items if isinstance(s, Skipped)] == ["duplicate recording"]
    with pytest.raises(DataError, match="klettres-data"):
        list(klettres("activate", root=tmp_path / "absent"))


def test_dep5_licences_pick_the_last_matching_stanza(tmp_path):
    copyright_file = tmp_path / "copyright"
    copyright_file.write_text(
        "Format: x\n\nFiles: *\nCopyright: team\nLicense: GPL-2+\n\n"
        "Files:\n base/sound/ambience/fire.ogg\n base/music/*\nCopyright: a\n"
        "License: CC-BY-3.0\n text of the licence\n"
    )
    stanzas = dep5_licences(copyright_file)
    assert licence_for("base/sound/ambience/fire.ogg", stanzas) == "CC-BY-3.0"
    assert licence_for("base/sound/ambience/hum.ogg", stanzas) == "GPL-2+"


@pytest.mark.skipif(not UFOAI_PK3.is_file(), reason="ufoai-sound is not installed")
def test_ufoai_ambience_reads_from_the_pk3_with_per_file_licences():
    (clip,) = clips_of(ufoai_ambience(limit=1))
    assert clip.kind == "background" and clip.split_group == clip.speaker == f"ufoai-ambience:{clip.name}"
    assert clip.licence in {"GPL-2+", "GPL-2", "CC-BY-3.0", "CC-BY-SA-3.0", "public-domain"}


def test_noise_recordings_are_independent_and_seeded(tmp_path):
    params = tiny_params(tmp_path, noise_windows_per_colour=2)
    raw = list(noise(params.collect, SR, seed=3))
    assert len(raw) == 6 and len({c.split_group for c in raw}) == 6
    assert all(len(c.audio) == 2 * SR for c in raw)
    assert np.array_equal(raw[0].audio, list(noise(params.collect, SR, seed=3))[0].audio)


def test_recorded_words_get_tape_speed_variants_in_their_speakers_split(tmp_path):
    params = tiny_params(tmp_path, speed_variants=[0.9, 1.1])
    raw = list(folder_clips(user_folder(tmp_path / "recordings"), "activate"))
    original, slow, fast = prepare(raw[1], params.audio, params.collect)
    n = len(original.clip.audio)
    assert abs(len(slow.clip.audio) - n / 0.9) <= 2 and abs(len(fast.clip.audio) - n / 1.1) <= 2
    assert (slow.clip_id, fast.clip_id) == (f"{original.clip_id}-x090", f"{original.clip_id}-x110")
    assert slow.clip.speaker == original.clip.speaker and slow.clip.split_group == original.clip.split_group
