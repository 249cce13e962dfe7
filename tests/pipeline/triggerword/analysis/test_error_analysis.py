"""The error_analysis stage on a tiny fixture whose mistakes are built in: voice0's positives are all
missed, every 'kitchen' negative and one empty stretch of background trigger a false accept."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import soundfile as sf

from models.triggerword.events import count_events, threshold_grid
from pipeline.common.catalog import file_sha256
from pipeline.common.params import Params, load_params
from pipeline.triggerword import error_analysis
from pipeline.triggerword.analysis.error_findings import Rules, fa_p_value, miss_p_value
from pipeline.triggerword.analysis.error_slices import OTHER, Timing, position_of, split_events
from pipeline.triggerword.analysis.targets import Target, gap, group_mask, ratio_gap, sweep
from pipeline.triggerword.datasets import clip_stats
from pipeline.triggerword.evaluate import event_spec, positive_ends
from pipeline.triggerword.synthesise import recipe_spec, recipe_table
from synth.common.catalog import CATALOG_COLUMNS, clip_peak, clip_rms, to_pcm16
from synth.triggerword.labels import end_steps
from synth.triggerword.recipes import Pools, Recipes, draw_split
from tests.helpers.project import full_params

# 3 s clips at 8 kHz; inserts at least 0.45 s apart, more than the 0.4 s match window, so a spike
# after one insert can never be matched to another and the built-in outcomes are exact.
PARAMS = """\
seed: 3
audio: {sample_rate: 8000, clip_seconds: 3.0}
collect: {positive_word: activate, negative_words: [kitchen, lion], min_word_seconds: 0.05,
  max_word_seconds: 0.3, max_phrase_seconds: 0.3}
synthesise: {examples: {train: 0, dev: 16, test: 40}, positives: [0, 2], negatives: [0, 2],
  min_gap_seconds: 0.45, end_guard_seconds: 0.0, reverb_irs: 4, reverb_rt60_seconds: [0.05, 0.1],
  reverb_probability: 0.3, stream: {hours: 0.01, mining_hours: 0.01, dev_hours: 0.01, negatives: [0, 2],
  conversation: {hours: 0.0, mining_hours: 0.0, dev_hours: 0.0}}}
