"""Positives by voice group: seen voices, unseen voices of a trained engine, an engine never heard."""

import numpy as np
import pandas as pd
import yaml

from models.triggerword.events import EventSpec, positive_outcomes
from pipeline.common.params import merge
from pipeline.triggerword.analysis.voice_groups import group_summary, positive_frame, slice_frr, trained_sources
from pipeline.triggerword.evaluate import positive_ends
from pipeline.triggerword.synthesise import synthesise
from synth.common.splits import SPLITS
from tests.helpers.synth_fixtures import TINY_PARAMS, make_dataset

SPEC = EventSpec(smoothing_steps=1, refractory_steps=2, match_steps=3)


def test_peaks_are_the_highest_output_in_each_positives_window_and_hits_follow_the_threshold():
    probs = np.zeros((2, 20))
    probs[0, 5:7] = [0.4, 0.9]  # positive ending at step 4: peak 0.9 in steps 4..7
    probs[0, 15] = 0.3  # positive ending at step 14: lukewarm
    peaks, hits = positive_outcomes(probs, [np.array([4, 14]), np.array([], int)], 0.5, SPEC)
    np.testing.assert_allclose(peaks, [0.9, 0.3])
    assert hits.tolist() == [True, False]


def test_each_positive_gets_its_voice_group_and_the_summary_shows_the_slide(tmp_path):
    # Voices 0-1 speak for engine "tts:new", held out in test: an engine the model never heard.
    overlay = merge(yaml.safe_load(TINY_PARAMS), {"synthesise": {"holdout": {"dev": [], "test": ["tts:new"]}}})
    data = make_dataset(tmp_path, yaml.safe_dump(overlay), speakers=9)
    new = data.catalog["speaker"].isin(["tts:voice0", "tts:voice1"]) & (data.catalog["kind"] != "background")
    data.catalog.loc[new, "source"] = "tts:new"
    recipes, _, clip_split = synthesise(data.params, data.catalog)
    trained = trained_sources(data.catalog, clip_split)
    assert trained == {"tts:test"}
    frames = []
    for part in ("train", "test"):
        r = recipes.take(recipes.split == SPLITS.index(part))
        ty = 21
        ends = positive_ends(r, data.params.audio.clip_samples, ty)
        probs = np.zeros((len(r), ty))
        source = data.catalog["source"].to_numpy(object)
        for i, row_ends in enumerate(ends):
            clips = r.insert_clip[i][r.insert_mask[i] & r.insert_positive[i]]
            for end, clip in zip(row_ends, clips):  # confident on known engines, lukewarm on the new one
                probs[i, min(end, ty - 1)] = 0.3 if source[clip] == "tts:new" else 0.99
        frames.append(positive_frame(part, r, ends, probs, data.catalog, trained, 0.5, SPEC))
    frame = pd.concat(frames, ignore_index=True)
    assert set(frame.loc[frame["part"] == "train", "group"]) == {"seen voice"}
    test = frame[frame["part"] == "test"]
    assert set(test["group"]) == {"unseen voice", "unseen engine"}
    assert (test.loc[test["group"] == "unseen engine", "source"] == "tts:new").all()
    assert slice_frr(frame, "test", "unseen engine") == 1.0
    assert slice_frr(frame, "test", "unseen voice") == 0.0
    assert slice_frr(frame, "dev", "unseen voice") is None
    summary = group_summary(frame)
    assert summary["test/unseen engine"]["peak_quantiles"]["q50"] == 0.3
    assert summary["train/seen voice"]["peak_quantiles"]["q50"] == 0.99
    assert summary["test/unseen engine"]["positives"] == int((test["group"] == "unseen engine").sum())
