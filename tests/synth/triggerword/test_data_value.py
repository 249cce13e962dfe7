"""A data group's clips, the arms' training subsets and what an arm changes."""

import numpy as np

from synth.triggerword.data_value import (
    NEAR_MISSES,
    changed_rows,
    example_subset,
    group_clips,
    other_positives,
    positive_speakers,
    removed_inserts,
    speaker_subset,
)
from synth.triggerword.recipes import PAD_CLIP, Recipes

# catalog rows: 0-1 espeak positives (speakers 0, 1), 2 a kokoro positive (speaker 2), 3 an espeak near miss,
# 4 fotaq speech, 5 a kokoro typed negative word, 6 a background
SOURCE = np.array(["tts:espeak-ng", "tts:espeak-ng", "tts:kokoro", "tts:espeak-ng", "fotaq", "tts:kokoro", "noise"])
WORD = np.array(["activate", "activate", "activate", "Estimate", "hello there", "kitchen", ""])
KIND = np.array(["positive", "positive", "positive", "negative", "negative", "negative", "background"])
SPEAKER = np.array([0, 1, 2, 0, 3, 2, 4])


def recipes(insert_clip: list[list[int]]) -> Recipes:
    clips = np.array(insert_clip, np.int32)
    n, k = clips.shape
    zeros = {
        name: np.zeros((n, k), dtype)
        for name, dtype in [
            ("insert_snr_db", np.float32),
            ("insert_gain_db", np.float32),
            ("insert_formant_ratio", np.float32),
            ("insert_pitch_range", np.float32),
        ]
    }
    return Recipes(
        example_id=np.arange(n, dtype=np.int64),
        split=np.zeros(n, np.int8),
        shard=np.zeros(n, np.int32),
        background_clip=np.full(n, 6, np.int32),
        background_offset=np.zeros(n, np.int64),
        background_gain_db=np.zeros(n, np.float32),
        insert_clip=clips,
        insert_positive=(clips >= 0) & (clips <= 2),
        insert_start=np.tile(np.arange(k, dtype=np.int64) * 1000, (n, 1)),
        insert_length=np.where(clips >= 0, 500, 0).astype(np.int64),
        reverb_ir=np.full(n, -1, np.int16),
        mix_gain_db=np.zeros(n, np.float32),
        channel_center_hz=np.zeros(n, np.float32),
        channel_bandwidth_hz=np.zeros(n, np.float32),
        channel_rolloff_db=np.zeros(n, np.int16),
        channel_clip_percentile=np.zeros(n, np.int8),
        **zeros,
    )


TRAIN = recipes([[0, 3], [2, 4], [4, PAD_CLIP], [1, 2], [5, PAD_CLIP]])


def test_a_group_is_its_sources_clips_or_the_near_misses_said_by_tts():
    assert group_clips(SOURCE, WORD, KIND, ("tts:kokoro",), set()).tolist() == [0, 0, 1, 0, 0, 1, 0]
    assert group_clips(SOURCE, WORD, KIND, ("fotaq", "noise"), set()).tolist() == [0, 0, 0, 0, 1, 0, 1]
    near = group_clips(SOURCE, WORD, KIND, (NEAR_MISSES,), {"estimate", "hello there"})
    assert near.tolist() == [0, 0, 0, 1, 0, 0, 0]  # fotaq's "hello there" is recorded speech, not a computed near miss


def test_only_a_group_leaves_out_every_other_positive_and_no_negative():
    kokoro = group_clips(SOURCE, WORD, KIND, ("tts:kokoro",), set())
    assert other_positives(kokoro, KIND).tolist() == [1, 1, 0, 0, 0, 0, 0]


def test_an_arm_changes_only_the_examples_that_held_the_group():
    fotaq = group_clips(SOURCE, WORD, KIND, ("fotaq",), set())
    after = TRAIN.without_clips(fotaq)
    assert changed_rows(TRAIN, after).tolist() == [1, 2]
    assert removed_inserts(TRAIN, after) == {"positive": 0, "negative": 2}
    kokoro = TRAIN.without_clips(group_clips(SOURCE, WORD, KIND, ("tts:kokoro",), set()))
    assert removed_inserts(TRAIN, kokoro) == {"positive": 2, "negative": 1}
    assert kokoro.insert_clip[0].tolist() == TRAIN.insert_clip[0].tolist()  # untouched rows stay as they were


def test_an_example_subset_is_seeded_sorted_and_of_its_share():
    a = example_subset(100, 0.25, np.random.default_rng(3))
    assert len(a) == 25 and np.all(np.diff(a) > 0)
    assert a.tolist() == example_subset(100, 0.25, np.random.default_rng(3)).tolist()
    assert len(example_subset(3, 0.01, np.random.default_rng(0))) == 1


def test_a_speaker_subset_keeps_their_examples_and_every_negatives_only_one():
    assert positive_speakers(TRAIN, SPEAKER).tolist() == [0, 1, 2]
    for seed in range(6):
        chosen, rows = speaker_subset(TRAIN, SPEAKER, 1, np.random.default_rng(seed))
        (speaker,) = chosen
        expected = {0: [0, 2, 4], 1: [2, 4], 2: [1, 2, 4]}[speaker]  # row 3 has speakers 1 and 2
        assert rows.tolist() == expected
    chosen, rows = speaker_subset(TRAIN, SPEAKER, 10, np.random.default_rng(0))
    assert chosen.tolist() == [0, 1, 2] and rows.tolist() == [0, 1, 2, 3, 4]