labels: {ty: 71, ones_after_end: 3}   # the default model maps 3 s at 8 kHz to 71 steps
evaluate: {smoothing_seconds: 0.2113, refractory_seconds: 0.3, match_seconds: 0.4}
studies: {audio_rate: {rates: [8000]}}
"""  # merged over the project's params.yaml
VOICES = 5  # voice0-2 in test, voice3-4 in dev
MISSED_VOICE = "tts:voice0"
SPIKE = 4  # steps of output 1.0 right after a word ending at step e: 5-step smoothing crosses 0.5 at e + 3
DELAY = 3  # ... so a word ending within 3 steps of the clip's end cannot be detected (a built-in miss too)


def _clip(catalog_dir: Path, pcm: np.ndarray, sr: int, **fields) -> dict:
    path = Path("clips") / f"{fields['clip_id'].replace(':', '_')}.wav"
    sf.write(catalog_dir / path, pcm, sr, subtype="PCM_16")
    return {
        "origin": "tests",
        "licence": "CC0-1.0",
        "language": "en",
        "text": fields.get("word", ""),
        **fields,
        "path": str(path),
        "sample_rate": sr,
        "num_samples": len(pcm),
        "duration_s": len(pcm) / sr,
        "rms": clip_rms(pcm),
        "peak": clip_peak(pcm),
        "sha256": file_sha256(catalog_dir / path),
    }


def make_catalog(catalog_dir: Path, params: Params) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    sr = params.audio.sample_rate
    (catalog_dir / "clips").mkdir(parents=True)
    rows = []
    for v in range(VOICES):
        for j, word in enumerate(["activate", "activate", "kitchen", "lion"]):
            t = np.arange(int(rng.uniform(0.1, 0.3) * sr)) / sr
            tone = np.sin(2 * np.pi * rng.uniform(300, 1500) * t) * np.hanning(len(t)) * 0.89
            rows.append(
                _clip(
                    catalog_dir,
                    to_pcm16(tone),
                    sr,
                    clip_id=f"voice{v}:{word}:{j}",
                    word=word,
                    kind="positive" if word == "activate" else "negative",
                    source="tts:test",
                    speaker=f"tts:voice{v}",
                    split_group=f"tts:voice{v}",
                )
            )
    for b, source in enumerate(["noise", "noise", "ambience", "ambience"]):
        for w in range(2):
            noise = np.clip(rng.standard_normal(int(1.25 * params.audio.clip_samples)) * 0.1, -1, 1)
            rows.append(
                _clip(
                    catalog_dir,
                    to_pcm16(noise),
                    sr,
                    clip_id=f"bg{b}:{w}",
                    kind="background",
                    word="",
                    source=source,
                    speaker=f"bg{b}",
                    split_group=f"bg{b}",
                    language="",
                )
            )
    frame = pd.DataFrame(rows)
    frame.insert(0, "clip_index", np.arange(len(frame)))
    return frame[list(CATALOG_COLUMNS)].astype({k: v[0] for k, v in CATALOG_COLUMNS.items()})


def pools(catalog: pd.DataFrame, voices: list[int], recordings: list[int]) -> Pools:
    speaker_ok = catalog["speaker"].isin([f"tts:voice{v}" for v in voices])
    bg_ok = catalog["speaker"].isin([f"bg{b}" for b in recordings])
    return Pools(
        *(
            np.flatnonzero((catalog["kind"] == kind) & ok).astype(np.int64)
            for kind, ok in (("positive", speaker_ok), ("negative", speaker_ok), ("background", bg_ok))
        )
    )


def spike(probs: np.ndarray, row: int, end_step: int) -> None:
    probs[row, end_step + 1 : end_step + 1 + SPIKE] = 1.0


def fake_predictions(recipes: Recipes, catalog: pd.DataFrame, params: Params) -> tuple[np.ndarray, dict]:
    """Spikes after every positive not said by MISSED_VOICE, after every 'kitchen', and in one empty clip;
    returns them with the outcomes they must produce (misses per speaker, false accepts per cause)."""
    ty, clip_samples = params.labels.ty, params.audio.clip_samples
    ends = end_steps(recipes.insert_start, recipes.insert_length, clip_samples, ty)
    speaker = catalog["speaker"].to_numpy(object)
    word = catalog["word"].to_numpy(object)
    probs = np.zeros((len(recipes), ty), np.float32)
    built = {"kitchen": 0, "other": 0, "positives": {}, "misses": {}}
    for row, slot in zip(*np.nonzero(recipes.insert_mask)):
        clip, end = recipes.insert_clip[row, slot], ends[row, slot]
        fires = end + DELAY < ty
        if recipes.insert_positive[row, slot]:
            who = speaker[clip]
            hit = who != MISSED_VOICE and fires
            built["positives"][who] = built["positives"].get(who, 0) + 1
            built["misses"][who] = built["misses"].get(who, 0) + int(not hit)
            if who != MISSED_VOICE:
                spike(probs, row, end)
        elif word[clip] == "kitchen":
            spike(probs, row, end)
            built["kitchen"] += int(fires)
    empty = np.flatnonzero(recipes.insert_mask.sum(axis=1) == 0)
    if len(empty):
        spike(probs, int(empty[0]), ty // 2)
        built["other"] = 1
    return probs, built


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("error_analysis")
    (root / "params.yaml").write_text(full_params(PARAMS))
    params = load_params(root / "params.yaml")
    catalog = make_catalog(root / "data/catalog", params)
    catalog.to_parquet(root / "data/catalog/catalog.parquet", index=False)
    spec, stats = recipe_spec(params), clip_stats(catalog)
    dev = draw_split("dev", 16, pools(catalog, [3, 4], [1, 3]), stats, spec, params.seed, 1000, 0)
    test = draw_split("test", 40, pools(catalog, [0, 1, 2], [0, 2]), stats, spec, params.seed, 1000, 16)
    recipes = Recipes.concat([dev, test])
    (root / "data/synth").mkdir(parents=True)
    clip_split = np.where(catalog["speaker"].isin(["tts:voice3", "tts:voice4", "bg1", "bg3"]), "dev", "test")
    pd.DataFrame({"clip_id": catalog["clip_id"], "split": clip_split}).to_parquet(
        root / "data/synth/clip_splits.parquet"
    )
    pq.write_table(
        recipe_table(params, recipes, file_sha256(root / "data/catalog/catalog.parquet")),
        root / "data/synth/recipes.parquet",
    )
    (root / "data/predictions").mkdir(parents=True)
    built = {}
    for name, part in (("dev", dev), ("test", test)):
        probs, built[name] = fake_predictions(part, catalog, params)
        np.savez_compressed(
            root / f"data/predictions/{name}.npz",
            example_id=part.example_id,
            probabilities=probs.astype(np.float16),
            threshold=np.float32(0.5),
            ones_after_end=np.int32(params.labels.ones_after_end),
        )
        built[name]["probs"] = probs
    (root / "reports/metrics").mkdir(parents=True)
    (root / "reports/evaluate").mkdir(parents=True)
    (root / "reports/metrics/evaluate.json").write_text(
        json.dumps(
            {s: {"threshold": 0.5, "frr": 0.25, "fa_per_hour": 12.0, "misses": 1, "false_accepts": 1} for s in built}
        )
    )
    det = pd.DataFrame({"threshold": [0.25, 0.5, 0.75], "frr": [0.1, 0.25, 0.5], "fa_per_hour": [30.0, 12.0, 0.0]})
    for name in built:
        det.to_csv(root / f"reports/evaluate/det_{name}.csv", index=False)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        error_analysis.main(["--worst", "3", "--worst-dev", "2"])
    finally:
        os.chdir(cwd)
    metrics = json.loads((root / "reports/error_analysis_tables.json").read_text())
    return {
        "root": root,
        "params": params,
        "catalog": catalog,
        "test": test,
        "built": built,
        "metrics": metrics,
        "html": (root / "reports/error_analysis/index.html").read_text(),
    }


def test_report_and_assets_exist_and_are_referenced(report):
    out = report["root"] / "reports/error_analysis"
    wavs, pngs = sorted((out / "audio").glob("*.wav")), sorted((out / "img").glob("*.png"))
    dev_misses = min(2, sum(report["built"]["dev"]["misses"].values()))  # dev: only misses at the clip's end
    assert len(wavs) == 3 + 3 + dev_misses + 2  # test: 3 misses + 3 false accepts; dev: 2 of each at most
    assert len(pngs) == len(wavs) + 1  # + the DET plot
    for path in wavs + pngs:
        assert f'src="{path.parent.name}/{path.name}"' in report["html"]
    for ref in re.findall(r'src="([^"]+)"', report["html"]):
        assert (out / ref).is_file(), ref
    audio, rate = sf.read(wavs[0], dtype="int16")
    assert rate == 8000 and len(audio) == report["params"].audio.clip_samples
    assert not list(report["root"].glob("reports/.error_analysis*"))  # atomic: no temp dirs left


def test_html_is_static_and_offline(report):
    page = report["html"]
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert not re.search(r'(src|href)\s*=\s*["\']?\s*(https?:)?//', page, re.I)
    assert "@import" not in page and "url(" not in page


def test_miss_rate_per_speaker_is_what_was_built_in(report):
    speakers = report["metrics"]["test"]["tables"]["positive_speaker"]
    built = report["built"]["test"]
    assert set(speakers) == set(built["positives"]) == {"tts:voice0", "tts:voice1", "tts:voice2"}
    for voice, row in speakers.items():
        assert (row["positives"], row["misses"]) == (built["positives"][voice], built["misses"][voice])
        assert row["miss_rate"] == built["misses"][voice] / built["positives"][voice]
    assert speakers[MISSED_VOICE]["positives"] >= 5 and speakers[MISSED_VOICE]["miss_rate"] == 1.0
    assert speakers[MISSED_VOICE]["flagged_miss"]
    assert all(speakers[v]["miss_rate"] < 0.3 and not speakers[v]["flagged_miss"] for v in ("tts:voice1", "tts:voice2"))


def test_false_accepts_are_attributed_to_the_negative_word(report):
    causes = report["metrics"]["test"]["tables"]["false_accept_cause"]
    built = report["built"]["test"]
    assert built["kitchen"] >= 3 and built["other"] == 1
    assert causes["kitchen"]["false_accepts"] == built["kitchen"]
    assert causes["lion"]["false_accepts"] == 0
    assert causes[OTHER]["false_accepts"] == 1
    overall = report["metrics"]["test"]["overall"]
    assert overall["false_accepts"] == built["kitchen"] + 1


def test_false_accepts_per_negative_source_per_hour_of_its_speech(report):
    sources = report["metrics"]["test"]["tables"]["negative_source"]
    built = report["built"]["test"]
    assert sum(row["false_accepts"] for row in sources.values()) == built["kitchen"]  # 'other' follows none
    for row in sources.values():
        assert row["inserts"] > 0 and row["speech_hours"] > 0
        assert row["fa_per_speech_hour"] == pytest.approx(row["false_accepts"] / row["speech_hours"])


def test_findings_name_the_voice_and_the_negative_word(report):
    texts = [f["text"] for f in report["metrics"]["test"]["findings"]]
    assert any("'kitchen'" in t and "false accepts" in t.lower() for t in texts)
    assert any(MISSED_VOICE in t for t in texts)
    findings = report["html"].split('id="findings"')[1].split("</section>")[0]
    assert "kitchen" in findings and MISSED_VOICE in findings


def test_totals_match_the_evaluate_stage_event_logic(report):
    params, test = report["params"], report["test"]
    probs = report["built"]["test"]["probs"]
    ends = positive_ends(test, params.audio.clip_samples, params.labels.ty)
    counts = count_events(probs, ends, 0.5, event_spec(params), len(test) * params.audio.clip_seconds / 3600)
    overall = report["metrics"]["test"]["overall"]
    assert (overall["misses"], overall["false_accepts"], overall["positives"]) == (
        counts.misses,
        counts.false_accepts,
        counts.positives,
    )


def test_missing_predictions_name_the_stage_to_run(report, monkeypatch):
    monkeypatch.chdir(report["root"])
    monkeypatch.setattr(error_analysis, "PREDICTIONS", Path("nowhere"))
    with pytest.raises(FileNotFoundError, match="evaluate"):
        error_analysis.main([])


def test_a_slice_is_named_only_with_enough_positives_and_a_clear_significant_gap():
    rules = Rules()
    assert miss_p_value(4, 4, 0.1, rules) is None  # 100 % missed, but only 4 positives
    assert miss_p_value(3, 10, 0.25, rules) is None  # 30 % vs 25 %: no clear gap
    assert miss_p_value(6, 10, 0.1, rules) is not None  # 60 % vs 10 % on 10 positives
    assert fa_p_value(2, 0.01, 1.0, rules) is None  # too few false accepts
    assert fa_p_value(6, 1.0, 1.0, rules) is not None


def test_positions_split_off_the_final_match_window():
    timing = Timing(clip_samples=80000, clip_seconds=10.0, ty=1375, tail_seconds=0.6)
    names = position_of(np.array([1.0, 5.0, 9.0, 9.5, 10.0]), timing)
    assert [n.split(" (")[0] for n in names] == [
        "first third",
        "middle third",
        "last third",
        "final 0.6 s",
        "final 0.6 s",
    ]


def _test_events(report):
    """The fixture's test split as events at any threshold (what the targets search probes)."""
    params, test, catalog = report["params"], report["test"], report["catalog"]
    probs = report["built"]["test"]["probs"]
    spec, timing = event_spec(params, probs.shape[1]), error_analysis.timing(params, probs.shape[1])
    events_at = lambda threshold: split_events(test, catalog, probs, threshold, spec, timing)  # noqa: E731
    return events_at, sweep(events_at(0.5), threshold_grid(240), spec)


