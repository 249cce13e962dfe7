"""The synthesise stage's splits: a held-out TTS engine is heard in test only (one pinned to train, in
training only); the negatives-only stream."""

import numpy as np
import pytest
import yaml

from pipeline.common.params import load_params, merge
from pipeline.triggerword.synthesise import assign_splits, first_conversation_id, stream_examples, synthesise
from synth.common.splits import SPLITS
from synth.triggerword.recipes import RecipeError
from tests.helpers.project import full_params
from tests.helpers.synth_fixtures import TINY_PARAMS, make_catalog

NO_TALK = {"hours": 0.0, "mining_hours": 0.0, "dev_hours": 0.0, "lines": [4, 8], "pause_seconds": [-0.4, 1.0]}


def tiny(tmp_path, synthesise_keys: dict | None = None):
    overlay = merge(yaml.safe_load(TINY_PARAMS), {"synthesise": synthesise_keys or {}})
    (tmp_path / "params.yaml").write_text(full_params(overlay))
    params = load_params(tmp_path / "params.yaml")
    catalog = make_catalog(tmp_path / "catalog", params, speakers=9)
    # Voices 0-2 come from engine "flite", the rest from "espeak-ng".
    catalog["source"] = np.where(
        catalog["speaker"].isin([f"tts:voice{i}" for i in range(3)]), "tts:flite", "tts:espeak-ng"
    )
    catalog.loc[catalog["kind"] == "background", "source"] = "noise"
    return params, catalog


def test_every_voice_of_a_held_out_engine_is_in_test_only(tmp_path):
    params, catalog = tiny(tmp_path, {"holdout": {"dev": [], "test": ["tts:flite"]}})
    split = assign_splits(params, catalog)
    held = catalog["source"].to_numpy() == "tts:flite"
    assert set(split[held]) == {"test"}
    assert {"train", "dev"} <= set(split[~held])  # the other engine still fills every split
    recipes, stream, _ = synthesise(params, catalog)
    train = recipes.take(recipes.split == SPLITS.index("train"))
    used = np.concatenate([train.insert_clip[train.insert_mask], train.background_clip])
    assert not held[used].any()
    test = recipes.take(recipes.split == SPLITS.index("test"))
    assert held[test.insert_clip[test.insert_mask & test.insert_positive]].any()


def test_an_engine_pinned_to_train_is_heard_in_training_only(tmp_path):
    params, catalog = tiny(tmp_path, {"holdout": {"train": ["tts:flite"], "dev": [], "test": []}})
    split = assign_splits(params, catalog)
    held = catalog["source"].to_numpy() == "tts:flite"
    assert set(split[held]) == {"train"}
    assert {"train", "dev", "test"} <= set(split[~held])


def test_the_other_voices_are_split_by_the_fractions_among_themselves(tmp_path):
    params, catalog = tiny(tmp_path, {"holdout": {"dev": [], "test": ["tts:flite"]}})
    split = assign_splits(params, catalog)
    words = (catalog["kind"] != "background").to_numpy() & (catalog["source"] != "tts:flite").to_numpy()
    voices = catalog[words].assign(split=split[words]).groupby("speaker")["split"].first()
    assert voices.value_counts().to_dict() == {"train": 4, "dev": 1, "test": 1}  # 6 voices x 0.7 / 0.15 / 0.15


def test_the_streams_are_negatives_only_audio_of_their_splits(tmp_path):
    stream = {"hours": 0.02, "mining_hours": 0.03, "dev_hours": 0.04, "negatives": [1, 2], "conversation": NO_TALK}
    params, catalog = tiny(tmp_path, {"stream": stream})
    recipes, streams, clip_split = synthesise(params, catalog)
    assert streams.n_positives.sum() == 0 and (streams.n_negatives >= 1).all()
    for split, hours in (("test", 0.02), ("train", 0.03), ("dev", 0.04)):
        part = streams.take(streams.split == SPLITS.index(split))
        assert len(part) == stream_examples(params, hours) == int(np.ceil(hours * 3600 / params.audio.clip_seconds))
        used = np.concatenate([part.insert_clip[part.insert_mask], part.background_clip])
        assert set(clip_split[used]) == {split}
    assert len(set(streams.example_id)) == len(streams)
    assert set(streams.example_id).isdisjoint(recipes.example_id)


def test_adding_the_stream_leaves_the_splits_recipes_unchanged(tmp_path):
    params, catalog = tiny(tmp_path)
    stream = {"hours": 0.05, "mining_hours": 0.1, "dev_hours": 0.0, "negatives": [0, 1], "conversation": NO_TALK}
    longer = params.model_copy(update={"synthesise": params.synthesise.replace(stream=stream)})
    first, _, _ = synthesise(params, catalog)
    second, _, _ = synthesise(longer, catalog)
    assert np.array_equal(first.insert_clip, second.insert_clip) and np.array_equal(
        first.insert_start, second.insert_start
    )


