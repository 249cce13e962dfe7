"""benchmarks/planted_groups.py: the planted archives hold what they claim, and the params value just them."""

import argparse
import importlib.util

import pandas as pd
import yaml

from pipeline.common.params import load_params
from pipeline.triggerword.sources.archives import archive_clips
from tests.helpers.collect_fixtures import tone_word, write_wav
from tests.helpers.project import REPO, full_params


def planted_groups():
    spec = importlib.util.spec_from_file_location("planted_groups", REPO / "benchmarks/planted_groups.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_catalog(folder):
    """Two short negatives, one long one, two positives, as collect lays them out."""
    rows = [("negative", 0.4), ("negative", 0.5), ("negative", 1.4), ("positive", 0.6), ("positive", 0.7)]
    paths = []
    for i, (_, seconds) in enumerate(rows):
        write_wav(folder / f"clips/{i}.wav", tone_word(seconds))
        paths.append(f"clips/{i}.wav")
    return pd.DataFrame({"kind": [k for k, _ in rows], "duration_s": [s for _, s in rows], "path": paths})


def test_the_archives_file_other_words_and_copies_as_the_positive_word(tmp_path):
    module = planted_groups()
    catalog = tiny_catalog(tmp_path)
    args = argparse.Namespace(noise=False, mislabelled=10, repeat=2, copies=1)
    planted, copies = module.planted_files(catalog, tmp_path, "activate", 1.0, args)
    assert len(planted) == 4 and len(copies) == 1  # the two short negatives twice; the long one is not a word
    assert planted["activate/n00_nohash_0.wav"] == (tmp_path / "clips/0.wav").read_bytes()
    module.write_archive(tmp_path / "planted.tar.gz", planted)
    clips = list(archive_clips({"url": str(tmp_path / "planted.tar.gz"), "name": "planted"}, "activate", tmp_path))
    assert (
        len(clips) == 4 and {c.kind for c in clips} == {"positive"} and {c.source for c in clips} == {"archive:planted"}
    )
    noise, _ = module.planted_files(
        catalog, tmp_path, "activate", 1.0, argparse.Namespace(**{**vars(args), "noise": True})
    )
    assert len(noise) == 10


def test_the_params_collect_hold_and_value_only_the_planted_groups(tmp_path):
    module = planted_groups()
    base = yaml.safe_load(full_params({}))
    params = module.planted_params(base, {"data_value": {"seeds": [3, 4]}})
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    loaded = load_params(tmp_path / "params.yaml")
    assert set(loaded.data_value.groups) == {"planted", "copies"} and loaded.data_value.seeds == (3, 4)
    assert {"archive:planted", "archive:copies"} <= set(loaded.synthesise.holdout["train"])
    assert "archive" not in loaded.audit.sources and len(loaded.collect.archives) == 2
