"""stress_set stage: long files the pipeline never learns from -> data/stress/ (WAV files + takes.parquet).

    python -m pipeline.triggerword.stress_set [--params params.yaml]

The way an independent evaluation would be built: one voice heard nowhere else (stress.voice, a Kokoro
base voice in no blend and no split), backgrounds used nowhere else (stress.backgrounds: colobot's music
and game sounds), files of stress.file_seconds with the word alone or ending a phrase, near-miss words and
sentences at random times, each take at its own SNR and every file at its own level, both drawn wider than
training's. Beside them, real/: every package recording of a person saying the word (sources/real_positives.py),
each alone between quiet lead-in and tail. The stress stage scores the files with `datasynth detect`, nothing else.
"""

from __future__ import annotations

import argparse
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from pipeline.common.audio_files import read_audio, source_rng
from pipeline.common.io import DataError, atomic_dir, run_stage
from pipeline.common.params import Params, load_params
from pipeline.triggerword.sources import kokoro
from pipeline.triggerword.sources.base import slug
from pipeline.triggerword.sources.real_positives import real_positive_clips
from synth.common.audio import change_speed, loop_to_length, resample, to_mono, trim_silence
from synth.triggerword.stress import StressSpec, compose

log = logging.getLogger("datasynth.stress_set")
STRESS_DIR = Path("data/stress")
RATE = 16000  # the front-end's rate; `datasynth detect` resamples anything else
BACKGROUND_GLOBS = ("music/*.ogg", "sounds/*.wav")
MIN_GAP_SECONDS = 0.3
REAL_LEAD_SECONDS, REAL_TAIL_SECONDS = 2.0, 1.0  # the head's window is 1.28 s: it hears the word whole
FLOOR_DBFS = -60.0  # the quiet noise around a real take (digital silence is not a room)
TRIM_TOP_DB = 35.0


def background_files(root: Path) -> list[Path]:
    files = sorted(f for pattern in BACKGROUND_GLOBS for f in root.glob(pattern))
    if not files:
        raise DataError(
            f"stress.backgrounds: no {' or '.join(BACKGROUND_GLOBS)} under {root}; "
            "install them (sudo apt-get install colobot-common-sounds) or point stress.backgrounds elsewhere"
        )
    return files


def texts(params: Params) -> tuple[list[str], list[str]]:
    """(what a positive take says, what a negative take says): the word alone or ending a phrase; near-miss
    words and sentences."""
    word, tts = params.collect.positive_word, params.collect.tts
    positives = [word, *(p.replace("{word}", word) for p in tts.positive_phrases)]
    return positives, [*params.collect.negative_words, *tts.negative_sentences]


def plan(params: Params, rng: np.random.Generator, backgrounds: list[Path]) -> pd.DataFrame:
    """One row per take: file, kind, text, speed, pitch; each file's background is drawn in `backgrounds`."""
    s, (positives, negatives) = params.stress, texts(params)
    rows = []
    for f in range(s.files):
        background = str(backgrounds[rng.integers(len(backgrounds))])
        counts = {"positive": rng.integers(s.positives[0], s.positives[1] + 1)}
        counts["negative"] = rng.integers(s.negatives[0], s.negatives[1] + 1)
        for kind, pool in (("positive", positives), ("negative", negatives)):
            for _ in range(counts[kind]):
                # The bare word half the time, else a phrase ending in it.
                text = pool[0] if kind == "positive" and rng.random() < 0.5 else pool[rng.integers(len(pool))]
                speed = 1 + rng.uniform(-s.speed_jitter, s.speed_jitter)
                pitch = 1 + rng.uniform(-s.pitch_jitter, s.pitch_jitter)
                rows.append((f, background, kind, text, round(float(speed), 4), round(float(pitch), 4)))
    return pd.DataFrame(rows, columns=["file", "background", "kind", "text", "speed", "pitch"])


def render_takes(takes: pd.DataFrame, voice: str) -> list[np.ndarray]:
    """Each take by the stress voice at 16 kHz, trimmed to its speech (so a positive's end is the word's)."""
    engine, speaker = kokoro.Kokoro(), kokoro.pure(voice)

    def one(row) -> np.ndarray:
        audio = engine.say(row.text, speaker, row.speed / row.pitch)  # the tape-speed pitch change restores speed
        audio = change_speed(trim_silence(audio, kokoro.RATE, TRIM_TOP_DB), row.pitch)
        return resample(audio, kokoro.RATE, RATE)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, takes.itertuples()))


