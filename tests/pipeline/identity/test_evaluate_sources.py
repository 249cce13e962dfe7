"""identity_evaluate's open-set bookkeeping: pairs of test people only, and EER within each package."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.identity.evaluate import pair_table, source_eers, source_package


def test_test_pairs_only_join_test_identities():
    rng = np.random.default_rng(0)
    people = np.array([f"p{i}" for i in range(12)])
    labels = np.repeat(people, 6)
    split = np.repeat(rng.permutation(np.array(["train"] * 6 + ["dev"] * 2 + ["test"] * 4)), 6)
    test_rows = np.flatnonzero(split == "test")
    pairs = pair_table(labels[test_rows], negatives=50, seed=0, salt=7102)
    joined = set(labels[test_rows[pairs.i]]) | set(labels[test_rows[pairs.j]])
    assert joined == set(labels[split == "test"])
    assert not joined & set(labels[split != "test"])
    assert (pairs.same == (labels[test_rows[pairs.i]] == labels[test_rows[pairs.j]])).all()


def test_source_package_from_identity_names():
    assert source_package("ktuberling:de") == "ktuberling"
    assert source_package("klettres:pt_BR") == "klettres"
    assert source_package("Allison") == "speakers"


def test_source_eers_score_pairs_inside_one_package():
    sources = np.array(["a"] * 4 + ["b"] * 4)
    pairs = pd.DataFrame(
        {
            "i": [0, 0, 4, 4, 0],
            "j": [1, 2, 5, 6, 4],
            "same": [True, False, True, False, False],
        }
    )
    distances = np.array([0.1, 0.9, 0.8, 0.2, 0.0])  # package a separates; b is inverted; a-b ignored
    eers = source_eers(distances, pairs, sources)
    assert eers == {"a": 0.0, "b": 1.0}
