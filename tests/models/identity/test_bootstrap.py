"""The EER's bootstrap interval over identities."""

from __future__ import annotations

import numpy as np

from models.identity.bootstrap import eer_difference, eer_interval, pair_weights
from models.identity.verification import eer


def test_pair_weights_count_people_drawn():
    first, second = np.array([0, 0, 1, 2]), np.array([0, 1, 2, 2])
    draws = np.array([2, 0, 3])
    assert pair_weights(first, second, draws).tolist() == [2, 0, 0, 3]


def scored_pairs(people: int, rng: np.random.Generator):
    first, second = rng.integers(0, people, 4000), rng.integers(0, people, 4000)
    hard = rng.random(people) < 0.3  # some people make hard pairs: the unit of variation
    noise = np.where(hard[first] | hard[second], 1.2, 0.4)
    distances = np.where(first == second, 0.5, 1.5) + noise * rng.standard_normal(len(first))
    return distances, first, second


def test_interval_brackets_the_eer_and_narrows_with_more_people():
    rng = np.random.default_rng(0)
    widths = []
    for people in (8, 80):
        distances, first, second = scored_pairs(people, rng)
        point = eer(distances, first == second)[0]
        band = eer_interval(distances, first, second, np.random.default_rng(1), resamples=100)
        assert band["low"] <= point <= band["high"] and band["resamples"] >= 90
        widths.append(band["high"] - band["low"])
    assert widths[1] < widths[0]


def test_no_resamples_gives_no_interval():
    distances, first, second = scored_pairs(5, np.random.default_rng(0))
    assert eer_interval(distances, first, second, np.random.default_rng(0), resamples=0)["low"] is None


def test_paired_difference_is_narrower_than_either_interval():
    rng = np.random.default_rng(0)
    distances, first, second = scored_pairs(20, rng)
    better = distances + np.where(first == second, -0.2, 0.2)  # the same pairs, a little better separated
    difference = eer_difference(better, distances, first, second, np.random.default_rng(2), resamples=100)
    alone = eer_interval(distances, first, second, np.random.default_rng(2), resamples=100)
    assert difference["high"] < 0  # better on every draw
    assert difference["high"] - difference["low"] < alone["high"] - alone["low"]
