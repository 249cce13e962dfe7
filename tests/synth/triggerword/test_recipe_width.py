"""Recipes with different insert widths concatenate when asked to widen (the stream beside the splits)."""

import dataclasses

import numpy as np
import pytest

from synth.triggerword.recipes import PAD_CLIP, Recipes
from tests.synth.triggerword.test_recipes import SPEC, draw


def test_widening_appends_padding_slots_and_keeps_everything_else():
    narrow = draw(n=50, spec=dataclasses.replace(SPEC, positives=(0, 1), negatives=(0, 1)))
    wide = draw(n=30)
    with pytest.raises(ValueError, match="different insert widths"):
        Recipes.concat([narrow, wide])
    both = Recipes.concat([narrow, wide], widen=True)
    assert both.insert_clip.shape == (80, wide.insert_clip.shape[1])
    assert (both.insert_clip[:50, 2:] == PAD_CLIP).all() and not both.insert_positive[:50, 2:].any()
    assert np.array_equal(both.n_positives, np.concatenate([narrow.n_positives, wide.n_positives]))
    assert np.array_equal(both.insert_start[:50, :2], narrow.insert_start)
