"""The validate stage: a clean tiny dataset passes, and each injected defect fails the specific
expectation meant to catch it (pipeline/triggerword/validation/expectations.py ids)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import synth.triggerword.labels
from pipeline.triggerword import validate
from pipeline.triggerword.validation.expectations import Outcome, SuiteResult
from pipeline.triggerword.validation.validation_frames import expected_labels
from tests.helpers.synth_fixtures import Dataset, make_dataset, with_params


@pytest.fixture
def dataset(tmp_path) -> Dataset:
    return make_dataset(tmp_path)


def run(dataset: Dataset) -> list[SuiteResult]:
    results, _ = validate.run_validation(dataset.params, dataset.catalog_dir, dataset.synth_dir)
    return results


def failed(results: list[SuiteResult]) -> set[str]:
    return {o.id for r in results for o in r.failed}


def outcome(results: list[SuiteResult], ident: str) -> Outcome:
    return next(o for r in results for o in r.outcomes if o.id == ident)


def flagged(results: list[SuiteResult], ident: str, column: str) -> set:
    return {row[column] for row in outcome(results, ident).unexpected}


def with_inserts(dataset: Dataset, count: int) -> int:
    """Row of the first example with at least `count` inserts."""
    return int(np.flatnonzero(dataset.recipes.insert_mask.sum(axis=1) >= count)[0])


def test_clean_dataset_passes(dataset):
    results = run(dataset)
    assert failed(results) == set()
    assert len({o.id for r in results for o in r.outcomes}) >= 30


def test_stage_writes_report_and_metrics(dataset, monkeypatch):
    monkeypatch.chdir(dataset.root)
    validate.main([])
    metrics = json.loads((dataset.root / "reports/metrics/validate.json").read_text())
    assert metrics["success"] and metrics["failed_expectations"] == 0
    assert set(metrics["observed"]["share_with_positive"]) == {"train", "dev", "test"}
    page = (dataset.root / "reports/validation/index.html").read_text()
    assert "PASSED" in page and "<script" not in page and "http" not in page


def test_overlapping_insertion_fails_stage_with_summary(dataset, monkeypatch, capsys):
    r = dataset.recipes
    i = with_inserts(dataset, 2)
    r.insert_start[i, 1] = r.insert_start[i, 0] + r.insert_length[i, 0] // 2  # still after insert 0 starts
    dataset.save()
    monkeypatch.chdir(dataset.root)
    with pytest.raises(SystemExit) as exit_:
        validate.main([])
    assert exit_.value.code == 1
    stderr = capsys.readouterr().err
    assert "inserts.no_overlap" in stderr and "reports/validation/index.html" in stderr
    metrics = json.loads((dataset.root / "reports/metrics/validate.json").read_text())
    assert metrics["failed"] == ["inserts.no_overlap"]
    page = (dataset.root / "reports/validation/index.html").read_text()
    assert "FAILED" in page and f"example_id={int(r.example_id[i])}, slot=1" in page


def test_mislabelled_positive_is_caught(dataset, monkeypatch):
    real = synth.triggerword.labels.label_matrix
    monkeypatch.setattr(
        synth.triggerword.labels, "label_matrix", lambda *a: np.roll(real(*a), 1, axis=1)
    )  # one step late
    results = run(dataset)
    assert failed(results) == {"labels.ones_where_positives_end"}
    with_positive = dataset.recipes.example_id[dataset.recipes.n_positives > 0]
    assert flagged(results, "labels.ones_where_positives_end", "example_id") <= set(with_positive.tolist())


def test_insert_length_that_disagrees_with_the_clip_is_caught(dataset):
    r = dataset.recipes
    i = with_inserts(dataset, 1)
    r.insert_length[i, 0] -= 400  # labels would end 400 samples before the word does
    dataset.save()
    results = run(dataset)
    assert "inserts.length_matches" in failed(results)
    assert flagged(results, "inserts.length_matches", "example_id") == {int(r.example_id[i])}


def test_catalog_peak_above_one_is_caught(dataset):
    dataset.catalog.loc[3, "peak"] = 1.2
    dataset.save()
    results = run(dataset)
    assert failed(results) == {"catalog.peak"}
    assert flagged(results, "catalog.peak", "clip_id") == {dataset.catalog.loc[3, "clip_id"]}


def test_wrong_sample_rate_is_caught(dataset):
    dataset.catalog.loc[0, "sample_rate"] = 16000
    dataset.save()
    results = run(dataset)
    assert failed(results) == {"catalog.sample_rate"}
    assert flagged(results, "catalog.sample_rate", "clip_id") == {dataset.catalog.loc[0, "clip_id"]}


def test_speaker_in_two_splits_is_caught(dataset):
    splits = dataset.clip_splits
    row = int(np.flatnonzero(splits["kind"] == "positive")[0])
    other = "dev" if splits.loc[row, "split"] != "dev" else "train"
    splits.loc[row, "split"] = other  # one take of this speaker moves to another split
    dataset.save()
    results = run(dataset)
    assert "split_groups.one_split_per_group" in failed(results)
    assert flagged(results, "split_groups.one_split_per_group", "split_group") == {splits.loc[row, "split_group"]}


def test_class_balance_outside_band_is_caught(dataset):
    dataset.redraw(with_params(dataset.params, positives=(0, 0)))  # no example has a positive
    dataset.save()
    results = run(dataset)
    expected = {f"class_balance.share_with_positive[{s}]" for s in ("train", "dev", "test")}
    assert failed(results) == expected
    assert outcome(results, "class_balance.share_with_positive[dev]").value == 0.0


def test_expected_labels_follow_the_lecture_rule():
    clip, ty, after = 1000, 10, 3
    start = np.array([[100, 880]])
    length = np.array([[100, 120]])  # ends at 200 -> step 2; ends at 1000 -> step 10 (past the end)
    want = expected_labels(start, length, np.array([[True, True]]), clip, ty, after)
    assert want.astype(int).tolist() == [[0, 0, 0, 1, 1, 1, 0, 0, 0, 0]]
    got = synth.triggerword.labels.label_matrix(start, length, np.array([[True, True]]), clip, ty, after)
    assert np.array_equal(got > 0.5, want)
