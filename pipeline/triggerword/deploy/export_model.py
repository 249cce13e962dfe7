"""Export the trained detector for deployment (embedding family).

    datasynth export-model --format onnx [--out exports/model]          # the whole detector, one 80 ms step
    datasynth export-model --format openwakeword [--out exports/oww]    # the head, as an openWakeWord model

onnx: <word>.onnx takes 1 280 samples of 16 kHz float audio ([-1, 1]) and the state, and returns the
score and the next state (models/triggerword/onnx_export.py); <word>.json is its sidecar: rate, chunk,
state shapes and the initial state, the threshold chosen on dev, smoothing and refractory steps, and
the hashes of the model and of the recipes it was trained on.
openwakeword: <word>.onnx maps [1, 16, 96] speech embeddings to a score, the custom-model form that
openWakeWord (and Home Assistant through it) loads with `Model(wakeword_models=[path],
inference_framework="onnx")`; <word>.json holds the same facts.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from models.triggerword.inference import EmbeddingDetector, load_detector
from models.triggerword.onnx_export import AUDIO_STATE, MEL_STATE, head_model, initial_state, streaming_step_model
from models.triggerword.speech_embedding import EMBEDDING_DIM, RATE, STEP_SAMPLES
from pipeline.common.catalog import file_sha256
from pipeline.common.io import DataError, atomic_file
from pipeline.triggerword.deploy.detect import MODEL, default_threshold

RECIPES = Path("data/synth/recipes.parquet")


def sidecar(detector: EmbeddingDetector, model_path: Path, fmt: str) -> dict:
    e, window = detector.meta.get("evaluate") or {}, detector.head.spec.window
    steps_per_second = RATE / STEP_SAMPLES
    facts = {
        "format": fmt,
        "word": detector.meta.get("positive_word", ""),
        "sample_rate": RATE,
        "threshold": default_threshold(),
        "smoothing_steps": max(1, int(round(e.get("smoothing_seconds", 0.0) * steps_per_second))),
        "refractory_steps": int(round(e.get("refractory_seconds", 1.0) * steps_per_second)),
        "step_seconds": STEP_SAMPLES / RATE,
        "model_sha256": file_sha256(model_path),
        "training_recipes_sha256": file_sha256(RECIPES) if RECIPES.exists() else None,
    }
    if fmt == "onnx":
        state = initial_state(window)
        facts |= {
            "chunk_samples": STEP_SAMPLES,
            "inputs": {"audio": [1, STEP_SAMPLES], "audio_state": [1, AUDIO_STATE], "mel_state": [1, MEL_STATE, 32]}
            | {"embedding_state": [1, window - 1, EMBEDDING_DIM]},
            "outputs": ["score", "next_audio_state", "next_mel_state", "next_embedding_state"],
            "initial_state": {k: np.round(v, 6).tolist() for k, v in state.items()},
        }
    else:
        facts |= {"input": [1, window, EMBEDDING_DIM], "front_end": "openwakeword 0.5.1 melspectrogram + embedding"}
    return facts


def export(model_path: Path, fmt: str, out: Path) -> Path:
    detector = load_detector(model_path)
    if not isinstance(detector, EmbeddingDetector):
        raise DataError(f"{model_path}: a {detector.family}-family model; exports are for model.family: embedding")
    onnx_model = streaming_step_model(detector.head) if fmt == "onnx" else head_model(detector.head)
    name = detector.meta.get("positive_word", "trigger_word").replace(" ", "_")
    path = out / f"{name}.onnx"
    with atomic_file(path) as handle:
        handle.write(onnx_model.SerializeToString())
    with atomic_file(out / f"{name}.json", "w") as handle:
        json.dump(sidecar(detector, model_path, fmt), handle, indent=1)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Export the trained detector (embedding family) for deployment.")
    parser.add_argument("--format", choices=["onnx", "openwakeword"], required=True)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--out", type=Path, help="output folder (default exports/<format>)")
    args = parser.parse_args(argv)
    path = export(args.model, args.format, args.out or Path("exports") / args.format)
    print(f"wrote {path} and {path.with_suffix('.json')}")


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "export-model")
