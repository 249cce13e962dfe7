"""benchmarks/planted_groups.py: the planted archives hold what they claim, and the params hear and value them."""

import pandas as pd
import yaml

from pipeline.common.params import load_params
from pipeline.triggerword.sources.archives import archive_clips
from tests.helpers.collect_fixtures import tone_word, write_wav
from tests.helpers.project import benchmark, full_params

COLLECT = {"positive_word": "activate", "max_word_seconds": 1.0}


def tiny_catalog(folder):
    """Two short TTS negatives, one long one, two TTS positives and an archive's positive, as collect lays them."""
    rows = [("negative", 0.4), ("negative", 0.5), ("negative", 1.4), ("positive", 0.6), ("positive", 0.7)]
    rows.append(("positive", 0.5))
    paths = []
    for i, (_, seconds) in enumerate(rows):
        write_wav(folder / f"clips/{i}.wav", tone_word(seconds))
        paths.append(f"clips/{i}.wav")
    sources = ["tts:espeak-ng"] * 5 + ["archive:copies"]
    return pd.DataFrame(
        {"kind": [k for k, _ in rows], "duration_s": [s for _, s in rows], "path": paths, "source": sources}
    )


def clips(module, tmp_path, name, files):
    module.write_archive(tmp_path / f"{name}.tar.gz", files)
    return list(archive_clips({"url": str(tmp_path / f"{name}.tar.gz"), "name": name}, "activate", tmp_path))


def test_other_words_and_copies_are_filed_as_the_positive_word(tmp_path):
    module = benchmark("planted_groups")
    plant = module.Plant(kind="words", mislabelled=10, repeat=2, copies=5, decoys=0)
    files = module.archives(tiny_catalog(tmp_path), tmp_path, COLLECT, plant)
    assert set(files) == {"planted", "copies"}
    assert len(files["planted"]) == 4  # the two short negatives twice; the long one is not a word
    assert len(files["copies"]) == 2  # the TTS positives only: not the earlier plant's archive
    assert files["planted"]["activate/n00_nohash_0.wav"] == (tmp_path / "clips/0.wav").read_bytes()
    planted = clips(module, tmp_path, "planted", files["planted"])
    assert {c.kind for c in planted} == {"positive"} and {c.source for c in planted} == {"archive:planted"}


def test_noise_is_filed_as_the_word_and_the_decoys_as_another(tmp_path):
    module = benchmark("planted_groups")
    files = module.archives(tiny_catalog(tmp_path), tmp_path, COLLECT, module.Plant(mislabelled=6, decoys=3))
    assert set(files) == {"planted", "copies", "decoys_dev", "decoys_test"}
    assert len(files["planted"]) == 6 and len(files["decoys_dev"]) == len(files["decoys_test"]) == 3
    assert files["decoys_dev"] != files["decoys_test"]  # other bursts in each split
    assert {c.kind for c in clips(module, tmp_path, "planted", files["planted"])} == {"positive"}
    decoys = clips(module, tmp_path, "decoys_dev", files["decoys_dev"])
    assert {(c.kind, c.word) for c in decoys} == {("negative", "static")}
    assert 0.5 <= min(len(c.audio) / c.sample_rate for c in decoys)
    none = module.archives(tiny_catalog(tmp_path), tmp_path, COLLECT, module.Plant(kind="none", copies=0, decoys=0))
    assert none == {}


def test_the_params_hear_each_archive_in_its_split_and_value_the_training_ones(tmp_path):
    module = benchmark("planted_groups")
    base = yaml.safe_load(full_params({}))
    names = ["planted", "copies", "decoys_dev", "decoys_test"]
    params = module.planted_params(base, names, {"data_value": {"seeds": [3, 4]}})
    assert base == yaml.safe_load(full_params({}))  # the base is left as it was: planted again, it holds once
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    loaded = load_params(tmp_path / "params.yaml")
    assert set(loaded.data_value.groups) == {"planted", "copies"} and loaded.data_value.seeds == (3, 4)
    holdout = loaded.synthesise.holdout
    assert {"archive:planted", "archive:copies"} <= set(holdout["train"])
    assert "archive:decoys_dev" in holdout["dev"] and "archive:decoys_test" in holdout["test"]
    assert "archive" not in loaded.audit.sources and len(loaded.collect.archives) == 4