def test_every_target_is_in_the_report_with_its_sentence(report):
    targets = report["metrics"]["targets"]
    assert [t["group"] for t in targets] == list(report["params"].targets.goals()) == ["all", "unseen_engine"]
    section = report["html"].split('id="targets"')[1].split("</section>")[0]
    for target in targets:
        assert not target["met"] and "Not met" in target["text"]
        assert "not met" in section and target["text"][:40] in section


def test_at_the_budget_the_misses_are_named_by_voice(report):
    events_at, swept = _test_events(report)
    built = report["built"]["test"]
    got = gap(Target("all", 0.05, 1e6), events_at(0.5), swept, events_at, set())
    assert not got["met"] and got["at_budget"]["frr"] == pytest.approx(
        sum(built["misses"].values()) / sum(built["positives"].values())
    )
    worst = got["at_budget"]["misses_by_voice"][0]
    assert (worst["voice"], worst["miss_rate"]) == (MISSED_VOICE, 1.0)
    assert got["closest"] and got["at_target"]["misses"] == sum(built["misses"].values())
    assert "No threshold reaches it" in got["text"] and MISSED_VOICE in got["text"]


def test_at_the_target_the_false_accepts_it_costs_are_named_by_word(report):
    events_at, swept = _test_events(report)
    built = report["built"]["test"]
    reachable = sum(built["misses"].values()) / sum(built["positives"].values())  # all but voice0 found
    got = gap(Target("all", reachable, 0.0), events_at(0.5), swept, events_at, set())
    assert got["at_budget"]["false_accepts"] == 0 and got["at_budget"]["frr"] == 1.0  # silent: all missed
    at = got["at_target"]
    params, test, probs = report["params"], report["test"], built["probs"]
    ends = positive_ends(test, params.audio.clip_samples, params.labels.ty)
    hours = len(test) * params.audio.clip_seconds / 3600
    counts = count_events(probs, ends, at["threshold"], event_spec(params), hours)  # the evaluate stage's logic
    assert at["frr"] <= reachable and at["false_accepts"] == counts.false_accepts
    causes = {c["name"]: c["false_accepts"] for c in at["false_accepts_by_cause"]}
    assert causes == {"kitchen": counts.false_accepts - 1, OTHER: 1}  # spikes cut by a clip's end stay under it
    top = at["false_accepts_by_cause"][0]
    assert top["name"] == "kitchen" and top["fa_per_hour"] == pytest.approx(top["false_accepts"] / hours)
    assert "kitchen" in got["text"] and "tts:test" in got["text"]


def test_voice_groups_of_a_target_follow_the_engines_heard_in_training():
    positives = pd.DataFrame({"source": ["tts:espeak-ng", "tts:festival", "tts:espeak-ng"]})
    assert group_mask(positives, "all", {"tts:espeak-ng"}).tolist() == [True, True, True]
    assert group_mask(positives, "unseen_voice", {"tts:espeak-ng"}).tolist() == [True, False, True]
    assert group_mask(positives, "unseen_engine", {"tts:espeak-ng"}).tolist() == [False, True, False]


def test_the_unseen_engine_is_held_to_a_multiple_of_the_seen_voices_miss_rate():
    far = ratio_gap(1.5, {"test": {"unseen_engine_frr": 0.44, "seen_voice_frr": 0.16}})
    assert not far["met"] and far["times"] == pytest.approx(2.75) and "Not met: 44 % against 16 % (2.8×)" in far["text"]
    assert ratio_gap(1.5, {"test": {"unseen_engine_frr": 0.2, "seen_voice_frr": 0.15}})["met"]
    assert ratio_gap(1.5, {"test": {"seen_voice_frr": 0.15}}) is None  # no unseen engine in test
