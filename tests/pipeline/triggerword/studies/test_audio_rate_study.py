"""The trigger-word sample-rate ladder: rate -> feature settings, the front end, the summary, end to end."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from models.triggerword.events import EventSpec, clips_correct
from models.triggerword.lecture import TriggerWordModel, macs
from pipeline.common.params import ParamsError, load_params
from synth.common.features import ResampledFeatures
from synth.triggerword.sample_rates import rate_features, resampled_length
from tests.helpers.project import REPO
from tests.helpers.specs import feature_spec, lecture

DEFAULT = dict(base_rate=44100, clip_samples=441_000, n_fft=200, hop_length=80)  # params.yaml: Tx 5511


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 32000, 44100])
def test_the_model_sees_the_same_frames_at_every_rate(rate):
    s = rate_features(rate, **DEFAULT)
    assert s.target_frames == 5511
    assert s.samples == rate * 10
    assert s.n_fft == round(200 * rate / 44100) and s.hop_length == round(80 * rate / 44100)  # same seconds
    assert abs(s.frames - 5511) / 5511 < 0.05  # the resize to Tx is a small stretch, not a crop
    assert s.n_features == s.n_fft // 2 + 1 and s.feature_values == s.n_features * 5511


def test_exact_ratios_need_no_resize_and_the_base_rate_is_unchanged():
    assert not rate_features(22050, **DEFAULT).resized
    base = rate_features(44100, **DEFAULT)
    assert (base.n_fft, base.hop_length, base.frames, base.n_features, base.freq_mask) == (200, 80, 5511, 101, 12)
    small = rate_features(8000, base_rate=16000, clip_samples=64_000, n_fft=200, hop_length=80)  # cpu-small
    assert (small.n_fft, small.hop_length, small.frames, small.resized) == (100, 40, 798, False)
    assert rate_features(8000, **DEFAULT).resized


def test_logmel_keeps_its_mel_count_and_the_freq_mask_keeps_its_share():
    s = rate_features(16000, **DEFAULT, kind="logmel", n_mels=24)
    assert s.n_features == 24 and s.freq_mask == 12
    assert rate_features(16000, **DEFAULT).freq_mask == round(12 * 37 / 101)


@pytest.mark.parametrize(
    "rate, kwargs, fragment",
    [
        (48000, {}, r"above the data's 44100 Hz \(audio.sample_rate\)"),
        (2000, {}, "too low for features.n_fft"),
        (8000, {"kind": "logmel", "n_mels": 40}, "features.n_mels = 40 is more than the 19 FFT bands"),
        (8000, {"kind": "mfcc"}, "features.kind"),
        (0, {}, "not a positive integer"),
        (16000.0, {}, "not a positive integer"),
    ],
)
def test_unusable_rates_are_clear_errors(rate, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        rate_features(rate, **DEFAULT, **kwargs)


@pytest.mark.parametrize("samples", [16_000, 16_001, 12_345])
def test_resampled_length_is_torchaudios(samples):
    import torchaudio.functional as F

    for rate in (8000, 11025, 12000):
        assert F.resample(torch.zeros(1, samples), 16000, rate).shape[-1] == resampled_length(samples, 16000, rate)


def test_the_front_end_gives_one_shape_in_time_and_the_model_the_same_output_steps():
    torch.manual_seed(0)
    audio = torch.randn(2, 32_000) * 0.1  # 2 s at 16 kHz: 398 frames -> 96 output steps
    for rate in (8000, 11025, 12000, 16000):
        settings = rate_features(rate, 16000, 32_000, 200, 80)
        front = ResampledFeatures(settings, 16000, "spectrogram", 40, spec_augment=True).eval()
        x = front(audio)
        assert x.shape == (2, settings.n_features, 398)
        model = TriggerWordModel(lecture(conv_filters=8, gru_units=8, gru_layers=1), settings.n_features)
        assert model(x).shape == (2, 96)
    # At the base rate the front end is the train stage's: no resampling, no resize.
    from synth.common.features import Features

    same = ResampledFeatures(rate_features(16000, 16000, 32_000, 200, 80), 16000, "spectrogram", 40, False).eval()
    assert torch.allclose(same(audio), Features(feature_spec(16000)).eval()(audio))


def test_bands_keep_their_hz_and_low_rates_lose_the_high_band():
    t = torch.arange(32_000) / 16000
    features = {
        rate: ResampledFeatures(rate_features(rate, 16000, 32_000, 200, 80), 16000, "spectrogram", 40, False).eval()
        for rate in (8000, 16000)
    }
    tone = torch.sin(2 * np.pi * 2000 * t)[None]  # 2 kHz: band 25 of 80 Hz at both rates
    for rate, front in features.items():
        assert front(tone).mean(-1).argmax().item() == 25, rate
    high = torch.sin(2 * np.pi * 6000 * t)[None]  # 6 kHz: above 8 kHz audio's Nyquist (4 kHz)
    assert features[16000](high).max() - features[8000](high).max() > 50  # dB: filtered out by the resampler


def test_macs_grow_with_the_bands():
    small, big = macs(lecture(), 19, 5511), macs(lecture(), 101, 5511)
    assert 0 < small < big
    assert big - small == 1375 * 196 * (101 - 19) * 15  # only the conv sees the bands


def test_a_clip_is_right_only_with_every_positive_and_no_false_accept():
    spec = EventSpec(smoothing_steps=1, refractory_steps=20, match_steps=10)
    probs = np.zeros((4, 200), np.float32)
    probs[0, 52:60] = 0.9  # hit
    probs[1, 52:60] = 0.9
    probs[1, 150:155] = 0.9  # hit + false accept
    probs[3, 100:105] = 0.9  # no positive, but fires
    ends = [np.array([50]), np.array([50]), np.array([], np.int64), np.array([], np.int64)]
    assert clips_correct(probs, ends, 0.5, spec).tolist() == [True, False, True, False]


def _params_file(tmp_path, edit) -> Path:
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    edit(raw)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (
            lambda p: p["studies"]["audio_rate"].update(rates=[8000, 48000]),
            r"studies.audio_rate.rates: 48000 Hz is above "
            r"audio.sample_rate = 44100",
        ),
        (lambda p: p["studies"]["audio_rate"].update(rates=[1000]), "studies.audio_rate.rates: 1000 Hz is too low"),
        (lambda p: p["studies"]["audio_rate"].update(rates=[8000, 8000]), "studies.audio_rate.rates.*repeats"),
        (lambda p: p["studies"]["audio_rate"].update(epochs=0), "studies.audio_rate.epochs"),
        (lambda p: p["studies"]["audio_rate"].update(epsilon=1.5), "studies.audio_rate.epsilon"),
        (lambda p: p["studies"]["audio_rate"].update(steps=3), "unknown key"),
        (lambda p: p["audio"].update(sample_rate=16000), "studies.audio_rate.rates: 22050 Hz is above"),
    ],
)
def test_bad_study_params_name_the_param(tmp_path, edit, fragment):
    with pytest.raises(ParamsError, match=fragment):
        load_params(_params_file(tmp_path, edit))


def test_params_without_the_study_name_the_missing_section(tmp_path):
    with pytest.raises(ParamsError, match="studies: missing"):
        load_params(_params_file(tmp_path, lambda p: p.pop("studies")))


def test_summary_recommends_the_lowest_rate_within_epsilon(tmp_path, monkeypatch):
    from pipeline.triggerword.studies import audio_rate_study as study

    monkeypatch.chdir(tmp_path)
    params = load_params(REPO / "params.yaml")
    for rate, correct in ((8000, 120), (16000, 141), (22050, 144), (44100, 145)):
        s = rate_features(rate, **DEFAULT)
        row = {
            "sample_rate": rate,
            "accuracy": correct / 160,
            "correct": correct,
            "clips": 160,
            "ci_low": 0.0,
            "ci_high": 1.0,
            "threshold": 0.5,
            "misses": 1,
            "false_accepts": 1,
            "positives": 200,
            "never_fires_accuracy": 0.2,
            "learned": True,
            "train_seconds": rate / 1000,
            "seconds": 1.0,
            "macs": macs(lecture(), s.n_features, 5511),
            "feature_values": s.feature_values,
            "n_features": s.n_features,
        }
        (tmp_path / "reports/audio_rate/rate").mkdir(parents=True, exist_ok=True)
        (tmp_path / f"reports/audio_rate/rate/{rate}.json").write_text(json.dumps(row))
    out = study.summary(params)
    assert out["recommended_sample_rate"] == 22050 and out["best_sample_rate"] == 44100  # 141/160 is 2.5 points off
    assert out["macs_saving"] > 1.0 and out["learned_at_every_rate"]
    assert json.loads((tmp_path / "reports/metrics/audio_rate_study.json").read_text()) == out
    assert (tmp_path / "reports/audio_rate/rate.tsv").read_text().splitlines()[0].startswith("sample_rate\taccuracy")
    os.remove(tmp_path / "reports/audio_rate/rate/8000.json")
    with pytest.raises(Exception, match="8000.json: missing"):
        study.summary(params)


def test_the_ladder_runs_with_the_studies_and_not_in_a_plain_repro(small_project, studies_project):
    summary = "reports/metrics/audio_rate_study.json"  # a plain `dvc repro` leaves the committed figures alone
    assert (small_project / summary).read_text() == (REPO / summary).read_text()
    root = studies_project
    out = json.loads((root / "reports/metrics/audio_rate_study.json").read_text())
    rates = yaml.safe_load((root / "params.yaml").read_text())["studies"]["audio_rate"]["rates"]
    assert set(out["rates"]) == {str(r) for r in rates} == {"8000", "16000"}
    assert out["recommended_sample_rate"] in rates and out["best_sample_rate"] in rates
    for rate, row in out["rates"].items():
        assert row["clips"] == 40 and 0 <= row["ci_low"] <= row["accuracy"] <= row["ci_high"] <= 1
        assert row["train_seconds"] > 0 and row["macs"] > 0
        rung = json.loads((root / f"reports/audio_rate/rate/{rate}.json").read_text())
        assert rung["model_frames"] == 798 and rung["frames"] == 798  # cpu-small: exact ratios, Ty 196 everywhere
    assert out["rates"]["8000"]["n_features"] < out["rates"]["16000"]["n_features"]
    assert (root / "reports/audio_rate/rate.tsv").is_file()
