"""Training crops: each clip's window holds one of its positives (at a varying place) and lies inside the clip."""

import numpy as np

from synth.triggerword.crops import crop, crop_starts


def labels_with_ones(total: int, onsets: list[list[int]], ones: int = 4) -> np.ndarray:
    labels = np.zeros((len(onsets), total), np.float32)
    for row, starts in enumerate(onsets):
        for start in starts:
            labels[row, start : start + ones] = 1
    return labels


def test_a_crop_holds_the_onset_of_one_positive_in_its_last_three_quarters():
    labels = labels_with_ones(125, [[10], [60], [121], [30, 100]] * 50)
    starts = crop_starts(labels, 40, np.random.default_rng(0))
    assert np.all((starts >= 0) & (starts <= 125 - 40))
    cropped = crop(labels, starts, 40)
    first_one = np.argmax(cropped > 0, axis=1)
    assert cropped.max(axis=1).min() == 1  # every crop holds label ones
    inside = first_one[[i for i in range(len(labels)) if i % 4 in (1, 3)]]  # onsets far from the clip's edges
    assert inside.min() >= 10 and len(set(inside.tolist())) > 10  # the place varies


def test_both_positives_of_a_clip_are_drawn():
    labels = labels_with_ones(125, [[30, 100]] * 200)
    starts = crop_starts(labels, 40, np.random.default_rng(1))
    assert (starts < 30).any() and (starts > 60).any()


def test_clips_without_positives_are_cut_anywhere_and_the_draw_is_seeded():
    labels = np.zeros((300, 125), np.float32)
    starts = crop_starts(labels, 40, np.random.default_rng(2))
    assert starts.min() >= 0 and starts.max() <= 85 and len(np.unique(starts)) > 40
    assert np.array_equal(starts, crop_starts(labels, 40, np.random.default_rng(2)))


def test_a_crop_as_long_as_the_clip_is_the_clip():
    labels = labels_with_ones(50, [[20]])
    assert crop_starts(labels, 50, np.random.default_rng(0)).tolist() == [0]


def test_crop_takes_each_rows_own_steps_with_trailing_axes():
    x = np.arange(2 * 10 * 3).reshape(2, 10, 3)
    out = crop(x, np.array([0, 5]), 4)
    assert out.shape == (2, 4, 3)
    assert np.array_equal(out[0], x[0, 0:4]) and np.array_equal(out[1], x[1, 5:9])
