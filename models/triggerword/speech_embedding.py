"""The frozen speech front-end of the embedding family: Google's speech_embedding as ONNX.

openWakeWord 0.5.1 ships it as two graphs (openwakeword/resources/models/): melspectrogram.onnx
(16 kHz PCM -> 32 mel bands per 10 ms, 512-sample window) and embedding_model.onnx (76 mel frames
-> one 96-d embedding, taken every 8 frames = 80 ms). The model was pretrained by Google on real
speech (Apache-2.0, see NOTICE); datasynth never trains it, only the small head on top.

`embed(audio)` lets output step s of a head over `window` embeddings end exactly at 80 ms * (s + 1)
of the clip: the audio is led by `lead_samples(window)` zeros, so a 10 s clip gives 125 steps.

The embedding graph runs as a sliding window (`sliding_graph`): one call over a clip's mel frames gives
all its embeddings, equal bit for bit to the graph's own 76-frame windows and ~4x faster.

The mel graph clamps its output at 80 dB below the loudest frame of each call (over the whole batch),
so its frames depend on what is computed together. datasynth therefore always computes them the way a
stream must: 8 frames per 80 ms step, from that step's 1 280 samples plus the 352 before them, one call
per step (`step_mels`). Offline scoring, the streaming runtime and the exported ONNX step agree exactly.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import numpy as np

RATE = 16000  # Hz: the front-end's only rate
MEL_HOP = 160  # samples per mel frame (10 ms)
MEL_WINDOW = 512  # samples seen by one mel frame
EMBEDDING_FRAMES = 76  # mel frames per embedding
EMBEDDING_STEP = 8  # mel frames between embeddings (80 ms)
EMBEDDING_DIM = 96
STEP_SAMPLES = MEL_HOP * EMBEDDING_STEP  # 1280 samples = 80 ms per output step
PCM_FULL_SCALE = 32767.0  # the graphs expect int16 sample values as float32
MEL_TRANSFORM = (0.1, 2.0)  # openWakeWord's x/10 + 2: brings the ONNX mels near TF's speech_embedding
STEP_INPUT = MEL_WINDOW - MEL_HOP + STEP_SAMPLES  # 1 632 samples give one step's 8 mel frames


class FrontEndMissing(RuntimeError):
    """openwakeword 0.5.1 (for its ONNX files) or onnxruntime is not installed."""

    user_facing = True


def model_dir() -> Path:
    """openwakeword's resources/models folder, found without importing openwakeword (it needs tflite)."""
    try:
        spec = importlib.util.find_spec("openwakeword")
    except ValueError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise FrontEndMissing(
            "the embedding family needs openwakeword 0.5.1's ONNX front-end: "
            "pip install --no-deps openwakeword==0.5.1 onnxruntime (./setup.sh does this)"
        )
    root = Path(next(iter(spec.submodule_search_locations))) / "resources" / "models"
    for name in ("melspectrogram.onnx", "embedding_model.onnx"):
        if not (root / name).is_file():
            raise FrontEndMissing(f"{root / name}: missing; openwakeword 0.5.1 ships it (0.6 does not)")
    return root


def sliding_graph(path: Path) -> bytes:
    """embedding_model.onnx over any number of mel frames: (n, frames, 32, 1) -> (n, windows, 1, 96).

    The graph's time axis meets only unpadded convolutions and three 2x2 max-pools, so it already is a
    window sliding by 8 frames. Its first Reshape (n, 76, 32, 1) -> (n, 1, 76, 32) and last one
    (n, 96, 1, 1) -> (n, 1, 1, 96) become transposes, which are the same for 76 frames and keep the time
    axis otherwise. One call then computes each frame's convolutions once, not once per window that
    overlaps it (~9), with the same arithmetic per output (tests: equal bit for bit)."""
    import onnx
    from onnx import helper

    model = onnx.load(str(path))
    graph = model.graph
    reshapes = [node for node in graph.node if node.op_type == "Reshape"]
    if len(reshapes) != 2 or reshapes[0].input[0] != graph.input[0].name:
        raise FrontEndMissing(f"{path}: not the speech_embedding graph openwakeword 0.5.1 ships (its reshapes)")
    perms = {reshapes[0].name: [0, 3, 1, 2], reshapes[1].name: [0, 2, 3, 1]}
    nodes = [
        helper.make_node("Transpose", [n.input[0]], list(n.output), name=n.name, perm=perms[n.name])
        if n.name in perms
        else n
        for n in graph.node
    ]
    unused = {n.input[1] for n in reshapes}
    kept = [init for init in graph.initializer if init.name not in unused]
    del graph.node[:], graph.initializer[:]
    graph.node.extend(nodes)
    graph.initializer.extend(kept)
    graph.input[0].type.tensor_type.shape.dim[1].dim_param = "frames"
    graph.output[0].type.tensor_type.shape.dim[1].dim_param = "windows"
    return model.SerializeToString()


