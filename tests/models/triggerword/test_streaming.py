"""The streaming runtime: chunk-size independent, equal to offline scoring, and the ONNX step agrees.

Tolerance: the embedding family's stream computes exactly what offline scoring computes (the same
ONNX calls on the same samples), so events are identical and scores equal within 1e-6; the exported
ONNX step matches within 1e-4.
"""

import numpy as np
import pytest
import torch

from models.triggerword.embedding_head import EmbeddingHead
from models.triggerword.events import detect, smooth
from models.triggerword.inference import EmbeddingDetector, LectureDetector
from models.triggerword.lecture import TriggerWordModel
from models.triggerword.onnx_export import OnnxStep, initial_state, streaming_step_model
from models.triggerword.speech_embedding import RATE, STEP_SAMPLES, SpeechEmbedding
from models.triggerword.streaming import open_stream
from synth.common.features import Features
from tests.helpers.specs import embedding_spec, feature_spec, lecture

RULES = {"evaluate": {"smoothing_seconds": 0.16, "refractory_seconds": 0.5}}


@pytest.fixture(scope="module")
def front_end():
    return SpeechEmbedding(threads=1)


@pytest.fixture(scope="module")
def embedding_detector(front_end):
    torch.manual_seed(0)
    head = EmbeddingHead(embedding_spec(hidden=16)).eval()
    return EmbeddingDetector(head, RATE, 10 * RATE, RULES, front_end)


def speechy(seconds: float, seed: int = 0) -> np.ndarray:
    """Bursts of harmonic sound and silence: enough variation for an untrained head to cross a threshold."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = (np.sin(2 * np.pi * 0.7 * t) > 0.3).astype(np.float32)
    tone = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate(rng.uniform(150, 3000, 6), 1))
    return (0.2 * envelope * tone + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def streamed(detector, audio: np.ndarray, chunk: int, threshold: float):
    stream = open_stream(detector, threshold)
    events = [e for start in range(0, len(audio), chunk) for e in stream.push(audio[start : start + chunk])]
    return events + stream.finish()


def offline_events(detector, probabilities: np.ndarray, threshold: float) -> list[float]:
    steps_per_second = detector.ty * detector.sample_rate / detector.clip_samples
    e = detector.meta["evaluate"]
    smoothed = smooth(probabilities, max(1, round(e["smoothing_seconds"] * steps_per_second)))
    hits = detect(smoothed, threshold, round(e["refractory_seconds"] * steps_per_second))
    return [(s + 1) / steps_per_second for s in hits]


def test_embedding_stream_gives_the_same_events_for_10_ms_and_1_s_chunks_as_offline(embedding_detector):
    audio = speechy(6.0)
    probabilities = embedding_detector.probabilities(audio[None])[0]
    threshold = float(np.quantile(smooth(probabilities, 2), 0.8))
    small = streamed(embedding_detector, audio, RATE // 100, threshold)
    large = streamed(embedding_detector, audio, RATE, threshold)
    assert small and [e.time for e in small] == [e.time for e in large]
    assert np.allclose([e.score for e in small], [e.score for e in large], atol=1e-6)
    assert [round(e.time, 6) for e in small] == [
        round(t, 6) for t in offline_events(embedding_detector, probabilities, threshold)
    ]


def test_the_exported_onnx_step_matches_pytorch_within_1e_4(embedding_detector, front_end):
    audio = speechy(3.0, seed=1)
    step = OnnxStep(streaming_step_model(embedding_detector.head).SerializeToString(), initial_state(16, front_end))
    scores = [step(audio[i : i + STEP_SAMPLES]) for i in range(0, len(audio) - STEP_SAMPLES + 1, STEP_SAMPLES)]
    expected = embedding_detector.probabilities(audio[None])[0]
    assert len(scores) == len(expected) == 37
    np.testing.assert_allclose(scores, expected, atol=1e-4)


def test_lecture_stream_is_chunk_size_independent():
    torch.manual_seed(0)
    features = Features(feature_spec(16_000)).eval()
    model = TriggerWordModel(lecture(conv_filters=8, gru_units=8, gru_layers=1), features.spec.n_features).eval()
    ty = model.spec.output_steps(features.spec.frames(64_000))
    detector = LectureDetector(model, features, 64_000, ty, RULES)
    audio = speechy(9.0, seed=2)
    offline = detector.probabilities(audio[None, :64_000])[0]
    threshold = float(np.quantile(offline, 0.7))
    small = streamed(detector, audio, 160, threshold)
    large = streamed(detector, audio, 16_000, threshold)
    assert small and [(e.time, e.score) for e in small] == [(e.time, e.score) for e in large]
