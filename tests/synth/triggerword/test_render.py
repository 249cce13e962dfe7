"""Renderer: matches a hand mix, respects the peak bound, numpy == torch."""

import dataclasses

import numpy as np
import pytest

from synth.common.catalog import PCM_SCALE
from synth.triggerword.recipes import db_to_gain
from synth.triggerword.render import NumpyRenderer, TorchRenderer, impulse_responses
from tests.synth.triggerword.test_recipes import BANK, SPEC, SR, N, draw

IRS = impulse_responses(8, (0.1, 0.3), SR, 1)


def test_dry_render_equals_the_mix_computed_by_hand():
    r = draw(n=20, spec=dataclasses.replace(SPEC, reverb_probability=0.0))
    out = NumpyRenderer(BANK, IRS, N).render(r)
    for i in range(len(r)):
        bg = BANK.clip(r.background_clip[i])[r.background_offset[i] : r.background_offset[i] + N]
        expected = bg * PCM_SCALE * db_to_gain(r.background_gain_db[i])
        for j in np.flatnonzero(r.insert_mask[i]):
            clip = BANK.clip(r.insert_clip[i, j]) * PCM_SCALE * db_to_gain(r.insert_gain_db[i, j])
            expected[r.insert_start[i, j] : r.insert_start[i, j] + len(clip)] += clip
        np.testing.assert_allclose(out[i], expected, atol=1e-6)


def test_peak_stays_below_the_limit_with_and_without_reverb():
    r = draw(n=200, spec=dataclasses.replace(SPEC, reverb_probability=0.5, background_dbfs=(-3.0, 0.0)))
    out = NumpyRenderer(BANK, IRS, N).render(r)
    assert np.isfinite(out).all()
    assert np.abs(out).max() <= SPEC.peak_limit + 1e-6


def test_rendering_is_deterministic():
    r = draw(n=30)
    a = NumpyRenderer(BANK, IRS, N).render(r)
    b = NumpyRenderer(BANK, IRS, N).render(r)
    assert a.tobytes() == b.tobytes()


def test_torch_renderer_matches_numpy():
    r = draw(n=30, spec=dataclasses.replace(SPEC, reverb_probability=0.5))
    a = NumpyRenderer(BANK, IRS, N).render(r)
    b = TorchRenderer(BANK, IRS, N, "cpu").render(r).numpy()
    np.testing.assert_allclose(a, b, atol=2e-5)


def test_impulse_responses_are_deterministic_unit_energy():
    a, b = impulse_responses(4, (0.1, 0.5), SR, 9), impulse_responses(4, (0.1, 0.5), SR, 9)
    for x, y in zip(a, b):
        assert x.tobytes() == y.tobytes()
        assert np.sum(x.astype(np.float64) ** 2) == pytest.approx(1.0, rel=1e-4)
