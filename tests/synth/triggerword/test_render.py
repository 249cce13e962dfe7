"""Renderer: matches a hand mix, respects the peak bound, numpy == torch."""

import dataclasses

import numpy as np
import pytest

from synth.common.catalog import PCM_SCALE
from synth.triggerword.channel import ChannelSpec
from synth.triggerword.recipes import db_to_gain
from synth.triggerword.render import NumpyRenderer, TorchRenderer, impulse_responses
from synth.triggerword.vocoder import VocoderSpec
from tests.helpers.devices import DEVICES
from tests.synth.triggerword.test_recipes import BANK, SPEC, SR, N, draw

IRS = impulse_responses(8, (0.1, 0.3), SR, 1)


def test_dry_render_equals_the_mix_computed_by_hand():
    r = draw(n=20, spec=dataclasses.replace(SPEC, reverb_probability=0.0))
    out = NumpyRenderer(BANK, IRS, N, SR).render(r)
    for i in range(len(r)):
        bg = BANK.clip(r.background_clip[i])[r.background_offset[i] : r.background_offset[i] + N]
        expected = bg * PCM_SCALE * db_to_gain(r.background_gain_db[i])
        for j in np.flatnonzero(r.insert_mask[i]):
            clip = BANK.clip(r.insert_clip[i, j]) * PCM_SCALE * db_to_gain(r.insert_gain_db[i, j])
            expected[r.insert_start[i, j] : r.insert_start[i, j] + len(clip)] += clip
        np.testing.assert_allclose(out[i], expected, atol=1e-6)


def test_peak_stays_below_the_limit_with_and_without_reverb():
    r = draw(n=200, spec=dataclasses.replace(SPEC, reverb_probability=0.5, background_dbfs=(-3.0, 0.0)))
    out = NumpyRenderer(BANK, IRS, N, SR).render(r)
    assert np.isfinite(out).all()
    assert np.abs(out).max() <= SPEC.peak_limit + 1e-6


def test_rendering_is_deterministic():
    r = draw(n=30)
    a = NumpyRenderer(BANK, IRS, N, SR).render(r)
    b = NumpyRenderer(BANK, IRS, N, SR).render(r)
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("device", DEVICES)
def test_torch_renderer_matches_numpy(device):
    r = draw(n=30, spec=dataclasses.replace(SPEC, reverb_probability=0.5))
    a = NumpyRenderer(BANK, IRS, N, SR).render(r)
    b = TorchRenderer(BANK, IRS, N, SR, device).render(r).cpu().numpy()
    np.testing.assert_allclose(a, b, atol=2e-5)


def test_impulse_responses_are_deterministic_unit_energy():
    a, b = impulse_responses(4, (0.1, 0.5), SR, 9), impulse_responses(4, (0.1, 0.5), SR, 9)
    for x, y in zip(a, b):
        assert x.tobytes() == y.tobytes()
        assert np.sum(x.astype(np.float64) ** 2) == pytest.approx(1.0, rel=1e-4)


CHANNEL = ChannelSpec(0.5, (600.0, 2500.0), (0.8, 2.0), 0.3, (2, 15))


def test_channel_draws_are_recorded_and_follow_their_probabilities():
    r = draw(n=2000, spec=dataclasses.replace(SPEC, channel=CHANNEL))
    bandpass, clipped = r.channel_center_hz > 0, r.channel_clip_percentile > 0
    assert 0.45 < bandpass.mean() < 0.55 and 0.25 < clipped.mean() < 0.35
    assert ((r.channel_center_hz[bandpass] >= 600) & (r.channel_center_hz[bandpass] <= 2500)).all()
    assert set(np.unique(r.channel_rolloff_db[bandpass])) == {12, 24}
    plain = draw(n=2000)  # the other draws are the same with or without a channel
    assert np.array_equal(plain.insert_start, r.insert_start) and np.array_equal(plain.insert_gain_db, r.insert_gain_db)


def test_a_band_pass_channel_removes_low_and_high_frequencies_and_stays_below_the_peak_limit():
    r = draw(n=40, spec=dataclasses.replace(SPEC, channel=CHANNEL, background_dbfs=(-3.0, 0.0)))
    out = NumpyRenderer(BANK, IRS, N, SR).render(r)
    plain = NumpyRenderer(BANK, IRS, N, SR).render(
        dataclasses.replace(
            r, channel_center_hz=np.zeros(len(r), np.float32), channel_clip_percentile=np.zeros(len(r), np.int8)
        )
    )
    i = int(np.flatnonzero((r.channel_center_hz > 0) & (r.channel_clip_percentile == 0))[0])
    low = max(float(r.channel_center_hz[i] - r.channel_bandwidth_hz[i] / 2), 20.0)

    def energy_below(x, hz):
        spectrum = np.abs(np.fft.rfft(x)) ** 2
        return spectrum[np.fft.rfftfreq(len(x), 1 / SR) < hz].sum() / spectrum.sum()

    assert energy_below(out[i], low / 4) < 0.2 * energy_below(plain[i], low / 4)
    assert np.abs(out).max() <= SPEC.peak_limit + 1e-6
    untouched = (r.channel_center_hz == 0) & (r.channel_clip_percentile == 0)
    assert np.array_equal(out[untouched], plain[untouched])
    again = NumpyRenderer(BANK, IRS, N, SR).render(r)
    assert out.tobytes() == again.tobytes()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    "effects",
    [{"channel": CHANNEL}, {"vocoder": VocoderSpec(0.5, (0.85, 1.2), (0.4, 1.0))}],
    ids=["channel", "vocoder"],
)
def test_torch_renderer_matches_numpy_with_channel_effects_and_vocoded_inserts(device, effects):
    r = draw(n=12, spec=dataclasses.replace(SPEC, **effects))
    a = NumpyRenderer(BANK, IRS, N, SR).render(r)
    b = TorchRenderer(BANK, IRS, N, SR, device).render(r).cpu().numpy()
    np.testing.assert_allclose(a, b, atol=2e-5)
