"""synth/common/audio.py: trimming keeps the word's true end, resampling lengths, noise colours, windows."""

import numpy as np
import pytest
from scipy.signal import welch

from synth.common.audio import (
    change_speed,
    coloured_noise,
    fade_edges,
    loop_to_length,
    nonsilent_bounds,
    peak_normalise,
    resample,
    to_mono,
    trim_silence,
    windows,
)

SR = 44100


def tone_in_silence(start=0.3, end=0.8, total=1.2, noise_rms=0.0, seed=0):
    t = np.arange(int(total * SR)) / SR
    audio = np.where((t >= start) & (t < end), 0.5 * np.sin(2 * np.pi * 440 * t), 0.0)
    return audio + noise_rms * np.random.default_rng(seed).standard_normal(len(t))


@pytest.mark.parametrize("noise_rms", [0.0, 1e-4])
def test_trim_keeps_the_true_start_and_end_within_2_ms(noise_rms):
    start, end = nonsilent_bounds(tone_in_silence(noise_rms=noise_rms), SR, top_db=35)
    assert abs(start / SR - 0.3) < 0.002
    assert abs(end / SR - 0.8) < 0.002


def test_trim_over_a_noise_floor_30_db_down_still_finds_the_end():
    # Room noise within top_db of the peak must not count as the word (ktuberling recordings).
    start, end = nonsilent_bounds(tone_in_silence(noise_rms=0.35 * 10 ** (-30 / 20)), SR, top_db=35)
    assert abs(start / SR - 0.3) < 0.005
    assert abs(end / SR - 0.8) < 0.005


def test_trim_ignores_a_lone_click_far_from_the_word():
    audio = tone_in_silence()
    audio[int(1.1 * SR)] = 0.4
    assert abs(nonsilent_bounds(audio, SR, top_db=35)[1] / SR - 0.8) < 0.002


def test_trim_of_silence_is_empty_and_trim_returns_float32():
    assert len(trim_silence(np.zeros(SR), SR, 35)) == 0
    word = trim_silence(tone_in_silence(), SR, 35)
    assert word.dtype == np.float32 and abs(len(word) / SR - 0.5) < 0.004


@pytest.mark.parametrize("sr_from, sr_to", [(22050, 44100), (16000, 8000), (48000, 44100)])
def test_resample_length(sr_from, sr_to):
    out = resample(np.random.default_rng(0).standard_normal(sr_from), sr_from, sr_to)
    assert abs(len(out) - sr_to) <= 1 and out.dtype == np.float32


def test_change_speed_scales_length():
    assert abs(len(change_speed(np.ones(10_000, np.float32), 2.0)) - 5_000) <= 1
    assert abs(len(change_speed(np.ones(10_000, np.float32), 0.8)) - 12_500) <= 1


def test_peak_normalise_and_fade_edges():
    out = peak_normalise(np.array([0.1, -0.2, 0.05]), -6.0)
    assert np.isclose(np.max(np.abs(out)), 10 ** (-6 / 20))
    faded = fade_edges(np.ones(SR, np.float32), SR)
    assert faded[0] < 0.01 and faded[-1] < 0.01 and faded[SR // 2] == 1.0


@pytest.mark.parametrize("colour, slope", [("white", 0.0), ("pink", -1.0), ("brown", -2.0)])
def test_noise_colours_have_their_spectral_slope(colour, slope):
    noise = coloured_noise(colour, 4 * SR, np.random.default_rng(1))
    freqs, power = welch(noise, fs=SR, nperseg=8192)
    band = (freqs >= 50) & (freqs <= 5000)
    fitted = np.polyfit(np.log10(freqs[band]), np.log10(power[band]), 1)[0]
    assert abs(fitted - slope) < 0.2
    assert abs(np.sqrt(np.mean(noise**2)) - 1.0) < 1e-3
    assert np.array_equal(noise, coloured_noise(colour, 4 * SR, np.random.default_rng(1)))


def test_windows_are_non_overlapping_spread_and_capped():
    audio = np.arange(100, dtype=np.float32)
    assert [w[0] for w in windows(audio, 10, 20)] == list(range(0, 100, 10))
    picked = windows(audio, 10, 3)
    assert [w[0] for w in picked] == [0, 40, 90] and all(len(w) == 10 for w in picked)
    assert windows(audio[:9], 10, 3) == []


def test_loop_to_length_and_to_mono():
    assert loop_to_length(np.array([1, 2, 3], np.float32), 7).tolist() == [1, 2, 3, 1, 2, 3, 1]
    assert to_mono(np.array([[1.0, 0.0], [0.5, 0.5]])).tolist() == [0.5, 0.5]
