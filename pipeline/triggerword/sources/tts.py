"""Offline text-to-speech: the positive word, every negative word, phrases and sentences from espeak-ng,
flite, festival, Kokoro-82M (a neural engine whose speakers are blends of its voices, sources/kokoro.py) and
SVOX Pico (sources/pico.py).

Every voice says the positive word `positive_takes` times and each negative word is said by
`negative_voices_per_word` voices drawn by a seeded generator; each take gets its own speed and
pitch. Continuous speech comes from `positive_phrases` (the word at the end of a phrase: "please
activate", so the clip still ends where the word ends) and `negative_sentences` (whole sentences, many
with near-miss words), each said by `phrase_voices` drawn voices. speaker = split_group =
"engine:voice", so one voice never spans two splits.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from pipeline.common.audio_files import read_audio, source_rng
from pipeline.common.io import DataError
from pipeline.common.params.triggerword import CollectParams, TTSParams
from pipeline.triggerword.sources import kokoro, pico
from pipeline.triggerword.sources.base import RawClip, require_binary, slug

# engine -> (binary it needs, Debian package); Kokoro needs espeak-ng for its phonemes
BINARIES = {"espeak-ng": ("espeak-ng", "espeak-ng"), "flite": ("flite", "flite"), "festival": ("festival", "festival")}
BINARIES["kokoro"] = BINARIES["espeak-ng"]
LICENCES = {
    "kokoro": kokoro.LICENCE,
    "pico": pico.LICENCE,
    "espeak-ng": "GPL-3.0-or-later",
    "flite": "BSD-style (flite)",
    # From /usr/share/doc/<package>/copyright.
    "kal_diphone": "MIT-style festvox licence, (c) 1998 Alan W Black and Kevin Lenzo (festvox-kallpc16k)",
    "ked_diphone": "MIT-style festvox licence, (c) 1997 CSTR, University of Edinburgh (festvox-kdlpc16k)",
    "cmu_us_slt_arctic_hts": "EST-2003 (BSD-style), (c) 2003 Carnegie Mellon University (festvox-us-slt-hts)",
}
FESTIVAL_PACKAGES = {
    "kal_diphone": "festvox-kallpc16k",
    "ked_diphone": "festvox-kdlpc16k",
    "cmu_us_slt_arctic_hts": "festvox-us-slt-hts",
}
FESTIVAL_VOICE_DIR = Path("/usr/share/festival/voices")
VOICE_LANGUAGES = {"awb": "en-gb-scotland"}  # the other flite/festival voices are American
ESPEAK_SPEED_WPM = 175  # espeak-ng's defaults for -s and -p
ESPEAK_PITCH = 50
# `-v en-gb+f2` silently drops the variant; `en` is the same British voice and keeps it.
ESPEAK_ALIASES = {"en-gb": "en"}
CHUNK = 64  # takes rendered ahead of the consumer: bounds memory, keeps both cores busy


@dataclass(frozen=True)
class Voice:
    engine: str
    name: str  # as in params: en-us+f2, kal16, kal_diphone; Kokoro: blend-07 or a base voice
    language: str
    blend: kokoro.Blend | None = None  # Kokoro's speaker: the mixture of its voice tables

    @property
    def speaker(self) -> str:
        return f"{self.engine}:{self.name}"


@dataclass(frozen=True)
class Take:
    voice: Voice
    kind: str
    word: str  # the catalog's word: the positive word for a positive phrase, else what is said
    index: int
    speed: float  # > 1: faster
    pitch: float  # > 1: higher
    text: str = ""  # what the voice says, when it is more than `word`

    @property
    def spoken(self) -> str:
        return self.text or self.word


def tts_clips(collect: CollectParams, seed: int) -> Iterator[RawClip]:
    """All takes of all enabled engines, rendered two at a time, in a fixed order."""
    voices = list_voices(collect.tts, seed)
    takes = plan_takes(voices, collect, source_rng(seed, "tts"))
    engines = {v.engine for v in voices}
    models = Models(kokoro.Kokoro() if "kokoro" in engines else None, pico.Pico() if "pico" in engines else None)
    with tempfile.TemporaryDirectory(prefix="datasynth-tts-") as tmp:
        workdir = Path(tmp)
        festival_wavs = render_festival([t for t in takes if t.voice.engine == "festival"], workdir)
        with ThreadPoolExecutor(max_workers=2) as pool:
            for start in range(0, len(takes), CHUNK):
                chunk = takes[start : start + CHUNK]
                yield from pool.map(lambda t: _render_one(t, workdir, festival_wavs, models), chunk)


def list_voices(tts: TTSParams, seed: int = 0) -> list[Voice]:
    """Voices of the enabled engines; unknown voices and missing binaries are DataErrors. Kokoro's blend
    speakers are drawn from `seed`."""
    voices: list[Voice] = []
    for engine in tts.engines:
        if engine == "pico":
            pico.require()
            voices += [Voice("pico", name, pico.LANGUAGES[name]) for name in pico.check_voices(tts.pico_voices)]
            continue
        require_binary(*BINARIES[engine], "collect.tts.engines", engine)
        if engine == "kokoro":
            voices += _kokoro_voices(tts, source_rng(seed, "kokoro"))
        else:
            voices += {"espeak-ng": _espeak_voices, "flite": _flite_voices, "festival": _festival_voices}[engine](tts)
    return voices


def plan_takes(voices: list[Voice], collect: CollectParams, rng: np.random.Generator) -> list[Take]:
    """Positive takes per voice, then negative words on randomly drawn voices (seeded, stable order)."""
    tts = collect.tts

    def jitter(voice: Voice, kind: str, word: str, index: int, text: str = "") -> Take:
        speed = 1.0 + float(rng.uniform(-tts.speed_jitter, tts.speed_jitter))
        pitch = 1.0 + float(rng.uniform(-tts.pitch_jitter, tts.pitch_jitter))
        return Take(voice, kind, word.lower(), index, round(speed, 4), round(pitch, 4), text.lower())

    takes = [
        jitter(v, "positive", collect.positive_word, i)
        for v in voices
        for i in range(tts.positive_takes * tts.engine_take_multiplier.get(v.engine, 1))
    ]
    # Each engine is equally likely to say a negative word, however many voices it has.
    per_engine = Counter(v.engine for v in voices)
    weights = np.array([1.0 / per_engine[v.engine] for v in voices])

    def drawn(count: int) -> list[Voice]:
        picks = rng.choice(len(voices), size=min(count, len(voices)), replace=False, p=weights / weights.sum())
        return [voices[i] for i in sorted(picks)]

    if not voices:
        return takes
    for word in collect.negative_words:
        takes += [jitter(v, "negative", word, 0) for v in drawn(tts.negative_voices_per_word)]
    word = collect.positive_word
    for n, phrase in enumerate(tts.positive_phrases):
        text = phrase.replace("{word}", word)
        takes += [jitter(v, "positive", word, 1000 + n, text) for v in drawn(tts.phrase_voices)]
    for sentence in tts.negative_sentences:
        takes += [jitter(v, "negative", sentence, 0) for v in drawn(tts.phrase_voices)]
    return takes


def _espeak_voices(tts: TTSParams) -> list[Voice]:
    languages, variants = _espeak_inventory()
    for accent in tts.espeak_accents:
        if accent not in languages:
            raise DataError(
                f"espeak-ng: no voice for accent {accent!r} (collect.tts.espeak_accents); "
                f"installed: {', '.join(sorted(languages))} (mbrola 'mb-*' voices are not supported)"
            )
    if tts.espeak_variants == "all":
        chosen: list[str | None] = [None, *variants]  # the accent's own voice, then every variant
    else:
        unknown = [v for v in tts.espeak_variants if v not in variants]
        if unknown:
            raise DataError(
                f"espeak-ng: unknown variant(s) {unknown} in collect.tts.espeak_variants "
                f"(espeak-ng ignores them silently); installed: {', '.join(variants)}"
            )
        chosen = list(tts.espeak_variants)
    return [
        Voice("espeak-ng", accent if v is None else f"{accent}+{v}", accent)
        for accent in tts.espeak_accents
        for v in chosen
    ]


def _espeak_inventory() -> tuple[set[str], list[str]]:
    """(language codes of the non-mbrola voices, variant file names) as espeak-ng lists them."""

    def table(arg: str) -> list[list[str]]:
        out = subprocess.run(["espeak-ng", arg], capture_output=True, text=True, check=True).stdout
        return [line.split() for line in out.splitlines()[1:] if line.strip()]

    languages = {row[1] for row in table("--voices") if len(row) >= 5 and not row[4].startswith("mb/")}
    variants = [row[4].removeprefix("!v/") for row in table("--voices=variant") if len(row) >= 5]
    return languages, variants


def _flite_voices(tts: TTSParams) -> list[Voice]:
    listing = subprocess.run(["flite", "-lv"], capture_output=True, text=True).stdout
    installed = listing.split(":", 1)[-1].split()
    for name in tts.flite_voices:
        if name not in installed:
            raise DataError(f"flite: no voice {name!r} (collect.tts.flite_voices); installed: {', '.join(installed)}")
    return [Voice("flite", name, VOICE_LANGUAGES.get(name, "en-us")) for name in tts.flite_voices]


def _festival_voices(tts: TTSParams) -> list[Voice]:
    for name in tts.festival_voices:
        if not any(FESTIVAL_VOICE_DIR.glob(f"*/{name}")):
            package = FESTIVAL_PACKAGES.get(name, "the package that provides it")
            raise DataError(
                f"festival: voice {name!r} is not installed under {FESTIVAL_VOICE_DIR} "
                f"(collect.tts.festival_voices); install it (sudo apt-get install {package}) "
                f"or remove it from collect.tts.festival_voices"
            )
    return [Voice("festival", name, VOICE_LANGUAGES.get(name, "en-us")) for name in tts.festival_voices]


def _kokoro_voices(tts: TTSParams, rng: np.random.Generator) -> list[Voice]:
    k = tts.kokoro
    for name in (*k.blend_voices, *k.pure_voices):
        if name not in kokoro.BASE_VOICES:
            raise DataError(
                f"kokoro: no voice {name!r} (collect.tts.kokoro); the package has {', '.join(kokoro.BASE_VOICES)}"
            )
    speakers = []
    if k.blend_voices:
        speakers = kokoro.blends(
            k.blend_voices, k.blend_speakers, k.concentration, k.speed_range, rng, k.voices_per_blend
        )
    speakers += [kokoro.pure(name) for name in k.pure_voices]
    return [Voice("kokoro", s.name, "en-us", s) for s in speakers]


class Models(NamedTuple):
    """The in-process engines, shared by the rendering threads (None: not enabled)."""

    kokoro: kokoro.Kokoro | None
    pico: pico.Pico | None


def _run(cmd: list[str], origin: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        detail = " ".join((result.stderr or result.stdout).split())[-300:]
        raise DataError(f"{origin}: exited with status {result.returncode}: {detail}")


def _render_one(
    take: Take, workdir: Path, festival_wavs: dict[Take, tuple[Path, str]], models: Models | None = None
) -> RawClip:
    from synth.common.audio import change_speed

    voice = take.voice
    wav = None
    if voice.engine == "espeak-ng":
        wav, origin = _espeak(take, workdir)
        audio, sr = read_audio(wav, origin)
    elif voice.engine == "kokoro":
        # Speed from the model, pre-compensated for the tape-speed pitch change (as flite's).
        audio, sr = models.kokoro.say(take.spoken, voice.blend, take.speed / take.pitch), kokoro.RATE
        audio = change_speed(audio, take.pitch)
        origin = f"{voice.blend.describe()} | say({take.spoken!r}, speed x{take.speed / take.pitch:.4f})"
        origin += f" | tape speed x{take.pitch:.4f}"
    elif voice.engine == "pico":
        audio, sr = models.pico.say(take.spoken, voice.name, take.speed, take.pitch), pico.RATE
        origin = f"{pico.describe(voice.name, take.speed, take.pitch)} | say({take.spoken!r})"
    else:
        wav, origin = _flite(take, workdir) if voice.engine == "flite" else festival_wavs[take]
        audio, sr = read_audio(wav, origin)
        # Pitch by tape speed: flite's rms and festival's voices ignore their f0 settings.
        audio = change_speed(audio, take.pitch)
        origin += f" | tape speed x{take.pitch:.4f}"
    if wav is not None:
        wav.unlink(missing_ok=True)
    return RawClip(
        kind=take.kind,
        word=take.word,
        source=f"tts:{voice.engine}",
        name=f"{voice.name}-{slug(take.spoken)}-{take.index}",
        speaker=voice.speaker,
        split_group=voice.speaker,
        language=voice.language,
        origin=origin,
        licence=LICENCES.get(voice.engine, LICENCES.get(voice.name, "")),
        audio=audio,
        sample_rate=sr,
        strict=False,
        text=take.spoken,
    )


def _wav_path(take: Take, workdir: Path) -> Path:
    return workdir / f"{take.voice.engine}-{take.voice.name}-{take.kind}-{slug(take.spoken)}-{take.index}.wav"


def _espeak(take: Take, workdir: Path) -> tuple[Path, str]:
    """espeak-ng's own speed (-s, words per minute) and pitch (-p, 0..99) controls."""
    accent, _, variant = take.voice.name.partition("+")
    name = ESPEAK_ALIASES.get(accent, accent) + (f"+{variant}" if variant else "")
    args = [
        "espeak-ng",
        "-v",
        name,
        "-s",
        str(round(ESPEAK_SPEED_WPM * take.speed)),
        "-p",
        str(int(np.clip(round(ESPEAK_PITCH * take.pitch), 0, 99))),
    ]
    wav = _wav_path(take, workdir)
    origin = " ".join([*args, take.spoken])
    _run([*args, "-w", str(wav), take.spoken], origin)
    return wav, origin


