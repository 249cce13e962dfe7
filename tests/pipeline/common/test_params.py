"""params.yaml is read into one typed Params object; it is the only place a default lives."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.common.params import Params, ParamsError, load_params
from pipeline.common.params.root import build
from tests.helpers.project import REPO, project_env


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


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda p: p["collect"].update(max_phrase_seconds=9.8), "collect.max_phrase_seconds"),
        (lambda p: p["collect"]["tts"].update(positive_phrases=["{word} now"]), "must end with"),
        (lambda p: p["synthesise"].update(split_fractions={"train": 0.9, "dev": 0.2, "test": 0.1}), "sum to 1"),
        (lambda p: p["audio"].update(sample_rate=100), "audio.sample_rate"),
        (lambda p: p["collect"].update(negative_words=["activated"]), "collect.negative_words"),
        (lambda p: p["collect"]["tts"].update(engines=["say"]), "collect.tts.engines"),
        (lambda p: p["synthesise"].update(snr_db=[20, 0]), "synthesise.snr_db"),
        (lambda p: p["labels"].update(ones_after_end=0), "labels.ones_after_end"),
        (lambda p: p["synthesise"].update(shards=3), "unknown key"),
    ],
)
def test_out_of_range_params_are_named(tmp_path, edit, fragment):
    with pytest.raises(ParamsError, match=fragment):
        load_params(write(tmp_path, edit))


def test_an_insert_longer_than_a_clip_explains_the_arithmetic(tmp_path):
    path = write(tmp_path, lambda p: p["collect"].update(max_phrase_seconds=9.8))
    with pytest.raises(ParamsError, match=r"a 9.8 s insert .* plus the 0.6 s end guard does not fit"):
        load_params(path)


def test_a_missing_file_is_a_params_error(tmp_path):
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "nope.yaml")


def leaf_keys(mapping: dict, prefix: str = "") -> list[str]:
    """Dotted keys of every value that is not itself a section (free-form mappings stay whole)."""
    free_form = {
        "collect.tts.engine_take_multiplier",
        "synthesise.examples",
        "embed.examples",
        "synthesise.split_fractions",
        "daynight.split_fractions",
        "daynight.sources",
        "daynight.pipelines",
        "identity.speakers",
        "identity.split_fractions",
        "train.profiles",
        "synthesise.holdout",  # split -> names; a split may hold nothing
        "ablate.arms",  # arm -> {dotted param: value}
        "data_value.groups",  # group -> its members; a group may be left out
    }
    keys = []
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name not in free_form:
            keys += leaf_keys(value, name + ".")
        else:
            keys.append(name)
    return keys


def test_every_missing_key_is_one_error_naming_it(tmp_path):
    """Every leaf key dropped in turn (validated in memory: the file round trip is the last check's)."""
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    keys = leaf_keys(raw)
    assert len(keys) > 120
    for key in keys:
        edited = copy.deepcopy(raw)
        section = edited
        for part in key.split(".")[:-1]:
            section = section[part]
        del section[key.split(".")[-1]]
        with pytest.raises(ParamsError) as error:
            build(Params, edited, "params.yaml")
        assert str(error.value).splitlines() == [
            f"params.yaml: {key}: missing: every key must be set in params.yaml (defaults live there and nowhere else)"
        ], key
    path = write(tmp_path, lambda p: p["collect"]["tts"]["kokoro"].pop("voices_per_blend"))
    with pytest.raises(ParamsError, match=f"^{path}: collect.tts.kokoro.voices_per_blend: missing"):
        load_params(path)


def test_a_mistyped_value_names_its_key(tmp_path):
    path = write(tmp_path, lambda p: p["daynight"]["train"].update(epochs="thirty"))
    with pytest.raises(ParamsError, match=r"daynight.train.epochs: Input should be a valid integer"):
        load_params(path)
    path = write(tmp_path, lambda p: p["train"].update(num_workers=2.5))
    with pytest.raises(ParamsError, match=r"train.num_workers: .*integer"):
        load_params(path)


def all_subclasses(cls: type) -> set[type]:
    return set(cls.__subclasses__()).union(*(all_subclasses(c) for c in cls.__subclasses__()))


def test_no_settings_field_has_a_default_of_its_own():
    import pipeline.common.params  # noqa: F401  (imports every section's model)
    from models.identity.spec import EncoderSpec  # noqa: F401
    from synth.common.spec import Spec

    models = all_subclasses(Spec)
    assert len(models) >= 25
    defaults = [f"{m.__name__}.{name}" for m in models for name, f in m.model_fields.items() if not f.is_required()]
    assert not defaults


def test_core_specs_take_their_values_from_params():
    """The torch module's settings are the params object itself, not a second copy of its fields."""
    params = load_params(REPO / "params.yaml")
    from models.triggerword.lecture import TriggerWordModel

    model = TriggerWordModel(params.model.lecture, params.features.n_features)
    assert model.spec is params.model.lecture and model.conv.out_channels == params.model.lecture.conv_filters


def test_the_overlay_printer_checks_and_merges():
    out = subprocess.run(
        [sys.executable, "-m", "pipeline.common.params", "configs/cpu-small.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=project_env(),
        check=True,
    ).stdout
    merged = yaml.safe_load(out)
    assert merged["audio"]["sample_rate"] == 16000 and "daynight" in merged


def test_a_stage_with_a_bad_key_exits_with_one_line(tmp_path):
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    del raw["synthesise"]["snr_db"]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.triggerword.synthesise"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**project_env(), "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "synthesise: error: params.yaml: synthesise.snr_db: missing: every key must be "
        "set in params.yaml (defaults live there and nowhere else)"
    )
    assert not (tmp_path / "data").exists()
