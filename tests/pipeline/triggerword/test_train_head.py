"""The head's labels: the steps right after a positive's ones can be left out of the loss."""

import numpy as np

from pipeline.triggerword.train_head import loss_mask, part_labels, steps_per_clip
from synth.triggerword.labels import label_matrix
from tests.helpers.synth_fixtures import make_dataset


def test_ignored_steps_are_exactly_those_after_each_positives_ones(tmp_path):
    data = make_dataset(tmp_path)
    params = data.params
    assert loss_mask(params, data.recipes) is None  # nothing ignored: the plain mean over steps
    e = params.model.embedding.replace(ones_after_end=2, ignore_after_ones=3)
    params = params.replace(model=params.model.replace(embedding=e))
    r = data.recipes
    mask, labels = loss_mask(params, r), part_labels(params, r)
    wide = label_matrix(
        r.insert_start, r.insert_length, r.insert_positive, params.audio.clip_samples, steps_per_clip(params), 5
    )
    assert mask.shape == labels.shape
    np.testing.assert_array_equal(mask == 0, (wide == 1) & (labels == 0))
    assert (labels[mask == 0] == 0).all() and (mask[labels == 1] == 1).all()  # ones always count
    assert (mask == 0).any()
