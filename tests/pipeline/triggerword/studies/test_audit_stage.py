"""The audit stages on the small project: the table and report, a verdict file changing the catalog
through `dvc repro`, and the data-value study's with/without pair when the audit drops training clips."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd

from pipeline.common.params import load_params
from pipeline.triggerword.audit import CHUNK, checkable, listen
from tests.helpers.project import run


def metrics(root, name):
    return json.loads((root / "reports/metrics" / f"{name}.json").read_text())


def test_the_audit_checks_every_english_speech_clip_and_reports_per_voice(small_project):
    root = small_project
    audit = pd.read_parquet(root / "data/audit/audit.parquet")
    catalog = pd.read_parquet(root / "data/catalog/catalog.parquet")
    assert set(audit["clip_id"]) == set(catalog.loc[catalog["kind"] != "background", "clip_id"])
    assert set(audit["outcome"]) <= {"own", "other", "nothing", "unchecked"}
    assert set(audit["verdict"]) <= {"keep", "drop", "review"}
    summary = metrics(root, "audit")
    assert summary["checked"] == (audit["outcome"] != "unchecked").sum() > 0
    assert {row["speaker"] for row in summary["per_voice"]} <= set(audit["speaker"])
    review = pd.read_parquet(root / "data/audit/review.parquet")
    assert set(review["verdict"]) <= {"review"}
    page = (root / "reports/audit/index.html").read_text()
    assert "Speech audit" in page and "<audio" in page and "Per voice" in page


def test_decoding_processes_hear_what_one_process_hears(small_project):
    catalog = pd.read_parquet(small_project / "data/catalog/catalog.parquet")
    params = load_params(small_project / "params.yaml")
    mask = checkable(catalog, params)
    mask[np.flatnonzero(mask)[96:]] = False  # two chunks of clips are enough
    one = listen(catalog, mask, small_project / "data/catalog", workers=1)
    assert (one["outcome"] != "unchecked").sum() > CHUNK  # both processes get work
    pd.testing.assert_frame_equal(listen(catalog, mask, small_project / "data/catalog", workers=2), one)


def test_a_verdict_file_changes_the_catalog_through_dvc_repro(small_project, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(small_project, root, symlinks=True)
    catalog = pd.read_parquet(root / "data/catalog/catalog.parquet")
    victim = catalog.loc[catalog["kind"] == "positive", "clip_id"].iloc[0]
    (root / "data/reviews/speech.csv").write_text(
        f"clip_id,verdict,answers,reason\n{victim},reject,2,2 of 2: says something else\n"
    )
    stale = set(json.loads(run(["dvc", "status", "--json"], cwd=root).stdout))
    assert "collect" in stale
    run(["dvc", "repro", "audit"], cwd=root)
    after = pd.read_parquet(root / "data/catalog/catalog.parquet")
    assert victim not in set(after["clip_id"]) and len(after) == len(catalog) - 1
    rejected = pd.read_parquet(root / "data/catalog/rejected.parquet")
    assert rejected.set_index("clip_id").at[victim, "reason"] == "rejected by review: 2 of 2: says something else"
    assert metrics(root, "collect")["skipped"]["tts:espeak-ng"]["rejected by review"] == 1
    assert victim not in set(pd.read_parquet(root / "data/audit/audit.parquet")["clip_id"])
    assert victim in (root / "reports/audit/index.html").read_text()


def test_the_data_value_study_trains_with_and_without_the_dropped_clips(small_project, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(small_project, root, symlinks=True)
    splits = pd.read_parquet(root / "data/synth/clip_splits.parquet")
    train_words = splits[(splits["split"] == "train") & (splits["kind"] != "background")]["clip_id"]
    audit = pd.read_parquet(root / "data/audit/audit.parquet")
    audit.loc[audit["clip_id"].isin(train_words.iloc[::3]), ["verdict", "reason"]] = ["drop", "heard nothing"]
    audit.to_parquet(root / "data/audit/audit.parquet", index=False)
    printed = run(["datasynth", "value", "--group", "audit"], cwd=root).stdout
    assert "audit reference (reference, 1 seeds)" in printed and "audit (with, 1 seeds)" in printed
    assert "unseen voice: " in printed  # the with arm against its reference


def test_sources_match_by_name_or_prefix_and_colon_languages_by_prefix():
    from pipeline.triggerword.audit import named_by

    sources = pd.Series(["tts:flite", "tts", "ttsx", "ktuberling", "archive:sc"])
    assert named_by(sources, ["tts", "archive"], ":").tolist() == [True, True, False, False, True]
    assert named_by(pd.Series(["en-us", "en", "de"]), ["en"]).tolist() == [True, True, False]
