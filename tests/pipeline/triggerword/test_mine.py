"""Hard-negative mining: what fired is recorded with its time, score, word and source, and mined clips are
trained on."""

import numpy as np
import pandas as pd

from pipeline.triggerword.evaluate import positive_ends
from pipeline.triggerword.mine import by_source, fired
from tests.helpers.synth_fixtures import make_dataset


def test_a_detection_in_a_negatives_only_clip_is_mined_with_the_word_under_it(tmp_path):
    data = make_dataset(tmp_path)
    params, recipes = data.params, data.recipes
    negatives = recipes.take(np.flatnonzero((recipes.n_positives == 0) & (recipes.n_negatives == 1))[:4])
    ty = 25  # 80 ms steps over the 1 s clips (the embedding family's rate)
    probs = np.zeros((len(negatives), ty), np.float32)
    slot = np.argmax(negatives.insert_mask[0])
    end = positive_ends(negatives, params.audio.clip_samples, ty)  # none: negatives only
    assert all(len(e) == 0 for e in end)
    end_step = int(
        (negatives.insert_start[0, slot] + negatives.insert_length[0, slot]) * ty // params.audio.clip_samples
    )
    probs[0, end_step : end_step + 3] = 0.9
    probs[1, 5] = 0.3  # below the threshold: not mined
    words, sources = data.catalog["word"].to_numpy(object), data.catalog["source"].to_numpy(object)
    hits = fired(params, negatives, probs, (words, sources), threshold=0.5)
    assert hits["example_id"].tolist() == [int(negatives.example_id[0])]
    assert hits["word"].iloc[0] == words[negatives.insert_clip[0, slot]]
    assert hits["source"].iloc[0] == sources[negatives.insert_clip[0, slot]]
    assert np.isclose(hits["score"].iloc[0], 0.9)
    assert abs(hits["time_s"].iloc[0] - (end_step + 1) / ty) < 1e-9
    assert fired(params, negatives, probs, (words, sources), threshold=0.95).empty


def test_false_accepts_per_pool_hour_are_counted_by_source():
    hits = {"source": ["fotaq", "ktuberling", "fotaq", "(background)"]}
    assert by_source(pd.DataFrame(hits), hours=2.0) == {"fotaq": 1.0, "ktuberling": 0.5, "(background)": 0.5}


def test_each_detection_scores_the_peak_of_its_own_run_above_the_threshold():
    from pipeline.triggerword.mine import _peak

    row = np.array([0.1, 0.6, 0.7, 0.2, 0.1, 0.95, 0.8, 0.3], np.float32)
    assert np.isclose(_peak(row, 1, 0.5), 0.7)  # not the later, higher run
    assert np.isclose(_peak(row, 5, 0.5), 0.95)
    assert np.isclose(_peak(np.array([0.2, 0.6, 0.9], np.float32), 1, 0.5), 0.9)  # runs to the clip's end
