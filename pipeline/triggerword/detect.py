"""Find the trigger word in an audio file of any length and sample rate.

    datasynth detect FILE [--threshold T] [--model models/trained/trigger_word/model.pt]

Prints one line per detection: the time (seconds) at which the word was heard to end.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from models.triggerword.events import detect, smooth
from models.triggerword.inference import Detector, load_detector
from pipeline.common.io import DataError

MODEL = Path("models/trained/trigger_word/model.pt")
EVALUATE_METRICS = Path("reports/metrics/evaluate.json")


def read_audio(path: Path, sample_rate: int) -> np.ndarray:
    """Mono float32 at `sample_rate`; clear errors for missing, unreadable, empty or silent files."""
    import soundfile as sf

    if not path.exists():
        raise DataError(f"{path}: no such file")
    try:
        audio, rate = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile/libsndfile raise several types for bad files
        raise DataError(f"{path}: not a readable audio file ({exc})") from None
    audio = audio.mean(axis=1)
    if len(audio) == 0:
        raise DataError(f"{path}: contains no samples")
    if not np.isfinite(audio).all():
        raise DataError(f"{path}: contains NaN or infinite samples")
    if rate != sample_rate:
        import librosa

        audio = librosa.resample(audio, orig_sr=rate, target_sr=sample_rate).astype(np.float32)
    return audio


def stream_probabilities(detector: Detector, audio: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-step probabilities over the whole recording from half-overlapping windows; each step
    is taken from a window where it has at least a quarter window of past context."""
    n, ty = detector.clip_samples, detector.ty
    step_samples = n / ty
    hop = n // 2
    starts = list(range(0, max(len(audio) - n, 0) + 1, hop))
    if starts[-1] + n < len(audio):
        starts.append(len(audio) - n)
    padded = np.pad(audio, (0, max(0, n - len(audio))))
    windows = np.stack([padded[s : s + n] for s in starts])
    probs = detector.probabilities(windows)
    total = int(np.ceil(len(padded) / step_samples))
    out = np.zeros(total, np.float32)
    for k, (start, row) in enumerate(zip(starts, probs)):
        first_local = 0 if k == 0 else ty // 4
        positions = np.round((start + np.arange(first_local, ty) * step_samples) / step_samples).astype(int)
        keep = positions < total
        out[positions[keep]] = row[first_local:][keep]
    return out, step_samples


def default_threshold() -> float:
    """The operating point chosen on dev by the evaluate stage, else 0.5."""
    if EVALUATE_METRICS.exists():
        return float(json.loads(EVALUATE_METRICS.read_text())["test"]["threshold"])
    return 0.5


def find_trigger(detector: Detector, audio: np.ndarray, threshold: float) -> list[float]:
    probs, step_samples = stream_probabilities(detector, audio)
    e = detector.meta["evaluate"]
    steps_per_second = detector.sample_rate / step_samples
    smoothed = smooth(probs, max(1, int(round(e["smoothing_seconds"] * steps_per_second))))
    hits = detect(smoothed, threshold, int(round(e["refractory_seconds"] * steps_per_second)))
    return [float(s * step_samples / detector.sample_rate) for s in hits]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Find the trigger word in an audio file.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--threshold", type=float, help="detection threshold (default: chosen on dev)")
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    threshold = default_threshold() if args.threshold is None else args.threshold
    if not 0.0 < threshold < 1.0:
        raise DataError(f"--threshold {threshold}: must be between 0 and 1")
    detector = load_detector(args.model)
    audio = read_audio(args.file, detector.sample_rate)
    times = find_trigger(detector, audio, threshold)
    word = detector.meta.get("positive_word", "trigger word")
    print(
        f"{args.file}: {len(audio) / detector.sample_rate:.2f} s, threshold {threshold:.3f}, {len(times)} detection(s)"
    )
    for t in times:
        print(f"  {word} heard at {t:.2f} s")


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "detect")
