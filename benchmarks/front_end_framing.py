"""Mel framing of the speech front-end: per 80 ms step (datasynth, streaming) vs over a whole clip
(openWakeWord's `AudioFeatures.embed_clips` in training), side by side on the pipeline's own clips.

    python benchmarks/front_end_framing.py [--clips 48] [--part test]

The mel graph clamps each call at 80 dB below its loudest frame, so the two framings can differ. Prints,
on the first clips of a split (needs `dvc repro synthesise`), the time per clip of each framing and how far
the embeddings are apart: mean |difference| against the embeddings' own spread, the largest difference,
and the correlation. A difference far below the spread means the framing cannot be what generalises.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.triggerword.speech_embedding import (  # noqa: E402
    STEP_INPUT,
    STEP_SAMPLES,
    SpeechEmbedding,
    lead_samples,
    resample,
)
from pipeline.common.catalog import load_bank  # noqa: E402
from pipeline.common.params import load_params  # noqa: E402
from pipeline.triggerword.datasets import read_recipes, renderer  # noqa: E402
from synth.common.splits import SPLITS  # noqa: E402


def whole_clip(front_end: SpeechEmbedding, audio: np.ndarray, window: int) -> np.ndarray:
    """The same lead and embedding windows, but the mel frames of each clip from one call. The lead gets the
    352 samples the first step's frames look back too, so mel frame f covers the same audio in both."""
    lead = lead_samples(window) + STEP_INPUT - STEP_SAMPLES
    led = np.concatenate([np.zeros((len(audio), lead), np.float32), audio], axis=1)
    mels = np.stack([front_end.melspectrogram(clip[None])[0] for clip in led])
    return front_end.embeddings_from_mel(mels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=48)
    parser.add_argument("--part", choices=SPLITS, default="test")
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml")
    data = read_recipes(ROOT / "data/synth", ROOT / "data/catalog")
    rows = np.flatnonzero(data.recipes.split == SPLITS.index(args.part))[: args.clips]
    r = data.recipes.take(rows)
    used = np.unique(np.concatenate([r.background_clip, r.insert_clip[r.insert_mask]]))
    audio = resample(renderer(params, load_bank(data.catalog, rows=used)).render(r), params.audio.sample_rate)
    front_end, window = SpeechEmbedding(threads=params.embed.threads), params.model.embedding.window
    started = time.perf_counter()
    per_step = front_end.embed(audio, window)
    step_s = (time.perf_counter() - started) / len(audio)
    started = time.perf_counter()
    whole = whole_clip(front_end, audio, window)
    whole_s = (time.perf_counter() - started) / len(audio)
    n = min(per_step.shape[1], whole.shape[1])
    a, b = per_step[:, :n].ravel(), whole[:, :n].ravel()
    print(f"clips: {len(audio)} of {args.part}, {n} embeddings each")
    print(f"per-step framing:   {step_s * 1000:7.1f} ms per clip")
    print(f"whole-clip framing: {whole_s * 1000:7.1f} ms per clip")
    print(f"mean |difference|:  {np.mean(np.abs(a - b)):.4f} (embedding std {np.std(a):.4f})")
    print(f"max |difference|:   {np.max(np.abs(a - b)):.4f}")
    print(f"correlation:        {np.corrcoef(a, b)[0, 1]:.6f}")


if __name__ == "__main__":
    main()
