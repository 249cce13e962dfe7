"""Is a vocoded insert still the word? The speech audit's recogniser on catalog clips, dry and vocoded.

    python benchmarks/vocoder_intelligibility.py [--clips 200] [--catalog data/catalog] [--seed 0]

Draws TTS clips of the audited sources (positives and negatives), vocodes each with a formant ratio and
pitch range drawn from params.yaml synthesise.vocoder, and prints, per engine and overall, how often
PocketSphinx hears each version as its own text, plus WORLD's cost per second of audio. A vocoder that
made the words unintelligible would teach the head noise; one that changes nothing adds no voices.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.triggerword.recogniser import Recogniser, normalise  # noqa: E402
from pipeline.common.audio_files import read_audio  # noqa: E402
from pipeline.common.catalog import read_catalog  # noqa: E402
from pipeline.common.params import load_params  # noqa: E402
from pipeline.triggerword.audit import checkable  # noqa: E402
from synth.triggerword.vocoder import vocode  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--catalog", type=Path, default=Path("data/catalog"))
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    params, catalog = load_params(args.params), read_catalog(args.catalog)
    rng = np.random.default_rng(args.seed)
    tts = checkable(catalog, params) & catalog["source"].str.startswith("tts:").to_numpy()
    rows = rng.choice(np.flatnonzero(tts), size=min(args.clips, int(tts.sum())), replace=False)
    picked = catalog.iloc[np.sort(rows)].reset_index(drop=True)
    texts = picked["text"].map(normalise)
    recognise = Recogniser(sorted(set(texts)))
    spec = params.synthesise.vocoder
    heard = {"dry": [], "vocoded": []}
    seconds = world_seconds = 0.0
    for i in range(len(picked)):
        audio, rate = read_audio(args.catalog / picked["path"][i], picked["clip_id"][i])
        started = time.perf_counter()
        wet = vocode(audio, rate, rng.uniform(*spec.formant_ratio), rng.uniform(*spec.pitch_range))
        world_seconds += time.perf_counter() - started
        seconds += len(audio) / rate
        heard["dry"].append(recognise(audio, rate).text == texts[i])
        heard["vocoded"].append(recognise(wet, rate).text == texts[i])
    engines = picked["source"].to_numpy(object)
    print(f"{'engine':<16}{'clips':>6}{'dry heard':>11}{'vocoded heard':>15}")
    for engine in [*sorted(set(engines)), "all"]:
        mask = np.ones(len(picked), bool) if engine == "all" else engines == engine
        dry, wet = (np.asarray(heard[k])[mask].mean() for k in ("dry", "vocoded"))
        print(f"{engine:<16}{int(mask.sum()):>6}{dry:>10.0%}{wet:>15.0%}")
    print(f"WORLD: {world_seconds / max(seconds, 1e-9) * 1000:.0f} ms per second of audio ({seconds:.0f} s vocoded)")


if __name__ == "__main__":
    main()
