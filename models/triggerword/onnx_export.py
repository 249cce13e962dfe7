"""ONNX exports of the embedding family: its head alone (openWakeWord's custom-model form) and one
self-contained streaming step (80 ms of 16 kHz audio + state in -> score + state out).

The step graph joins three graphs with a little glue: openwakeword's melspectrogram.onnx and
embedding_model.onnx (opset 13) and the trained head (exported at opset 13 too):

    audio_state [1, 352] ++ audio [1, 1280] (float, [-1, 1]) -> 8 mel frames (x / 10 + 2)
    mel_state [1, 68, 32] ++ those -> 76 frames -> 1 embedding
    embedding_state [1, window - 1, 96] ++ it -> head -> score [1, 1]
    the last 352 samples, 68 frames and window - 1 embeddings are the next state.

The state at the start of a stream is that of `lead_samples(window)` zeros, exactly as offline scoring
leads every clip (`initial_state`).
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import torch

from models.triggerword.embedding_head import EmbeddingHead, WindowScorer
from models.triggerword.speech_embedding import (
    EMBEDDING_DIM,
    EMBEDDING_FRAMES,
    EMBEDDING_STEP,
    MEL_HOP,
    MEL_TRANSFORM,
    MEL_WINDOW,
    PCM_FULL_SCALE,
    STEP_SAMPLES,
    SpeechEmbedding,
    model_dir,
)

OPSET = 13  # the front-end graphs' opset
AUDIO_STATE = MEL_WINDOW - MEL_HOP  # 352 samples carried into the next step's first mel frame
MEL_STATE = EMBEDDING_FRAMES - EMBEDDING_STEP  # 68 frames carried into the next embedding


def head_model(head: EmbeddingHead):
    """[1, window, 96] embeddings -> [1, 1] probability, static shapes (openWakeWord reads them)."""
    import onnx

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            WindowScorer(head).eval(),
            (torch.zeros(1, head.spec.window, EMBEDDING_DIM),),
            buffer,
            opset_version=OPSET,
            dynamo=False,
            input_names=["embeddings"],
            output_names=["score"],
        )
    return onnx.load_from_string(buffer.getvalue())


def initial_state(window: int, front_end: SpeechEmbedding | None = None) -> dict[str, np.ndarray]:
    """The step's state after the lead of zeros: what offline scoring has seen before a clip starts."""
    front_end = front_end or SpeechEmbedding(threads=1)
    lead = front_end.lead_mels(window)
    embeddings = front_end.embeddings_from_mel(lead[None])
    return {
        "audio_state": np.zeros((1, AUDIO_STATE), np.float32),
        "mel_state": np.ascontiguousarray(lead[None, embeddings.shape[1] * EMBEDDING_STEP :]),
        "embedding_state": embeddings,
    }


def streaming_step_model(head: EmbeddingHead):
    """One ONNX graph for one 80 ms step of the whole detector (front-end and head)."""
    import onnx
    from onnx import TensorProto, compose, helper, numpy_helper

    window = head.spec.window
    parts = {
        "mel/": onnx.load(str(model_dir() / "melspectrogram.onnx")),
        "emb/": onnx.load(str(model_dir() / "embedding_model.onnx")),
        "head/": head_model(head),
    }
    parts = {prefix: compose.add_prefix(model, prefix) for prefix, model in parts.items()}
    mel, emb, head_graph = (parts[p].graph for p in ("mel/", "emb/", "head/"))

    def const(name: str, values, dtype=np.int64):
        return numpy_helper.from_array(np.asarray(values, dtype), name)

    scale, shift = MEL_TRANSFORM
    glue_constants = [
        const("c/mel_shape", [1, EMBEDDING_STEP, 32]),
        const("c/emb_in_shape", [1, EMBEDDING_FRAMES, 32, 1]),
        const("c/emb_shape", [1, 1, EMBEDDING_DIM]),
        const("c/pcm", PCM_FULL_SCALE, np.float32),
        const("c/scale", scale, np.float32),
        const("c/shift", shift, np.float32),
        const("c/axis1", [1]),
        const("c/big", [np.iinfo(np.int64).max]),
        const("c/audio_keep", [STEP_SAMPLES]),
        const("c/mel_keep", [EMBEDDING_STEP]),
        const("c/one", [1]),
    ]
    node = helper.make_node
    glue_in = [
        node("Concat", ["audio_state", "audio"], ["x"], axis=1),
        node("Mul", ["x", "c/pcm"], [mel.input[0].name]),  # float audio in [-1, 1] -> int16 values
    ]
    glue_mid = [
        node("Reshape", [mel.output[0].name, "c/mel_shape"], ["mel_raw"]),
        node("Mul", ["mel_raw", "c/scale"], ["mel_scaled"]),
        node("Add", ["mel_scaled", "c/shift"], ["mel_new"]),
        node("Concat", ["mel_state", "mel_new"], ["mel_all"], axis=1),
        node("Reshape", ["mel_all", "c/emb_in_shape"], [emb.input[0].name]),
    ]
    glue_after_emb = [
        node("Reshape", [emb.output[0].name, "c/emb_shape"], ["emb_new"]),
        node("Concat", ["embedding_state", "emb_new"], ["emb_all"], axis=1),
        node("Identity", ["emb_all"], [head_graph.input[0].name]),
    ]
    glue_out = [
        node("Identity", [head_graph.output[0].name], ["score"]),
        node("Slice", ["x", "c/audio_keep", "c/big", "c/axis1"], ["next_audio_state"]),
        node("Slice", ["mel_all", "c/mel_keep", "c/big", "c/axis1"], ["next_mel_state"]),
        node("Slice", ["emb_all", "c/one", "c/big", "c/axis1"], ["next_embedding_state"]),
    ]
    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        glue_in + list(mel.node) + glue_mid + list(emb.node) + glue_after_emb + list(head_graph.node) + glue_out,
        "datasynth_streaming_step",
        [
            helper.make_tensor_value_info("audio", f32, [1, STEP_SAMPLES]),
            helper.make_tensor_value_info("audio_state", f32, [1, AUDIO_STATE]),
            helper.make_tensor_value_info("mel_state", f32, [1, MEL_STATE, 32]),
            helper.make_tensor_value_info("embedding_state", f32, [1, window - 1, EMBEDDING_DIM]),
        ],
        [
            helper.make_tensor_value_info("score", f32, [1, 1]),
            helper.make_tensor_value_info("next_audio_state", f32, [1, AUDIO_STATE]),
            helper.make_tensor_value_info("next_mel_state", f32, [1, MEL_STATE, 32]),
            helper.make_tensor_value_info("next_embedding_state", f32, [1, window - 1, EMBEDDING_DIM]),
        ],
        initializer=[*mel.initializer, *emb.initializer, *head_graph.initializer, *glue_constants],
    )
    opsets = {o.domain: o.version for p in parts.values() for o in p.opset_import}
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid(d, v) for d, v in sorted(opsets.items())], ir_version=7
    )
    onnx.checker.check_model(model)
    return model


class OnnxStep:
    """Runs an exported step model on onnxruntime, one 80 ms chunk at a time (scores in order)."""

    def __init__(self, model_bytes: bytes, state: dict[str, np.ndarray]):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
        self.state = {k: np.asarray(v, np.float32) for k, v in state.items()}

    def __call__(self, chunk: np.ndarray) -> float:
        score, audio, mel, emb = self.session.run(None, {"audio": np.asarray(chunk, np.float32)[None], **self.state})
        self.state = {"audio_state": audio, "mel_state": mel, "embedding_state": emb}
        return float(score[0, 0])
