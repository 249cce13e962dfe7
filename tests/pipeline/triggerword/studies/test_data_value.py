"""The data-value study: its params, the table's effects against noise, findings, the report, the stage."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.common.params import ParamsError, load_params
from pipeline.triggerword.analysis.data_value_report import data_value_html
from pipeline.triggerword.studies.data_value_summary import HEADLINE, UNSEEN_VOICE, comparison_text, summarise
from tests.helpers.project import full_params, run


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("{only: [nobody]}", "data_value.only: 'nobody' is not one of data_value.groups"),
        ("{groups: {mixed: [near_misses, fotaq]}}", "data_value.groups.mixed: 'near_misses' is a group of its own"),
        ("{learning_curve: {fractions: [0.0]}}", "data_value.learning_curve.fractions"),
    ],
)
def test_a_bad_data_value_section_is_named(tmp_path, section, message):
    (tmp_path / "params.yaml").write_text(full_params(f"data_value: {section}"))
    with pytest.raises(ParamsError, match=message):
        load_params(tmp_path / "params.yaml")


def fake_study(n_positives: int = 120):
    """Runs and test hits: without kokoro misses every unseen voice half the time more; warzone changes nothing;
    one clips subset of the learning curve; ktuberling had nothing to remove."""
    rng = np.random.default_rng(0)
    groups = np.where(np.arange(n_positives) < 40, "unseen engine", "unseen voice")
    base_hit = rng.uniform(size=n_positives) < 0.7
    runs, hits = [], {}
    arms = {"baseline": ("baseline", 0.0), "kokoro": ("without", 0.5), "warzone2100": ("without", 0.0)}
    arms |= {"clips 0.5": ("clips", 0.2), "audit reference": ("reference", 0.5), "audit": ("with", 0.5)}
    for name, (kind, worse) in arms.items():
        for seed in [0] if kind == "clips" else [0, 1, 2]:
            hit = base_hit.copy()
            if seed == 1:  # a little seed noise everywhere
                hit[:5] = ~hit[:5]
            hit &= rng.uniform(size=n_positives) >= worse
            hits[(name, seed)] = np.column_stack([groups, hit]).astype(object)
            hits[(name, seed)][:, 1] = hit
            frr = {g: 1 - hit[groups == g].mean() for g in ("unseen engine", "unseen voice")}
            runs.append(
                {
                    "arm": name,
                    "kind": kind,
                    "seed": seed,
                    HEADLINE: frr["unseen engine"],
                    UNSEEN_VOICE: frr["unseen voice"],
                    "test_frr": 0.3,
                    "test_fa_per_hour": 1.0,
                }
            )
    facts = {
        ("baseline", "baseline"): {"examples": 2000, "speakers": 400},
        ("kokoro", "without"): {"group": "kokoro", "removed_inserts": {"positive": 300, "negative": 20}},
        ("warzone2100", "without"): {"group": "warzone2100"},
        ("ktuberling", "without"): {"skipped": "no training or mined insert belongs to this group"},
        ("clips 0.5", "clips"): {"fraction": 0.5, "examples": 1000},
        ("audit reference", "reference"): {"reference": None, "examples": 800},
        ("audit", "with"): {"reference": "audit reference", "added_inserts": {"positive": 39, "negative": 0}},
    }
    return pd.DataFrame(runs), facts, hits


def test_the_table_calls_an_effect_beyond_noise_and_says_it_in_words():
    params = load_params("params.yaml")
    summary = summarise(params, *fake_study())
    rows = {r["arm"]: r for r in summary["rows"]}
    assert summary["rows"][0]["arm"] == "baseline" and rows["baseline"]["seeds"] == 3
    assert rows["kokoro"][f"{UNSEEN_VOICE}_verdict"].startswith("higher")
    assert rows["kokoro"][f"{UNSEEN_VOICE}_interval"][0] > 0
    assert rows["kokoro"]["removed_inserts_positive"] == 300
    assert rows["warzone2100"][f"{UNSEEN_VOICE}_verdict"].startswith("within noise")
    assert rows["ktuberling"]["seeds"] == 0
    # the audit pair: both arms miss half the time more than the baseline, so "with" against its reference is noise
    assert rows["audit"][f"{UNSEEN_VOICE}_verdict"].startswith("within noise")
    assert f"{UNSEEN_VOICE}_verdict" not in rows["audit reference"]
    texts = [f["text"] for f in summary["findings"]]
    assert texts[0].startswith("Seed spread of the baseline")
    assert any(t.startswith("Without kokoro, unseen voice FRR rises by") and "kokoro helps" in t for t in texts)
    assert any(t.startswith("Without warzone2100: no effect beyond noise") for t in texts)
    assert summary["baseline"][HEADLINE]["spread"] > 0
    curve = summary["learning_curve"]["clips"]
    assert [p["size"] for p in curve["points"]] == [1000, 2000] and UNSEEN_VOICE in curve["fits"]


def test_the_report_and_the_comparison_show_every_arm():
    summary = summarise(load_params("params.yaml"), *fake_study())
    page = data_value_html(summary)
    assert page.count("<tr id=") == len(summary["rows"]) and "Findings" in page and "http" not in page
    assert 'href="#kokoro"' in page and "skipped: no training" in page
    text = comparison_text(summary)
    assert "kokoro (without, 3 seeds)" in text and "unseen voice: higher" in text


def test_the_study_runs_with_the_studies_and_leaves_out_exactly_each_group(studies_project, monkeypatch):
    root = studies_project
    summary = json.loads((root / "reports/metrics/data_value.json").read_text())
    rows = {(r["arm"], r["kind"]): r for r in summary["rows"]}
    params = yaml.safe_load((root / "params.yaml").read_text())["data_value"]
    assert summary["rows"][0]["arm"] == "baseline" and rows[("baseline", "baseline")]["seeds"] == len(params["seeds"])
    assert {(g, "with" if m == ["audit"] else "without") for g, m in params["groups"].items()} <= set(rows)
    assert "no training" in rows[("kokoro", "without")]["skipped"]  # the small project has no Kokoro voice
    monkeypatch.chdir(root)
    from pipeline.common.catalog import read_catalog
    from pipeline.triggerword.datasets import read_recipes
    from pipeline.triggerword.train_head import read_part

    _, train = read_part("train", read_recipes().recipes)
    espeak = (read_catalog()["source"] == "tts:espeak-ng").to_numpy()
    held = espeak[np.maximum(train.insert_clip, 0)] & train.insert_mask
    espeak_row = rows[("espeak-ng", "without")]
    assert espeak_row["removed_inserts_positive"] == int((held & train.insert_positive).sum())
    assert espeak_row["removed_inserts_negative"] == int((held & ~train.insert_positive).sum())
    assert espeak_row[HEADLINE] is None or espeak_row[UNSEEN_VOICE] >= 0.9  # no positive left: it finds nothing
    assert len(summary["learning_curve"]["clips"]["points"]) == 2
    assert "Findings" in (root / "reports/data_value/index.html").read_text()


def test_one_group_by_hand_prints_the_comparison_the_same_with_any_number_of_workers(small_project, tmp_path):
    params = yaml.safe_load((small_project / "params.yaml").read_text())
    params["data_value"]["workers"] = 1
    (tmp_path / "one_worker.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    two = run(["datasynth", "value", "--group", "near_misses"], cwd=small_project)
    one = run(
        ["datasynth", "value", "--group", "near_misses", "--params", str(tmp_path / "one_worker.yaml")],
        cwd=small_project,
    )
    assert "baseline (baseline, 1 seeds)" in two.stdout and "near_misses (without, 1 seeds)" in two.stdout
    assert "unseen voice:" in two.stdout
    assert one.stdout == two.stdout  # every head on one torch thread, whichever worker trains it


def test_a_shallow_speaker_fit_is_not_quoted_as_a_number_of_speakers():
    from pipeline.triggerword.studies.data_value_summary import findings

    base = {m: {"spread": 0.05} for m in (HEADLINE, UNSEEN_VOICE)}
    for need, expected in ((800, "at about 800 speakers"), (10**9, "too shallow to say")):
        fit = {UNSEEN_VOICE: {"a": 1.0, "b": -0.01, "speakers_for_5pct": need}}
        curve = {"speakers": {"points": [{"size": 25}, {"size": 600}], "fits": fit}}
        texts = [f["text"] for f in findings({"baseline": base, "rows": [], "learning_curve": curve})]
        assert expected in texts[-1]
