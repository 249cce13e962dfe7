"""Find the trigger word in audio files, or in raw PCM on stdin, as it happens.

    datasynth detect FILE [FILE ...] [--json] [--threshold T] [--model PATH]
    arecord -f S16_LE -r 16000 -c 1 | datasynth detect - [--rate 16000]

Every input runs through the streaming runtime (models/triggerword/streaming.py) in one process, so
a file gives the same detections as its stream. Text output prints each detection when it happens
(line-buffered): the time (seconds) at which the word was heard to end. --json writes
{"files": [{"path", "duration", "peak", "detections": [{"time", "score"}]}]} at the end (peak: the
highest smoothed score in the file, however far below the threshold).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

from models.triggerword.inference import Detector, load_detector
from models.triggerword.streaming import Event, open_stream, stream_rate
from pipeline.common import audio_files
from pipeline.common.io import DataError
from synth.common.audio import resample, to_mono

MODEL = Path("models/trained/trigger_word/model.pt")
EVALUATE_METRICS = Path("reports/metrics/evaluate.json")
CHUNK_SECONDS = 1.0  # file audio is pushed in chunks of this length (the result does not depend on it)


def read_audio(path: Path, sample_rate: int) -> np.ndarray:
    """Mono float32 at `sample_rate`; clear errors for missing, unreadable, empty or non-finite files."""
    audio, rate = audio_files.read_audio(path, str(path))
    audio = to_mono(audio)
    if len(audio) == 0:
        raise DataError(f"{path}: contains no samples")
    if not np.isfinite(audio).all():
        raise DataError(f"{path}: contains NaN or infinite samples")
    return resample(audio, rate, sample_rate)


def default_threshold() -> float:
    """The operating point chosen on dev by the evaluate stage, else 0.5."""
    if EVALUATE_METRICS.exists():
        return float(json.loads(EVALUATE_METRICS.read_text())["test"]["threshold"])
    return 0.5


def detect_audio(detector: Detector, audio: np.ndarray, threshold: float, chunk: int | None = None) -> list[Event]:
    """Events of a whole recording at the stream rate, pushed `chunk` samples at a time."""
    return scan(detector, audio, threshold, chunk)[0]


def scan(
    detector: Detector, audio: np.ndarray, threshold: float, chunk: int | None = None
) -> tuple[list[Event], float]:
    """(events, the peak smoothed output) of a whole recording at the stream rate."""
    stream = open_stream(detector, threshold)
    chunk = chunk or int(CHUNK_SECONDS * stream_rate(detector))
    events = []
    for start in range(0, len(audio), chunk):
        events += stream.push(audio[start : start + chunk])
    return events + stream.finish(), stream.tracker.peak


def pcm_chunks(handle, rate: int, target: int, seconds: float = 0.1):
    """Raw 16-bit little-endian mono PCM at `rate` -> float32 chunks at `target` Hz (streaming resampler)."""
    import soxr

    resampler = soxr.ResampleStream(rate, target, 1, dtype="float32") if rate != target else None
    size, carry = int(rate * seconds) * 2, b""
    while True:
        data = handle.read(size)
        last = not data
        data, carry = carry + data, b""
        if len(data) % 2:
            data, carry = data[:-1], data[-1:]
        samples = np.frombuffer(data, "<i2").astype(np.float32) / 32768.0
        if resampler is not None:
            samples = resampler.resample_chunk(samples, last=last)
        if len(samples):
            yield samples
        if last:
            return


def line(word: str, event: Event) -> str:
    return f"  {word} heard at {event.time:.2f} s (score {event.score:.3f})"


def run_stdin(detector: Detector, threshold: float, rate: int, as_json: bool) -> dict:
    word, events, samples = detector.meta.get("positive_word", "trigger word"), [], 0
    stream = open_stream(detector, threshold)
    chunks = pcm_chunks(sys.stdin.buffer, rate, stream_rate(detector))
    for chunk in itertools.chain(chunks, [None]):  # None: the end of the stream (lazily: lines print live)
        samples += 0 if chunk is None else len(chunk)
        for event in stream.finish() if chunk is None else stream.push(chunk):
            events.append(event)
            if not as_json:
                print(line(word, event), flush=True)
    duration = round(samples / stream_rate(detector), 3)
    return {"path": "-", "duration": duration, "peak": round(stream.tracker.peak, 4), "detections": _json(events)}


def _json(events: list[Event]) -> list[dict]:
    return [{"time": round(e.time, 3), "score": round(e.score, 4)} for e in events]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Find the trigger word in audio files or raw PCM on stdin.")
    parser.add_argument("files", nargs="+", help="audio files, or - for raw 16-bit mono PCM on stdin")
    parser.add_argument("--threshold", type=float, help="detection threshold (default: chosen on dev)")
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--rate", type=int, default=16_000, help="sample rate of PCM on stdin (default 16000)")
    parser.add_argument("--json", action="store_true", help="print one JSON document at the end")
    args = parser.parse_args(argv)
    threshold = default_threshold() if args.threshold is None else args.threshold
    if not 0.0 < threshold < 1.0:
        raise DataError(f"--threshold {threshold}: must be between 0 and 1")
    if args.rate < 1000:
        raise DataError(f"--rate {args.rate}: expected a sample rate in Hz, e.g. 16000")
    detector = load_detector(args.model)
    word, results = detector.meta.get("positive_word", "trigger word"), []
    for name in args.files:
        if name == "-":
            results.append(run_stdin(detector, threshold, args.rate, args.json))
            continue
        audio = read_audio(Path(name), stream_rate(detector))
        events, peak = scan(detector, audio, threshold)
        duration = len(audio) / stream_rate(detector)
        results.append(
            {"path": name, "duration": round(duration, 3), "peak": round(peak, 4), "detections": _json(events)}
        )
        if not args.json:
            found = f"{len(events)} detection(s), peak score {peak:.3f}"
            print(f"{name}: {duration:.2f} s, threshold {threshold:.3f}, {found}", flush=True)
            for event in events:
                print(line(word, event), flush=True)
    if args.json:
        print(json.dumps({"threshold": threshold, "files": results}, indent=1))


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "detect")
