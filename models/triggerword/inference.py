"""Loading a trained trigger-word checkpoint (either family) and running it on waveforms.

Both detectors answer the same questions: `probabilities(waveforms)` at the pipeline rate ->
(n, ty) per-step probabilities, where step s of a clip ends at (s + 1) * clip_seconds / ty.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.triggerword.embedding_head import EmbeddingHead
from models.triggerword.lecture import TriggerWordModel
from models.triggerword.spec import EmbeddingSpec, LectureSpec
from models.triggerword.speech_embedding import RATE, SpeechEmbedding, output_steps, resample
from synth.common.features import Features, FeatureSpec

REQUIRED = {
    "lecture": {"model", "model_spec", "n_features", "features", "labels", "clip_samples"},
    "embedding": {"model", "model_spec", "sample_rate", "clip_samples"},
}


@dataclass
class LectureDetector:
    """The lecture's network with the spectrogram front-end and facts it was trained with."""

    model: TriggerWordModel
    features: Features
    clip_samples: int
    ty: int
    meta: dict
    family = "lecture"

    @property
    def sample_rate(self) -> int:
        return self.features.spec.sample_rate

    @torch.no_grad()
    def probabilities(self, waveforms: np.ndarray | torch.Tensor, batch_size: int = 16) -> np.ndarray:
        """(n, clip_samples) waveforms -> (n, ty) per-step probabilities."""
        device = next(self.model.parameters()).device
        out = []
        for start in range(0, len(waveforms), batch_size):
            batch = torch.as_tensor(waveforms[start : start + batch_size], dtype=torch.float32, device=device)
            out.append(torch.sigmoid(self.model(self.features(batch)).float()).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.ty), np.float32)


@dataclass
class EmbeddingDetector:
    """The frozen speech front-end (ONNX) and the trained head; one output per 80 ms."""

    head: EmbeddingHead
    sample_rate: int
    clip_samples: int
    meta: dict
    front_end: SpeechEmbedding | None = None
    family = "embedding"

    @property
    def ty(self) -> int:
        return output_steps(int(round(self.clip_samples * RATE / self.sample_rate)))

    @torch.no_grad()
    def from_embeddings(self, embeddings: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """(n, T, 96) embeddings -> (n, T - window + 1) probabilities."""
        device = next(self.head.parameters()).device
        out = []
        for start in range(0, len(embeddings), batch_size):
            batch = torch.as_tensor(np.asarray(embeddings[start : start + batch_size], np.float32), device=device)
            out.append(torch.sigmoid(self.head(batch)).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.ty), np.float32)

    def embed(self, waveforms: np.ndarray, batch_size: int = 8) -> np.ndarray:
        if self.front_end is None:
            self.front_end = SpeechEmbedding(threads=torch.get_num_threads())
        audio = resample(np.asarray(waveforms, np.float32), self.sample_rate)
        parts = [
            self.front_end.embed(audio[i : i + batch_size], self.head.spec.window)
            for i in range(0, len(audio), batch_size)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, 0, 96), np.float32)

    def probabilities(self, waveforms: np.ndarray | torch.Tensor, batch_size: int = 8) -> np.ndarray:
        """(n, clip_samples) waveforms at `sample_rate` -> (n, ty) per-step probabilities."""
        return self.from_embeddings(self.embed(np.asarray(waveforms), batch_size))


Detector = LectureDetector | EmbeddingDetector


class ModelFileError(ValueError):
    """A model file that is not a readable trigger-word checkpoint (the message names it)."""

    user_facing = True  # stages print it as one line (pipeline.common.io.run_stage)


def read_checkpoint(path: str | Path, device: str = "cpu") -> dict:
    """The checkpoint's tensors and plain values; a model file is never unpickled."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no trained model; run `dvc repro train` first")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt, truncated or foreign files
        raise ModelFileError(f"{path}: not a trigger-word model ({type(exc).__name__})") from None
    family = state.get("family", "lecture") if isinstance(state, dict) else None
    if family not in REQUIRED or not REQUIRED[family] <= set(state):
        raise ModelFileError(f"{path}: not a trigger-word model of this version (retrain: dvc repro train)")
    return state


def load_detector(path: str | Path, device: str = "cpu") -> Detector:
    state = read_checkpoint(path, device)
    try:
        if state.get("family", "lecture") == "embedding":
            head = EmbeddingHead(EmbeddingSpec(**state["model_spec"]))
            head.load_state_dict(state["model"])
            return EmbeddingDetector(
                head.to(device).eval(), int(state["sample_rate"]), int(state["clip_samples"]), state
            )
        model = TriggerWordModel(LectureSpec(**state["model_spec"]), int(state["n_features"]))
        model.load_state_dict(state["model"])
        features = Features(FeatureSpec(**state["features"]))
    except (RuntimeError, TypeError, ValueError) as exc:  # shapes or settings that do not fit the family
        raise ModelFileError(f"{path}: weights do not fit its own settings ({type(exc).__name__})") from None
    model.to(device).eval()
    features.to(device).eval()
    return LectureDetector(model, features, int(state["clip_samples"]), int(state["labels"]["ty"]), state)