def lead_samples(window: int) -> int:
    """Zeros put before a clip so that head output step s ends at sample STEP_SAMPLES * (s + 1).

    Embedding k sees mel frames 8k..8k+75, i.e. audio up to 1280 k + 12 512 samples; a head over
    `window` embeddings first outputs at k = window - 1."""
    return STEP_SAMPLES * (window - 1) + MEL_HOP * (EMBEDDING_FRAMES - 1) + MEL_WINDOW - STEP_SAMPLES


def output_steps(samples: int) -> int:
    """Head outputs for a clip of `samples` at 16 kHz (after the lead): one per whole 80 ms."""
    return samples // STEP_SAMPLES


class SpeechEmbedding:
    """The two ONNX graphs on onnxruntime (CPU by default). Deterministic for a given input."""

    def __init__(self, threads: int = 1, providers: tuple[str, ...] = ("CPUExecutionProvider",)):
        import onnxruntime as ort

        root = model_dir()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.mel = ort.InferenceSession(str(root / "melspectrogram.onnx"), options, providers=list(providers))
        graph = sliding_graph(root / "embedding_model.onnx")
        self.embedding = ort.InferenceSession(graph, options, providers=list(providers))

    def melspectrogram(self, audio: np.ndarray) -> np.ndarray:
        """(n, samples) float audio in [-1, 1] at 16 kHz -> (n, frames, 32) transformed mel bands."""
        audio = np.atleast_2d(np.asarray(audio, np.float32))
        if audio.shape[1] < MEL_WINDOW:
            raise ValueError(f"audio of {audio.shape[1]} samples is shorter than one mel window ({MEL_WINDOW})")
        mel = self.mel.run(None, {"input": audio * np.float32(PCM_FULL_SCALE)})[0]  # (n, 1, frames, 32)
        scale, shift = MEL_TRANSFORM
        return (mel[:, 0] * np.float32(scale) + np.float32(shift)).astype(np.float32)

    def embeddings_from_mel(self, mel: np.ndarray, max_windows: int = 1024) -> np.ndarray:
        """(n, frames, 32) -> (n, (frames - 76) // 8 + 1, 96) embeddings, at most `max_windows` per ONNX call
        (a long recording's activations would not fit in memory at once; a 10 s clip goes in one call)."""
        n, frames, bands = mel.shape
        count = (frames - EMBEDDING_FRAMES) // EMBEDDING_STEP + 1
        if count < 1:
            return np.zeros((n, 0, EMBEDDING_DIM), np.float32)
        out = np.empty((n, count, EMBEDDING_DIM), np.float32)
        for first in range(0, count, max_windows):
            last = min(count, first + max_windows)
            frames_in = mel[:, first * EMBEDDING_STEP : (last - 1) * EMBEDDING_STEP + EMBEDDING_FRAMES, :, None]
            out[:, first:last] = self.embedding.run(None, {"input_1": np.ascontiguousarray(frames_in)})[0][:, :, 0]
        return out

    def lead_mels(self, window: int) -> np.ndarray:
        """(frames, 32) mel frames of the lead of zeros: all equal (silence)."""
        frames = (lead_samples(window) - MEL_WINDOW) // MEL_HOP + 1
        return np.repeat(self.melspectrogram(np.zeros((1, MEL_WINDOW), np.float32))[0], frames, axis=0)

    def step_mels(self, audio: np.ndarray) -> np.ndarray:
        """(samples,) 16 kHz audio after a lead -> (8 * (samples // 1280), 32): each step's frames from its
        own 1 632 samples (the lead's last 352 samples are zeros)."""
        steps = output_steps(len(audio))
        padded = np.concatenate([np.zeros(STEP_INPUT - STEP_SAMPLES, np.float32), np.asarray(audio, np.float32)])
        parts = [
            self.melspectrogram(padded[None, k * STEP_SAMPLES : k * STEP_SAMPLES + STEP_INPUT])[0] for k in range(steps)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, 32), np.float32)

    def embed(self, audio: np.ndarray, window: int) -> np.ndarray:
        """(n, samples) 16 kHz clips -> (n, window - 1 + samples // 1280, 96): led by zeros so a head
        over `window` embeddings gives one output per whole 80 ms of the clip (`output_steps`)."""
        audio = np.atleast_2d(np.asarray(audio, np.float32))
        lead = self.lead_mels(window)
        mels = np.stack([np.concatenate([lead, self.step_mels(clip)]) for clip in audio])
        return self.embeddings_from_mel(mels)


def resample(audio: np.ndarray, rate: int) -> np.ndarray:
    """(..., samples) float audio at `rate` -> the front-end's 16 kHz, each clip through the project's one
    resampler (soxr, `synth.common.audio.resample`), so training, detection and the audit hear the same audio."""
    from synth.common.audio import resample as resample_clip

    audio = np.asarray(audio, np.float32)
    if rate == RATE:
        return audio
    flat = audio.reshape(-1, audio.shape[-1])
    out = np.stack([resample_clip(clip, rate, RATE) for clip in flat]) if len(flat) else np.zeros((0, 0), np.float32)
    return out.reshape(*audio.shape[:-1], out.shape[-1])
