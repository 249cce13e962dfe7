"""Loading a trained trigger-word checkpoint and running it on waveforms."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.triggerword.lecture import TriggerWordModel
from models.triggerword.spec import LectureSpec
from synth.common.features import Features, FeatureSpec


@dataclass
class Detector:
    """A trained model with the feature front-end and facts it was trained with."""

    model: TriggerWordModel
    features: Features
    clip_samples: int
    ty: int
    meta: dict

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


class ModelFileError(ValueError):
    """A model file that is not a readable trigger-word checkpoint (the message names it)."""

    user_facing = True  # stages print it as one line (pipeline.common.io.run_stage)


def load_detector(path: str | Path, device: str = "cpu") -> Detector:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no trained model; run `dvc repro train` first")
    try:  # tensors and plain values only: a model file is never unpickled
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt, truncated or foreign files
        raise ModelFileError(f"{path}: not a trigger-word model ({type(exc).__name__})") from None
    if not isinstance(state, dict) or not {"model", "model_spec", "n_features", "features"} <= set(state):
        raise ModelFileError(f"{path}: not a trigger-word model of this version (retrain: dvc repro train)")
    model = TriggerWordModel(LectureSpec(**state["model_spec"]), int(state["n_features"]))
    model.load_state_dict(state["model"])
    features = Features(FeatureSpec(**state["features"]))
    model.to(device).eval()
    features.to(device).eval()
    return Detector(model, features, int(state["clip_samples"]), int(state["labels"]["ty"]), state)
