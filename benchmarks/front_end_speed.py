"""The speech front-end per 10 s clip: the embedding graph window by window (as shipped) vs sliding over
the whole clip (`speech_embedding.sliding_graph`, what datasynth runs), side by side in one run.

    python benchmarks/front_end_speed.py [--clips 24] [--threads 2]

Prints milliseconds per clip for the mel frames and for each way of running the embedding graph, the
speed-up, and whether the two give the same embeddings bit for bit (they must: the cache relies on it).
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
    EMBEDDING_DIM,
    EMBEDDING_FRAMES,
    EMBEDDING_STEP,
    RATE,
    SpeechEmbedding,
    model_dir,
)


def window_by_window(session, mel: np.ndarray) -> np.ndarray:
    """The shipped graph on (windows, 76, 32, 1): every window's frames computed on their own."""
    starts = np.arange((len(mel) - EMBEDDING_FRAMES) // EMBEDDING_STEP + 1) * EMBEDDING_STEP
    windows = np.ascontiguousarray(mel[starts[:, None] + np.arange(EMBEDDING_FRAMES)][..., None])
    return session.run(None, {"input_1": windows})[0].reshape(len(starts), EMBEDDING_DIM)


def timed(fn, items) -> tuple[list, float]:
    started = time.perf_counter()
    out = [fn(item) for item in items]
    return out, 1000 * (time.perf_counter() - started) / max(len(items), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=24)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads, options.log_severity_level = args.threads, 1, 3
    shipped = ort.InferenceSession(str(model_dir() / "embedding_model.onnx"), options)
    front_end = SpeechEmbedding(threads=args.threads)
    rng = np.random.default_rng(0)
    clips = [rng.normal(0, 0.05, 10 * RATE).astype(np.float32) for _ in range(args.clips)]
    lead = front_end.lead_mels(16)
    mels, mel_ms = timed(lambda clip: np.concatenate([lead, front_end.step_mels(clip)]), clips)
    old, old_ms = timed(lambda mel: window_by_window(shipped, mel), mels)
    new, new_ms = timed(lambda mel: front_end.embeddings_from_mel(mel[None])[0], mels)
    same = all(np.array_equal(a, b) for a, b in zip(old, new))
    print(f"{args.clips} clips of 10 s, {args.threads} onnxruntime threads, ms per clip")
    print(f"  mel frames (per 80 ms step)      {mel_ms:8.1f}")
    print(f"  embeddings, window by window     {old_ms:8.1f}   (the shipped graph)")
    print(f"  embeddings, sliding over a clip  {new_ms:8.1f}   ({old_ms / new_ms:.1f}x faster)")
    print(f"  front-end per clip               {mel_ms + old_ms:8.1f} -> {mel_ms + new_ms:.1f}")
    print(f"  bit-identical embeddings: {same}")


if __name__ == "__main__":
    main()
