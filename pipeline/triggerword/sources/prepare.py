"""RawClip -> prepared clips at the pipeline rate: checked, mono, resampled; words trimmed and
peak-normalised, backgrounds cut into windows. Every rejection names the clip's origin."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pipeline.common.io import DataError
from pipeline.common.params.triggerword import AudioParams, CollectParams
from pipeline.triggerword.sources.base import RawClip, slug

SILENT_PEAK = 1e-4  # below this a recording holds no usable signal (~ -80 dBFS)
BACKGROUND_PEAK_DBFS = -1.0  # backgrounds use the full 16-bit range; the renderer sets their level


class ClipRejected(DataError):
    """A clip that failed a check; `reason` is the short category counted in metrics."""

    def __init__(self, clip: RawClip, reason: str, detail: str):
        super().__init__(f"{clip.origin}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class PreparedClip:
    clip_id: str
    clip: RawClip  # audio: float32 mono at the pipeline rate, sample_rate updated


def clip_id(clip: RawClip, window: int | None = None) -> str:
    base = slug(f"{clip.source}-{clip.name}")
    return base if window is None else f"{base}-w{window:02d}"


def prepare(clip: RawClip, audio_params: AudioParams, collect: CollectParams) -> list[PreparedClip]:
    """One prepared clip per word, one per window for backgrounds; ClipRejected if unusable."""
    from synth.common.audio import resample, to_mono

    audio = _checked(clip)
    audio = resample(to_mono(audio), clip.sample_rate, audio_params.sample_rate)
    if clip.kind == "background":
        return _background_windows(clip, audio, audio_params.sample_rate, collect)
    word = _word(clip, audio, audio_params.sample_rate, collect)
    return [word] + _speed_variants(word, audio_params.sample_rate, collect)


def _checked(clip: RawClip) -> np.ndarray:
    audio = np.asarray(clip.audio)
    if audio.size == 0:
        raise ClipRejected(clip, "empty", "no audio samples")
    if audio.ndim not in (1, 2):
        raise ClipRejected(clip, "bad shape", f"audio has shape {audio.shape}, expected (samples[, channels])")
    if clip.sample_rate <= 0:
        raise ClipRejected(clip, "bad sample rate", f"sample rate {clip.sample_rate} Hz")
    if not np.all(np.isfinite(audio)):
        raise ClipRejected(clip, "non-finite", "contains NaN or infinite samples")
    peak = float(np.max(np.abs(audio)))
    if peak < SILENT_PEAK:
        raise ClipRejected(clip, "silent", f"silent (peak {peak:.1e} < {SILENT_PEAK:.0e} full scale)")
    return audio.astype(np.float32, copy=False)


def _word(clip: RawClip, audio: np.ndarray, sr: int, collect: CollectParams) -> PreparedClip:
    from synth.common.audio import fade_edges, peak_normalise, trim_silence

    word = trim_silence(audio, sr, collect.trim_top_db)
    seconds = len(word) / sr
    if seconds < collect.min_word_seconds:
        raise ClipRejected(
            clip,
            "too short",
            f"only {seconds:.3f} s of sound after trimming silence "
            f"(< collect.min_word_seconds = {collect.min_word_seconds})",
        )
    if clip.kind == "negative" and seconds > collect.max_phrase_seconds:
        raise ClipRejected(
            clip,
            "too long (phrase)",
            f"{seconds:.2f} s after trimming silence (> collect.max_phrase_seconds = {collect.max_phrase_seconds})",
        )
    if clip.kind == "positive" and seconds > collect.max_word_seconds:
        raise ClipRejected(
            clip,
            "too long (phrase)",
            f"{seconds:.2f} s after trimming silence: more than a word "
            f"(> collect.max_word_seconds = {collect.max_word_seconds})",
        )
    word = fade_edges(peak_normalise(word, collect.word_peak_dbfs), sr)
    return PreparedClip(clip_id(clip), replace(clip, audio=word, sample_rate=sr))


def _speed_variants(word: PreparedClip, sr: int, collect: CollectParams) -> list[PreparedClip]:
    """Tape-speed variants of recorded words (TTS takes are already jittered at synthesis):
    the same speaker, so a variant always lands in its original's split."""
    from synth.common.audio import change_speed

    if word.clip.source.startswith("tts:"):
        return []
    out = []
    for factor in collect.speed_variants:
        audio = change_speed(word.clip.audio, factor)
        longest = collect.max_phrase_seconds if word.clip.kind == "negative" else collect.max_word_seconds
        if collect.min_word_seconds <= len(audio) / sr <= longest:
            suffix = f"x{round(factor * 100):03d}"
            out.append(
                PreparedClip(
                    f"{word.clip_id}-{suffix}",
                    replace(
                        word.clip,
                        audio=audio,
                        name=f"{word.clip.name}-{suffix}",
                        origin=f"{word.clip.origin} (speed x{factor:g})",
                    ),
                )
            )
    return out


def _background_windows(clip: RawClip, audio: np.ndarray, sr: int, collect: CollectParams) -> list[PreparedClip]:
    """Windows of one recording; a recording shorter than a window is looped to fill one."""
    from synth.common.audio import loop_to_length, peak_normalise, windows

    n = int(round(collect.background_window_seconds * sr))
    if len(audio) < n:
        audio = loop_to_length(audio, n)
    audio = peak_normalise(audio, BACKGROUND_PEAK_DBFS)
    out = []
    for i, window in enumerate(windows(audio, n, collect.max_background_windows_per_file)):
        if float(np.max(np.abs(window))) >= SILENT_PEAK:  # a silent stretch is no background
            out.append(PreparedClip(clip_id(clip, i), replace(clip, audio=window, sample_rate=sr)))
    if not out:
        raise ClipRejected(clip, "silent", "every background window is silent")
    return out
