"""Find the trigger word in the microphone's audio, live: datasynth listen [--threshold T] [--model PATH].

Needs the optional `sounddevice` package and the PortAudio library (pip install sounddevice;
apt-get install libportaudio2). Audio is captured at the detector's stream rate, mono, and each
detection is printed as it happens; Ctrl-C stops.
"""

from __future__ import annotations

import argparse
import queue
from pathlib import Path

import numpy as np

from models.triggerword.inference import load_detector
from models.triggerword.streaming import open_stream, stream_rate
from pipeline.common.io import DataError
from pipeline.triggerword.deploy.detect import MODEL, default_threshold, line


def microphone():
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: the package is there, the PortAudio library is not
        raise DataError(
            f"datasynth listen needs the sounddevice package and PortAudio ({exc}): "
            "pip install sounddevice; sudo apt-get install libportaudio2"
        ) from None
    return sounddevice


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Find the trigger word in the microphone's audio, live.")
    parser.add_argument("--threshold", type=float, help="detection threshold (default: chosen on dev)")
    parser.add_argument("--model", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    sounddevice = microphone()
    detector = load_detector(args.model)
    threshold = default_threshold() if args.threshold is None else args.threshold
    stream, chunks = open_stream(detector, threshold), queue.Queue()
    word, rate = detector.meta.get("positive_word", "trigger word"), stream_rate(detector)
    print(f"listening for {word!r} at {rate} Hz (threshold {threshold:.3f}); Ctrl-C stops", flush=True)
    with sounddevice.InputStream(
        samplerate=rate, channels=1, dtype="float32", callback=lambda d, *_: chunks.put(d.copy())
    ):
        try:
            while True:
                for event in stream.push(np.asarray(chunks.get())[:, 0]):
                    print(line(word, event), flush=True)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "listen")
