"""Labels follow the recipe: ones for `ones_after_end` steps right after each positive ends."""

import numpy as np

from synth.triggerword.labels import end_steps, label_matrix

N, TY, W = 441_000, 1375, 50


def labels(starts, lengths, positive):
    return label_matrix(np.array([starts]), np.array([lengths]), np.array([positive]), N, TY, W)[0]


def test_one_positive_gives_fifty_ones_right_after_its_end():
    y = labels([44_100], [44_100], [True])  # ends at 2.0 s
    end = int(2000 * TY / 10000)  # the lecture's formula with milliseconds
    assert np.flatnonzero(y).tolist() == list(range(end + 1, end + 1 + W))


def test_negatives_and_padding_add_no_ones():
    assert labels([10_000, 0], [20_000, 0], [False, False]).sum() == 0


def test_ones_are_clipped_at_the_end_of_the_clip():
    y = labels([N - 1000], [1000], [True])
    assert y.sum() == 0  # ends on the very last step: nothing after it
    y = labels([N - 20_000], [10_000], [True])
    e = int(end_steps(np.array(N - 10_000), np.array(0), N, TY))
    assert np.flatnonzero(y).tolist() == list(range(e + 1, TY))


def test_two_positives_label_independently():
    y = labels([0, 200_000], [44_100, 44_100], [True, True])
    assert y.sum() == 2 * W


def test_label_matrix_is_vectorised_over_examples():
    starts = np.array([[0, 100_000], [50_000, 0]])
    lengths = np.array([[30_000, 30_000], [30_000, 0]])
    positive = np.array([[True, False], [True, False]])
    y = label_matrix(starts, lengths, positive, N, TY, W)
    assert y.shape == (2, TY) and y.dtype == np.float32
    assert y.sum(axis=1).tolist() == [W, W]