def test_a_dev_stream_leaves_the_test_stream_and_the_mining_pool_unchanged(tmp_path):
    params, catalog = tiny(tmp_path)
    stream = {"hours": 0.02, "mining_hours": 0.03, "negatives": [1, 2], "conversation": NO_TALK}
    without, with_dev = (
        params.model_copy(update={"synthesise": params.synthesise.replace(stream={**stream, "dev_hours": hours})})
        for hours in (0.0, 0.05)
    )
    _, before, _ = synthesise(without, catalog)
    _, after, _ = synthesise(with_dev, catalog)
    kept = after.take(np.arange(len(before)))
    assert np.array_equal(kept.example_id, before.example_id) and np.array_equal(kept.insert_clip, before.insert_clip)
    assert set(after.split[len(before) :]) == {SPLITS.index("dev")}


def with_recorded_speech(tmp_path, conversation: dict):
    """The tiny project with every other negative filed as recorded speech, and conversation clips."""
    stream = {"hours": 0.02, "mining_hours": 0.03, "dev_hours": 0.02, "negatives": [1, 2]}
    params, catalog = tiny(tmp_path, {"stream": {**stream, "conversation": {**NO_TALK, **conversation}}})
    people = (catalog["kind"] == "negative") & (np.arange(len(catalog)) % 2 == 0)
    catalog.loc[people, "source"] = "game"
    return params, catalog, people.to_numpy()


def test_conversation_clips_are_recorded_speech_of_their_split_back_to_back(tmp_path):
    talk = {"hours": 0.02, "mining_hours": 0.03, "dev_hours": 0.02, "lines": [3, 6], "pause_seconds": [-0.1, 0.2]}
    params, catalog, people = with_recorded_speech(tmp_path, talk)
    _, streams, clip_split = synthesise(params, catalog)
    talking = streams.example_id >= first_conversation_id(params)
    assert talking.sum() == sum(stream_examples(params, h) for h in (0.02, 0.03, 0.02))
    for split in ("test", "train", "dev"):
        part = streams.take(talking & (streams.split == SPLITS.index(split)))
        lines = part.insert_clip[part.insert_mask]
        assert people[lines].all() and set(clip_split[lines]) == {split}  # said by people, in their own split
    part = streams.take(talking)
    ends = part.insert_start + part.insert_length
    overlap = (part.insert_start[:, 1:] < ends[:, :-1]) & part.insert_mask[:, 1:]
    assert overlap.any() and not overlap.all()
    assert not people[streams.insert_clip[~talking][streams.insert_mask[~talking]]].all()  # the other clips: all


def test_conversation_clips_leave_the_streams_other_clips_unchanged(tmp_path):
    params, catalog, _ = with_recorded_speech(tmp_path, {})
    _, before, _ = synthesise(params, catalog)
    talk = {"hours": 0.05, "mining_hours": 0.0, "dev_hours": 0.01, "lines": [3, 6], "pause_seconds": [-0.1, 0.2]}
    (tmp_path / "talk").mkdir()
    _, after, _ = synthesise(with_recorded_speech(tmp_path / "talk", talk)[0], catalog)
    kept = after.take(np.arange(len(before)))
    assert np.array_equal(kept.insert_clip[:, :2], before.insert_clip) and np.array_equal(
        kept.insert_start[:, :2], before.insert_start
    )
    assert not kept.insert_mask[:, 2:].any()  # the other clips, padded to the conversation's width


def test_no_recorded_speech_for_a_conversation_names_the_param(tmp_path):
    talk = {"hours": 0.02, "mining_hours": 0.0, "dev_hours": 0.0}
    stream = {"hours": 0.02, "mining_hours": 0.03, "dev_hours": 0.02, "negatives": [1, 2]}
    params, catalog = tiny(tmp_path, {"stream": {**stream, "conversation": {**NO_TALK, **talk}}})
    with pytest.raises(RecipeError, match="synthesise.stream.conversation"):
        synthesise(params, catalog)


def test_vocoded_inserts_are_in_training_examples_only(tmp_path):
    vocoder = {"probability": 0.5, "formant_ratio": [0.9, 1.1], "pitch_range": [0.5, 1.0]}
    params, catalog = tiny(tmp_path, {"vocoder": vocoder})
    recipes, stream, _ = synthesise(params, catalog)
    vocoded = recipes.insert_formant_ratio > 0
    in_train = recipes.split == SPLITS.index("train")
    assert vocoded[in_train].any() and not vocoded[~in_train].any()
    assert not (stream.insert_formant_ratio > 0).any()  # the test stream and the mining pool: the voices as they are
    (tmp_path / "plain").mkdir()
    plain, _, _ = synthesise(tiny(tmp_path / "plain")[0], catalog)
    assert np.array_equal(plain.insert_clip, recipes.insert_clip)  # the same draws otherwise
