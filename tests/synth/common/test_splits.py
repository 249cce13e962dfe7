"""Splits are disjoint by speaker and by background recording."""

import numpy as np

from synth.common.splits import assign_catalog, assign_groups

FRACTIONS = {"train": 0.7, "dev": 0.15, "test": 0.15}


def test_every_group_lands_in_exactly_one_split_and_all_splits_are_used():
    groups = [f"speaker{i}" for i in range(20)]
    out = assign_groups(groups, FRACTIONS, np.random.default_rng(0))
    assert set(out) == set(groups) and set(out.values()) == {"train", "dev", "test"}
    assert sorted(out.values()).count("train") == 14


def test_even_three_groups_cover_three_splits():
    out = assign_groups(["a", "b", "c"], FRACTIONS, np.random.default_rng(0))
    assert sorted(out.values()) == ["dev", "test", "train"]


def test_catalog_rows_of_one_group_share_a_split_and_each_kind_reaches_each_split():
    rng = np.random.default_rng(1)
    kinds = np.array(["positive"] * 60 + ["negative"] * 60 + ["background"] * 30, dtype=object)
    groups = np.array([f"voice{i % 12}" for i in range(120)] + [f"rec{i % 6}" for i in range(30)], dtype=object)
    split = assign_catalog(kinds, groups, FRACTIONS, rng)
    for g in set(groups):
        assert len(set(split[groups == g])) == 1
    for kind in ("positive", "negative", "background"):
        assert set(split[kinds == kind]) == {"train", "dev", "test"}


def test_assignment_is_deterministic_from_the_seed():
    groups = [f"g{i}" for i in range(30)]
    a = assign_groups(groups, FRACTIONS, np.random.default_rng(5))
    b = assign_groups(list(reversed(groups)), FRACTIONS, np.random.default_rng(5))
    assert a == b
