"""Streaming detector speed on one CPU core: real-time factor, peak memory, and many files in one call.

    python benchmarks/stream_speed.py [--model models/trained/trigger_word/model.pt] [--minutes 20]

Prints, for the trained model:
  rtf                 compute seconds per audio second over a --minutes long recording (1 thread)
  peak_rss_mb         the process's peak memory after that run
  files_seconds       wall time of one `datasynth detect` call over 81 files, 2 000 s of audio in all
The audio is the project's test stream rendered (negatives-only speech over backgrounds), so the
detector works as it would on real input; without data/synth it falls back to coloured noise.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.triggerword.inference import load_detector  # noqa: E402
from models.triggerword.streaming import stream_rate  # noqa: E402
from pipeline.triggerword.deploy.detect import detect_audio  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def recording(seconds: float, rate: int) -> np.ndarray:
    """The test stream's clips end to end (looped), at `rate`; coloured noise without data."""
    try:
        from pipeline.common.catalog import load_bank
        from pipeline.common.params import load_params
        from pipeline.triggerword.datasets import read_recipes, renderer
        from synth.common.audio import resample

        params = load_params(ROOT / "params.yaml")
        data = read_recipes(ROOT / "data/synth", ROOT / "data/catalog", name="stream.parquet")
        rows = np.arange(min(len(data.recipes), 40))
        r = data.recipes.take(rows)
        used = np.unique(np.concatenate([r.background_clip, r.insert_clip[r.insert_mask]]))
        clips = renderer(params, load_bank(data.catalog, ROOT / "data/catalog", rows=used)).render(r)
        audio = resample(clips.reshape(-1), params.audio.sample_rate, rate).astype(np.float32)
    except Exception as exc:  # no pipeline data yet: still measure speed
        print(f"(no rendered stream: {type(exc).__name__}; using noise)")
        audio = (0.05 * np.random.default_rng(0).standard_normal(int(60 * rate))).astype(np.float32)
    return np.resize(audio, int(seconds * rate))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models/trained/trigger_word/model.pt")
    parser.add_argument("--minutes", type=float, default=20.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    detector = load_detector(args.model)
    rate = stream_rate(detector)
    audio = recording(args.minutes * 60, rate)
    start = time.process_time()
    events = detect_audio(detector, audio, threshold=0.5)
    cpu = time.process_time() - start
    print(f"family {detector.family}: {args.minutes:g} min recording, {len(events)} detections at 0.5")
    print(f"rtf {cpu / (len(audio) / rate):.4f}  (CPU seconds per audio second, one thread)")
    print(f"peak_rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    files_call(audio, rate, args.model)


def files_call(audio: np.ndarray, rate: int, model: Path) -> None:
    """81 files, 2 000 s in all, through one `datasynth detect` process."""
    import soundfile as sf

    lengths = np.full(81, 2000.0 / 81)
    with tempfile.TemporaryDirectory() as tmp:
        paths, at = [], 0
        for i, seconds in enumerate(lengths):
            n = int(seconds * rate)
            piece = np.resize(np.roll(audio, -at), n)
            at += n
            paths.append(Path(tmp) / f"f{i:02d}.wav")
            sf.write(paths[-1], piece, rate, subtype="PCM_16")
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pipeline.triggerword.deploy.detect",
                *map(str, paths),
                "--json",
                "--model",
                str(model),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        print(f"files_seconds {time.perf_counter() - started:.1f}  (81 files, 2000 s of audio, one detect call)")


if __name__ == "__main__":
    main()
