"""The frozen speech front-end: shapes, timing of the outputs, determinism on a known input."""

import hashlib

import numpy as np
import pytest

from models.triggerword.speech_embedding import (
    EMBEDDING_DIM,
    RATE,
    STEP_SAMPLES,
    FrontEndMissing,
    SpeechEmbedding,
    lead_samples,
    model_dir,
    output_steps,
    resample,
    sliding_graph,
)


@pytest.fixture(scope="module")
def front_end():
    return SpeechEmbedding(threads=1)


def tone(seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_one_second_gives_97_mel_frames_of_32_bands(front_end):
    mel = front_end.melspectrogram(tone(1.0)[None])
    assert mel.shape == (1, 97, 32) and mel.dtype == np.float32


def test_a_ten_second_clip_gives_one_head_output_per_80_ms(front_end):
    embeddings = front_end.embed(tone(10.0)[None], window=16)
    assert embeddings.shape == (1, 16 - 1 + 125, EMBEDDING_DIM)
    assert output_steps(10 * RATE) == 125


@pytest.mark.parametrize("window", [2, 16, 24])
def test_the_lead_makes_output_s_end_at_80_ms_times_s_plus_1(front_end, window):
    """Output s sees embedding s + window - 1, whose mel frames end exactly at 1280 (s + 1) clip samples."""
    samples = 3 * STEP_SAMPLES
    embeddings = front_end.embed(np.zeros((1, samples), np.float32), window)
    assert embeddings.shape[1] - window + 1 == 3
    last_embedding_end = 160 * (8 * (embeddings.shape[1] - 1) + 75) + 512  # samples of the led audio
    assert last_embedding_end - lead_samples(window) == samples


def test_embeddings_are_deterministic_on_a_known_input(front_end):
    clip = tone(2.0, 300.0) + tone(2.0, 1200.0)
    first, second = front_end.embed(clip[None], 16), SpeechEmbedding(threads=2).embed(clip[None], 16)
    assert np.array_equal(first, second)
    assert hashlib.sha256(first.tobytes()).hexdigest() == hashlib.sha256(second.tobytes()).hexdigest()
    assert np.isfinite(first).all() and first.std() > 0


def test_speech_like_sounds_differ_from_silence(front_end):
    quiet = front_end.embed(np.zeros((1, 2 * RATE), np.float32), 16)[0, -1]
    loud = front_end.embed((tone(2.0, 300.0) + tone(2.0, 2000.0))[None], 16)[0, -1]
    assert np.linalg.norm(quiet - loud) > 1.0


def test_resampling_to_16_khz_keeps_the_duration():
    assert resample(np.zeros((2, 441_000), np.float32), 44_100).shape == (2, 160_000)
    assert resample(np.zeros(8000, np.float32), 8000).shape == (16_000,)


def test_too_short_audio_is_refused(front_end):
    with pytest.raises(ValueError, match="shorter than one mel window"):
        front_end.melspectrogram(np.zeros((1, 100), np.float32))


def test_the_sliding_graph_equals_the_shipped_graph_window_by_window(front_end):
    """The cache and every committed number rest on this: one call over a clip's frames gives exactly
    the embeddings of its 76-frame windows one by one, also across max_windows chunks."""
    import onnxruntime as ort

    shipped = ort.InferenceSession(str(model_dir() / "embedding_model.onnx"), providers=["CPUExecutionProvider"])
    noise = np.random.default_rng(3).normal(0, 0.05, 3 * RATE).astype(np.float32)
    mel = front_end.melspectrogram((tone(3.0, 300.0) + noise)[None])
    starts = np.arange((mel.shape[1] - 76) // 8 + 1) * 8
    windows = mel[0, starts[:, None] + np.arange(76)][..., None]
    expected = shipped.run(None, {"input_1": np.ascontiguousarray(windows)})[0].reshape(len(starts), EMBEDDING_DIM)
    assert np.array_equal(front_end.embeddings_from_mel(mel)[0], expected)
    assert np.array_equal(front_end.embeddings_from_mel(mel, max_windows=7)[0], expected)


def test_a_graph_that_is_not_the_speech_embedding_is_named(tmp_path):
    with pytest.raises(FrontEndMissing, match="melspectrogram.onnx: not the speech_embedding graph"):
        sliding_graph(model_dir() / "melspectrogram.onnx")