def background_window(path: Path, samples: int, rng: np.random.Generator) -> np.ndarray:
    audio, rate = read_audio(path, f"stress.backgrounds: {path}")
    audio = resample(to_mono(audio), rate, RATE)
    audio = loop_to_length(audio, samples) if len(audio) < samples else audio
    start = int(rng.integers(0, len(audio) - samples + 1))
    return np.asarray(audio[start : start + samples], np.float32)


def build(params: Params, out: Path) -> pd.DataFrame:
    """Write every stress file to out/wav and return the takes with their file, times and SNR."""
    s = params.stress
    if s.voice not in kokoro.BASE_VOICES:
        raise DataError(f"stress.voice: {s.voice!r} is not a Kokoro voice ({', '.join(kokoro.BASE_VOICES)})")
    heard = {*params.collect.tts.kokoro.blend_voices, *params.collect.tts.kokoro.pure_voices}
    if s.voice in heard:
        raise DataError(f"stress.voice: {s.voice!r} is also in collect.tts.kokoro: the stress voice must be unheard")
    rng = source_rng(params.seed, "stress")
    takes = plan(params, rng, background_files(Path(s.backgrounds)))
    audio = render_takes(takes, s.voice)
    spec = StressSpec(RATE, int(s.file_seconds * RATE), s.snr_db, s.level_dbfs, int(MIN_GAP_SECONDS * RATE))
    (out / "wav").mkdir(parents=True)
    columns = {"path": [""] * len(takes), "start_s": np.zeros(len(takes)), "end_s": np.zeros(len(takes))}
    columns["snr_db"] = np.zeros(len(takes))
    for f, rows in takes.groupby("file", sort=True):
        index = rows.index.to_numpy()
        background = background_window(Path(rows["background"].iloc[0]), spec.samples, rng)
        mix, placed = compose(background, [audio[i] for i in index], spec, rng)
        path = f"wav/stress-{f:03d}.wav"
        sf.write(out / path, mix, RATE, subtype="PCM_16")
        for p in placed:
            row = index[p.index]
            columns["path"][row] = path
            columns["start_s"][row], columns["end_s"][row] = p.start / RATE, p.end / RATE
            columns["snr_db"][row] = p.snr_db
    return takes.assign(**columns)


def real_positive_files(params: Params, out: Path) -> pd.DataFrame:
    """Write each real-human take of the word to out/real/, alone over a quiet noise floor; one row each."""
    rng = source_rng(params.seed, "stress-real")  # its own draws: the stress files do not change with it
    (out / "real").mkdir(parents=True)
    lead, tail, rows = int(REAL_LEAD_SECONDS * RATE), int(REAL_TAIL_SECONDS * RATE), []
    for clip in real_positive_clips(params.collect):
        speech = trim_silence(resample(to_mono(clip.audio), clip.sample_rate, RATE), RATE, TRIM_TOP_DB)
        mix = rng.standard_normal(lead + len(speech) + tail).astype(np.float32) * np.float32(10 ** (FLOOR_DBFS / 20))
        mix[lead : lead + len(speech)] += speech
        path = f"real/{slug(clip.source)}-{slug(clip.name)}.wav"
        sf.write(out / path, np.clip(mix, -1, 1), RATE, subtype="PCM_16")
        rows.append((path, clip.source, clip.word, clip.origin, clip.licence, (lead + len(speech)) / RATE))
    return pd.DataFrame(rows, columns=["path", "source", "text", "origin", "licence", "end_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    params = load_params(args.params)
    with atomic_dir(STRESS_DIR) as out:
        takes = build(params, out)
        takes.to_parquet(out / "takes.parquet", index=False)
        real = real_positive_files(params, out)
        real.to_parquet(out / "real_positives.parquet", index=False)
        manifest = {
            "seed": params.seed,
            "voice": f"kokoro:{params.stress.voice}",
            "licence": {"voice": kokoro.LICENCE, "backgrounds": "GPL-3+ (colobot-common-sounds)"},
            "files": params.stress.files,
            "hours": round(params.stress.files * params.stress.file_seconds / 3600, 4),
            "takes": takes["kind"].value_counts().to_dict(),
            "real_positives": len(real),
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    log.info("stress set: %d files, %s; %d real-human takes", params.stress.files, manifest["takes"], len(real))


if __name__ == "__main__":
    run_stage(main, "stress_set")
