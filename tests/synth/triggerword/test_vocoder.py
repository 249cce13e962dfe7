"""Vocoder resynthesis: draws recorded per insert, formants moved, length and peak kept (torch: test_render)."""

import dataclasses

import numpy as np
import pytest

from synth.triggerword.recipes import PAD_CLIP
from synth.triggerword.render import NumpyRenderer, impulse_responses
from synth.triggerword.vocoder import VocoderSpec, narrow_pitch, vocode, warp_envelope
from tests.synth.triggerword.test_recipes import BANK, SPEC, SR, N, draw

VOCODER = VocoderSpec(probability=0.5, formant_ratio=(0.85, 1.2), pitch_range=(0.4, 1.0))
IRS = impulse_responses(8, (0.1, 0.3), SR, 1)


def vowel(f0: float = 140.0, formants=(700.0, 1200.0, 2600.0), seconds: float = 0.6, sr: int = 16_000):
    """A synthetic vowel: harmonics of f0 weighted by resonances at `formants`, a slow pitch glide."""
    t = np.arange(int(seconds * sr)) / sr
    pitch = f0 * (1 + 0.2 * t / seconds)
    phase = 2 * np.pi * np.cumsum(pitch) / sr
    out = np.zeros_like(t)
    for h in range(1, int(sr / 2 / (f0 * 1.2))):
        weight = sum(1 / (1 + ((h * f0 - f) / 90.0) ** 2) for f in formants)
        out += weight * np.sin(h * phase)
    return (0.5 * out / np.abs(out).max()).astype(np.float32), sr


def centroid(x: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64)))
    return float((spectrum * np.fft.rfftfreq(len(x), 1 / sr)).sum() / spectrum.sum())


def test_draws_follow_the_probability_and_only_active_slots_are_vocoded():
    r = draw(n=2000, spec=dataclasses.replace(SPEC, vocoder=VOCODER))
    vocoded = r.insert_formant_ratio > 0
    assert not (vocoded & (r.insert_clip == PAD_CLIP)).any()
    assert 0.45 < vocoded[r.insert_mask].mean() < 0.55
    ratios, ranges = r.insert_formant_ratio[vocoded], r.insert_pitch_range[vocoded]
    assert ((ratios >= 0.85) & (ratios <= 1.2)).all() and ((ranges >= 0.4) & (ranges <= 1.0)).all()
    assert (r.insert_pitch_range[~vocoded] == 0).all()


def test_the_other_draws_are_the_same_with_or_without_a_vocoder():
    plain, vocoded = draw(n=500), draw(n=500, spec=dataclasses.replace(SPEC, vocoder=VOCODER))
    for name in ("insert_clip", "insert_start", "insert_gain_db", "channel_center_hz", "reverb_ir"):
        assert np.array_equal(getattr(plain, name), getattr(vocoded, name)), name
    assert (plain.insert_formant_ratio == 0).all()


def test_a_higher_formant_ratio_moves_the_spectrum_up_and_keeps_length_and_peak():
    audio, sr = vowel()
    low, same, high = (vocode(audio, sr, ratio, 1.0) for ratio in (0.85, 1.0, 1.2))
    assert all(len(x) == len(audio) and x.dtype == np.float32 for x in (low, same, high))
    assert all(np.abs(x).max() <= np.abs(audio).max() + 1e-6 for x in (low, same, high))
    assert centroid(low, sr) < centroid(same, sr) < centroid(high, sr)
    np.testing.assert_array_equal(vocode(audio, sr, 1.2, 0.5), vocode(audio, sr, 1.2, 0.5))


def test_vocode_keeps_the_scale_of_int16_samples_at_the_pipeline_rate():
    audio, sr = vowel(sr=8000)
    pcm = (audio * 30000).astype(np.int16)
    out = vocode(pcm, sr, 1.1, 0.8)
    assert len(out) == len(pcm) and 5000 < np.abs(out).max() <= np.abs(pcm.astype(np.float64)).max()


def test_warp_envelope_moves_a_peak_by_the_ratio():
    envelope = np.full((3, 201), 1e-3)
    envelope[:, 50] = 1.0
    assert np.argmax(warp_envelope(envelope, 1.2)[0]) == 60
    assert np.argmax(warp_envelope(envelope, 0.8)[0]) == 40


def test_narrow_pitch_pulls_voiced_frames_to_the_median_and_keeps_unvoiced():
    f0 = np.array([0.0, 100.0, 200.0, 400.0, 0.0])
    out = narrow_pitch(f0, 0.5)
    assert out[0] == 0 and out[-1] == 0 and out[2] == pytest.approx(200.0)
    np.testing.assert_allclose(np.log(out[[1, 3]] / 200.0), 0.5 * np.log(f0[[1, 3]] / 200.0))
    assert np.array_equal(narrow_pitch(np.zeros(4), 0.5), np.zeros(4))


def test_rendering_vocodes_exactly_the_drawn_inserts_and_stays_below_the_peak_limit():
    spec = dataclasses.replace(SPEC, vocoder=VOCODER, reverb_probability=0.0, background_dbfs=(-3.0, 0.0))
    r = draw(n=12, spec=spec)
    out = NumpyRenderer(BANK, IRS, N, SR).render(r)
    dry = dataclasses.replace(r, insert_formant_ratio=np.zeros_like(r.insert_formant_ratio))
    plain = NumpyRenderer(BANK, IRS, N, SR).render(dry)
    assert np.abs(out).max() <= SPEC.peak_limit + 1e-6
    for i in range(len(r)):
        changed = np.zeros(N, bool)
        for j in np.flatnonzero(r.insert_formant_ratio[i] > 0):
            changed[r.insert_start[i, j] : r.insert_start[i, j] + r.insert_length[i, j]] = True
        np.testing.assert_array_equal(out[i][~changed], plain[i][~changed])
        assert changed.any() == (not np.array_equal(out[i], plain[i]))
