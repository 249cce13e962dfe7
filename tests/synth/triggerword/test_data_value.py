"""A data group's clips, the arms' training subsets and what an arm changes."""

from dataclasses import replace

import numpy as np

from synth.triggerword.data_value import (
    NEAR_MISSES,
    changed_rows,
    example_subset,
    group_clips,
    other_positives,
    positive_speakers,
    removed_inserts,
    speaker_swap,
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


def with_lengths(recipes: Recipes, by_clip: dict[int, int]) -> Recipes:
    length = np.vectorize(lambda c: by_clip.get(int(c), 500))(recipes.insert_clip)
    return replace(recipes, insert_length=np.where(recipes.insert_mask, length, 0).astype(np.int64))


def ends(recipes: Recipes) -> np.ndarray:
    return np.where(recipes.positive_inserts, recipes.insert_start + recipes.insert_length, -1)


def test_fewer_speakers_say_the_same_positives_where_they_were():
    train = with_lengths(TRAIN, {0: 400, 1: 600, 2: 500})  # speaker 0's take is the shortest
    assert positive_speakers(train, SPEAKER).tolist() == [0, 1, 2]
    chosen = None
    for seed in range(12):
        chosen, swapped, lost = speaker_swap(train, SPEAKER, 1, np.random.default_rng(seed))
        if chosen.tolist() == [0]:  # its 400-sample take fits into every positive
            break
    assert chosen.tolist() == [0] and lost == 0
    assert SPEAKER[swapped.insert_clip[swapped.positive_inserts]].tolist() == [0, 0, 0, 0]
    assert swapped.n_positives.tolist() == train.n_positives.tolist()
    assert ends(swapped).tolist() == ends(train).tolist()  # label times unchanged
    negatives = train.negative_inserts
    assert swapped.insert_clip[negatives].tolist() == train.insert_clip[negatives].tolist()
    assert swapped.insert_start[negatives].tolist() == train.insert_start[negatives].tolist()
    assert swapped.insert_gain_db.tolist() == train.insert_gain_db.tolist()


def test_a_positive_no_kept_take_fits_into_is_left_out_and_counted():
    train, chosen = with_lengths(TRAIN, {0: 400, 1: 600, 2: 500}), None
    for seed in range(12):
        chosen, swapped, lost = speaker_swap(train, SPEAKER, 1, np.random.default_rng(seed))
        if chosen.tolist() == [1]:  # 600 samples fit into neither the 400 nor the 500 takes
            break
    assert chosen.tolist() == [1] and lost == 3  # rows 0, 1 and 3's speaker-0 and speaker-2 positives
    assert swapped.n_positives.tolist() == [0, 0, 0, 1, 0]
    assert swapped.insert_clip[0].tolist() == [PAD_CLIP, 3]  # the near miss stays


def test_a_speaker_swap_is_seeded_and_keeps_everyone_when_asked_for_more():
    a = speaker_swap(TRAIN, SPEAKER, 2, np.random.default_rng(5))
    b = speaker_swap(TRAIN, SPEAKER, 2, np.random.default_rng(5))
    assert a[0].tolist() == b[0].tolist() and a[1].insert_clip.tolist() == b[1].insert_clip.tolist()
    chosen, swapped, lost = speaker_swap(TRAIN, SPEAKER, 10, np.random.default_rng(0))
    assert chosen.tolist() == [0, 1, 2] and lost == 0
    assert swapped.insert_clip.tolist() == TRAIN.insert_clip.tolist()