def _flite(take: Take, workdir: Path) -> tuple[Path, str]:
    """Speed via flite's duration model, pre-compensated for the later tape-speed pitch change."""
    args = [
        "flite",
        "-voice",
        take.voice.name,
        "--setf",
        f"duration_stretch={take.pitch / take.speed:.4f}",
        "-t",
        take.spoken,
    ]
    wav = _wav_path(take, workdir)
    origin = " ".join(args)
    _run([*args, "-o", str(wav)], origin)
    return wav, origin


def render_festival(takes: list[Take], workdir: Path) -> dict[Take, tuple[Path, str]]:
    """Render every festival take in ONE festival process (voice loading dominates its cost).

    Diphone voices honour Duration_Stretch; the HTS voice ignores it, so its speed comes from
    the tape-speed pitch change alone.
    """
    if not takes:
        return {}
    lines, out, current = [], {}, None
    for n, take in enumerate(takes):
        if take.voice.name != current:
            current = take.voice.name
            lines.append(f"(voice_{current})")
        stretch = take.pitch / take.speed
        wav = workdir / f"festival-{n:05d}.wav"
        text = take.spoken.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f"(Parameter.set 'Duration_Stretch {stretch:.4f})")
        lines.append(f'(utt.save.wave (SynthText "{text}") "{wav}" \'riff)')
        out[take] = (wav, f'festival (voice_{current}) Duration_Stretch={stretch:.4f} (SynthText "{text}")')
    script = workdir / "festival-batch.scm"
    script.write_text("\n".join(lines) + "\n")
    voices = sorted({t.voice.name for t in takes})
    _run(["festival", "-b", str(script)], f"festival -b (collect.tts.festival_voices: {voices})")
    return out
