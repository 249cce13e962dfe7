"""Conversation placement: lines back to back with drawn pauses, overlaps of at most half a line, the peak
bound with overlaps, and the spread-apart placement's bound unchanged."""

import dataclasses

import numpy as np

from synth.triggerword.conversation import back_to_back, peak_bound
from synth.triggerword.recipes import Pools, draw_split
from synth.triggerword.render import NumpyRenderer, impulse_responses
from tests.synth.triggerword.test_recipes import BANK, POOLS, SPEC, SR, STATS, N, draw

PAUSE = (int(-0.4 * SR), int(1.0 * SR))
TALK = dataclasses.replace(SPEC, positives=(0, 0), negatives=(4, 8), pause_samples=PAUSE)
LINES = Pools(np.array([], int), POOLS.negatives, POOLS.backgrounds)


def talk(n=400, spec=TALK):
    return draw_split("test", n, LINES, STATS, spec, 3, 200, 0)


def test_lines_follow_each_other_a_drawn_pause_apart_some_overlapping():
    r = talk()
    pauses, overlaps = [], 0
    for i in range(len(r)):
        kept = np.flatnonzero(r.insert_mask[i])
        assert np.array_equal(kept, np.arange(len(kept)))  # the kept lines come first
        starts, ends = r.insert_start[i, kept], r.insert_start[i, kept] + r.insert_length[i, kept]
        assert np.all(starts[1:] > starts[:-1]) and starts[0] <= PAUSE[1] and np.all(ends <= N)
        gap = starts[1:] - ends[:-1]
        assert np.all(gap >= -(r.insert_length[i, kept[:-1]] // 2))  # at most half the earlier line
        pauses += list(gap)
        overlaps += int((gap < 0).sum())
    assert max(pauses) <= PAUSE[1] and min(pauses) >= PAUSE[0]
    assert 0.1 < overlaps / len(pauses) < 0.5  # some overlapping, most not
    assert r.n_positives.sum() == 0 and r.n_negatives.min() >= 1 and r.n_negatives.max() <= 8


def test_the_peak_stays_below_the_limit_when_lines_overlap():
    loud = dataclasses.replace(TALK, snr_db=(15.0, 20.0), background_dbfs=(-3.0, 0.0), reverb_probability=0.5)
    r = talk(200, loud)
    assert (r.insert_start[:, 1:] < (r.insert_start + r.insert_length)[:, :-1])[r.insert_mask[:, 1:]].any()
    out = NumpyRenderer(BANK, impulse_responses(8, (0.1, 0.3), SR, 1), N, SR).render(r)
    assert np.abs(out).max() <= SPEC.peak_limit + 1e-6


def test_the_bound_counts_every_line_sounding_at_once_and_is_the_largest_peak_without_overlap():
    start = np.array([[0, 50, 80, 300], [0, 100, 200, 0]])
    length = np.array([[100, 100, 10, 50], [100, 100, 100, 0]])
    peak = np.array([[1.0, 2.0, 4.0, 8.0], [1.0, 2.0, 4.0, 0.0]])
    assert np.array_equal(peak_bound(start, length, peak), [8.0, 4.0])  # row 0: 1+2+4 = 7 at 80 < 8 alone at 300
    spread = draw(n=300)  # the spread-apart placement: the bound is exactly the loudest insert
    peaks = np.random.default_rng(0).uniform(0, 1, spread.insert_clip.shape) * spread.insert_mask
    assert np.array_equal(peak_bound(spread.insert_start, spread.insert_length, peaks), peaks.max(axis=1, initial=0.0))


def test_back_to_back_keeps_a_prefix_that_fits_the_room():
    length = np.full((50, 6), SR, np.int64)
    start, kept = back_to_back(length, np.ones((50, 6), bool), (0, 0), int(3.5 * SR), np.random.default_rng(1))
    assert (kept.sum(axis=1) == 3).all() and not kept[:, 3:].any()  # three one-second lines fit in 3.5 s
    assert (start[:, :3] == [0, SR, 2 * SR]).all()  # no pause: each starts where the one before ended
