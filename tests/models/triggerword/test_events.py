"""Event-level scoring on hand-made output curves."""

import numpy as np

from models.triggerword.events import EventSpec, count_events, detect, match, operating_point, smooth, sweep

SPEC = EventSpec(smoothing_steps=1, refractory_steps=20, match_steps=10)


def curve(ty=200, bumps=()):
    y = np.zeros(ty, np.float32)
    for start, stop, value in bumps:
        y[start:stop] = value
    return y


def test_a_bump_after_the_positive_end_is_one_hit_and_nothing_else():
    c = count_events(curve(bumps=[(52, 60, 0.9)])[None], [np.array([50])], 0.5, SPEC, hours=1.0)
    assert (c.positives, c.misses, c.false_accepts) == (1, 0, 0)


def test_a_bump_too_late_is_a_miss_and_a_false_accept():
    c = count_events(curve(bumps=[(70, 80, 0.9)])[None], [np.array([50])], 0.5, SPEC, hours=0.5)
    assert (c.misses, c.false_accepts) == (1, 1)
    assert c.frr == 1.0 and c.fa_per_hour == 2.0


def test_a_bump_before_the_word_ends_does_not_count_as_a_hit():
    c = count_events(curve(bumps=[(40, 45, 0.9)])[None], [np.array([50])], 0.5, SPEC, hours=1.0)
    assert (c.misses, c.false_accepts) == (1, 1)


def test_refractory_period_merges_a_flickering_output_into_one_detection():
    flicker = curve(bumps=[(52, 54, 0.9), (56, 58, 0.9), (60, 62, 0.9)])
    assert detect(flicker, 0.5, refractory_steps=20).tolist() == [52]
    assert detect(flicker, 0.5, refractory_steps=0).tolist() == [52, 56, 60]


def test_each_positive_takes_at_most_one_detection():
    hit, fa = match(np.array([51, 55]), np.array([50]), match_steps=10)
    assert hit.tolist() == [True] and fa.tolist() == [False, True]


def test_two_positives_two_detections():
    hit, fa = match(np.array([103, 52]), np.array([50, 100]), match_steps=10)
    assert hit.all() and not fa.any()


def test_causal_smoothing_averages_the_past_only():
    y = smooth(np.array([[0, 0, 1, 1, 1, 0]], np.float32), 2)
    np.testing.assert_allclose(y[0], [0, 0, 0.5, 1, 1, 0.5])


def test_sweep_trades_misses_for_false_accepts_and_the_operating_point_meets_the_target():
    probs = np.stack([curve(bumps=[(52, 60, 0.8)]), curve(bumps=[(120, 130, 0.4)])])
    ends = [np.array([50]), np.array([], dtype=np.int64)]
    det = sweep(probs, ends, np.array([0.3, 0.5, 0.9]), SPEC, hours=1.0)
    assert [(r["frr"], r["fa_per_hour"]) for r in det] == [(0.0, 1.0), (0.0, 0.0), (1.0, 0.0)]
    assert operating_point(det, target_fa_per_hour=0.0)["threshold"] == 0.5
    assert operating_point(det, target_fa_per_hour=5.0)["threshold"] == 0.5  # same FRR: higher threshold wins
