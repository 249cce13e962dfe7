"""The study engine's paired bootstrap and its verdicts on an effect against noise."""

import numpy as np
import pytest

from synth.common.studies import effect_verdict, paired_bootstrap


def test_the_same_scores_give_a_zero_interval_and_a_shift_leaves_zero_out():
    rng = np.random.default_rng(0)
    a = rng.uniform(size=200)
    assert paired_bootstrap(a, a, 200, np.random.default_rng(1)) == (0.0, 0.0)
    low, high = paired_bootstrap(np.minimum(a + 0.2, 1), a, 500, np.random.default_rng(1))
    assert 0.1 < low < high < 0.25


def test_a_paired_bootstrap_is_reproducible_and_refuses_unequal_arrays():
    a, b = np.r_[np.ones(30), np.zeros(30)], np.r_[np.zeros(30), np.ones(30)]
    first = paired_bootstrap(a, b, 300, np.random.default_rng(5))
    assert first == paired_bootstrap(a, b, 300, np.random.default_rng(5)) and first[0] < 0 < first[1]
    with pytest.raises(ValueError, match="equal 1-d"):
        paired_bootstrap(a, b[:10], 10, np.random.default_rng(0))


def test_an_effect_is_called_only_beyond_the_spread_and_with_zero_outside_the_interval():
    assert effect_verdict(0.10, 0.02, (0.05, 0.15)).startswith("higher (+10.0 points, seed spread 2.0")
    assert effect_verdict(-0.10, 0.02, (-0.15, -0.05)).startswith("lower")
    assert effect_verdict(0.10, 0.12, (0.05, 0.15)).startswith("within noise")  # the seeds disagree more
    assert effect_verdict(0.10, 0.02, (-0.01, 0.2)).startswith("within noise")  # the positives do not carry it
