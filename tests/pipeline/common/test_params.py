"""params.yaml is read into typed dataclasses; every bad value names its param."""
from pathlib import Path

import pytest
import yaml

from pipeline.common.params import Params, ParamsError, load_params
from tests.helpers.project import REPO



def write(tmp_path, edit) -> Path:
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    edit(raw)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_the_shipped_params_load():
    params = load_params(REPO / "params.yaml")
    assert isinstance(params, Params)
    assert params.audio.clip_samples == 441_000
    assert params.features.frames(params.audio.clip_samples) == 5511
    assert params.labels.ty == 1375
    assert len(params.collect.negative_words) >= 40


@pytest.mark.parametrize("edit, fragment", [
    (lambda p: p["synthesise"].update(positives=[0, 6]), "synthesise.positives"),
    (lambda p: p["synthesise"].update(split_fractions={"train": 0.9, "dev": 0.2, "test": 0.1}), "sum to 1"),
    (lambda p: p["audio"].update(sample_rate=100), "audio.sample_rate"),
    (lambda p: p["collect"].update(negative_words=["activated"]), "collect.negative_words"),
    (lambda p: p["collect"]["tts"].update(engines=["say"]), "collect.tts.engines"),
    (lambda p: p["synthesise"].update(snr_db=[20, 0]), "synthesise.snr_db"),
    (lambda p: p["labels"].update(ones_after_end=0), "labels.ones_after_end"),
    (lambda p: p["synthesise"].update(shards=3), "unknown key"),
])
def test_out_of_range_params_are_named(tmp_path, edit, fragment):
    with pytest.raises(ParamsError, match=fragment):
        load_params(write(tmp_path, edit))


def test_more_inserts_than_fit_in_a_clip_explains_the_arithmetic(tmp_path):
    path = write(tmp_path, lambda p: p["synthesise"].update(positives=[0, 4], negatives=[0, 3]))
    with pytest.raises(ParamsError, match=r"need 11.40 s, more than audio.clip_seconds = 10.0"):
        load_params(path)


def test_a_missing_file_is_a_params_error(tmp_path):
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "nope.yaml")
