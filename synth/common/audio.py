"""Pure numpy audio helpers for preparing source clips: trim, resample, normalise, noise, windows.

Everything here takes and returns float arrays in [-1, 1] (mono, 1-D) and touches no files, so
the collect stage and the tests share one definition of "the word ends here".
"""

from __future__ import annotations

import numpy as np

NOISE_EXPONENTS = {"white": 0.0, "pink": 0.5, "brown": 1.0}  # amplitude ~ f^-exponent


def nonsilent_bounds(
    audio: np.ndarray,
    sr: int,
    top_db: float,
    floor_margin_db: float = 10.0,
    min_top_db: float = 20.0,
    max_gap_seconds: float = 0.25,
) -> tuple[int, int]:
    """[start, end) of the word in `audio`; (0, 0) if it is all zeros.

    Loud = within `top_db` of the loudest 20 ms frame, raised to `floor_margin_db` above the
    noise floor for noisy recordings (see `_noise_floor_db`), but never above `min_top_db` below
    the peak so a clean word keeps its soft consonants. The word is the run of loud frames around
    the loudest one, bridging pauses up to `max_gap_seconds` (stop closures inside a word) but
    not a lone noise burst further away. Its edges are then refined with 1 ms frames and single
    samples, so the end is exact to about a millisecond (labels go right after it).
    """
    audio = np.asarray(audio, np.float64)
    frame, hop = max(8, round(0.02 * sr)), max(1, round(0.005 * sr))
    rms = _frame_rms(audio, frame, hop)
    ref = float(rms.max())
    if ref <= 0.0:
        return 0, 0
    db = 20.0 * np.log10(np.maximum(rms / ref, 1e-10))
    threshold_db = max(-top_db, min(_noise_floor_db(db) + floor_margin_db, -min_top_db))
    first, last = _run_around_peak(db >= threshold_db, int(np.argmax(db)), int(max_gap_seconds * sr / hop))
    lo, hi = first * hop, min(len(audio), last * hop + frame)
    # Refine: first/last 1 ms frame above the level, then the first/last sample above it.
    level = ref * 10.0 ** (threshold_db / 20.0)
    fine, fine_hop = max(4, round(0.001 * sr)), max(1, round(0.00025 * sr))
    loud = np.flatnonzero(_frame_rms(audio[lo:hi], fine, fine_hop) >= level)
    if len(loud) == 0:
        return lo, hi
    start, end = lo + int(loud[0]) * fine_hop, min(hi, lo + int(loud[-1]) * fine_hop + fine)
    head = np.flatnonzero(np.abs(audio[start : start + fine]) >= level)
    tail = np.flatnonzero(np.abs(audio[end - fine : end]) >= level)
    return start + (int(head[0]) if len(head) else 0), end - fine + (int(tail[-1]) + 1 if len(tail) else fine)


def _frame_rms(audio: np.ndarray, frame: int, hop: int) -> np.ndarray:
    if len(audio) < frame:
        audio = np.pad(audio, (0, frame - len(audio)))
    frames = np.lib.stride_tricks.sliding_window_view(audio, frame)[::hop]
    return np.sqrt(np.mean(frames * frames, axis=1))


def _noise_floor_db(db: np.ndarray, max_difference_db: float = 6.0) -> float:
    """Level of the room noise, or -inf if there is none.

    Room noise sounds alike at both ends of a recording; a tightly cut word does not (it starts
    loud and fades out), so the edges (first and last tenth) count only when they agree.
    """
    edge = max(1, len(db) // 10)
    head, tail = float(np.median(db[:edge])), float(np.median(db[-edge:]))
    return min(head, tail) if abs(head - tail) <= max_difference_db else -np.inf


def _run_around_peak(loud: np.ndarray, peak: int, max_gap: int) -> tuple[int, int]:
    """First and last loud frame of the run containing `peak`, bridging gaps up to `max_gap`."""
    idx = np.flatnonzero(loud)
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts, ends = np.r_[idx[0], idx[breaks + 1]], np.r_[idx[breaks], idx[-1]]
    k = int(np.searchsorted(ends, peak))
    return int(starts[k]), int(ends[k])


def trim_silence(audio: np.ndarray, sr: int, top_db: float) -> np.ndarray:
    """The clip without leading/trailing silence (see `nonsilent_bounds`); empty if all silent."""
    start, end = nonsilent_bounds(audio, sr, top_db)
    return np.asarray(audio[start:end], np.float32)


def resample(audio: np.ndarray, sr_from: float, sr_to: float) -> np.ndarray:
    """Band-limited resampling with soxr (deterministic, fast; what librosa uses by default)."""
    import soxr

    audio = np.asarray(audio, np.float32)
    if sr_from == sr_to:
        return audio.copy()
    return np.asarray(soxr.resample(audio, sr_from, sr_to, quality="HQ"), np.float32)


def change_speed(audio: np.ndarray, factor: float) -> np.ndarray:
    """Tape-speed change: `factor` > 1 is faster *and* higher by that ratio (engine-independent
    pitch jitter for TTS voices that ignore their own pitch settings)."""
    if factor <= 0:
        raise ValueError(f"speed factor must be > 0, got {factor}")
    return resample(audio, 1000.0 * factor, 1000.0)


def peak_normalise(audio: np.ndarray, dbfs: float) -> np.ndarray:
    """Scale so that max |sample| is `dbfs` dB below full scale (all-zero input stays zero)."""
    audio = np.asarray(audio, np.float32)
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak == 0.0:
        return audio.copy()
    return (audio * np.float32(10.0 ** (dbfs / 20.0) / peak)).astype(np.float32)


def fade_edges(audio: np.ndarray, sr: int, seconds: float = 0.002) -> np.ndarray:
    """Short raised-cosine fade in/out so a tightly trimmed word does not click when inserted."""
    audio = np.asarray(audio, np.float32).copy()
    n = min(int(round(seconds * sr)), len(audio) // 2)
    if n > 0:
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n + 2)[1:-1])).astype(np.float32)
        audio[:n] *= ramp
        audio[-n:] *= ramp[::-1]
    return audio


def coloured_noise(colour: str, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """White, pink or brown noise of unit RMS: white Gaussian noise shaped in the FFT domain.

    Power falls as f^0, f^-1, f^-2; DC is removed so brown noise does not wander off.
    """
    if colour not in NOISE_EXPONENTS:
        raise ValueError(f"unknown noise colour {colour!r}; known: {sorted(NOISE_EXPONENTS)}")
    spectrum = np.fft.rfft(rng.standard_normal(n_samples))
    freqs = np.fft.rfftfreq(n_samples)
    gain = np.zeros_like(freqs)
    gain[1:] = freqs[1:] ** -NOISE_EXPONENTS[colour]
    noise = np.fft.irfft(spectrum * gain, n_samples)
    rms = float(np.sqrt(np.mean(noise * noise)))
    return (noise / rms if rms > 0 else noise).astype(np.float32)


def loop_to_length(audio: np.ndarray, n_samples: int) -> np.ndarray:
    """Repeat a short recording until it is `n_samples` long (game ambiences are made to loop)."""
    if len(audio) == 0:
        raise ValueError("cannot loop an empty recording")
    reps = -(-n_samples // len(audio))
    return np.tile(np.asarray(audio, np.float32), reps)[:n_samples]


def windows(audio: np.ndarray, window_samples: int, max_windows: int) -> list[np.ndarray]:
    """Non-overlapping windows of exactly `window_samples`; a shorter tail is dropped.

    If the recording holds more than `max_windows`, they are spread evenly over it, so a long
    recording contributes its variety rather than only its beginning.
    """
    if window_samples <= 0 or max_windows <= 0:
        raise ValueError("window_samples and max_windows must be > 0")
    available = len(audio) // window_samples
    if available <= max_windows:
        picks = range(available)
    else:
        picks = np.unique(np.round(np.linspace(0, available - 1, max_windows)).astype(int))
    return [np.asarray(audio[i * window_samples : (i + 1) * window_samples], np.float32) for i in picks]


def to_mono(audio: np.ndarray) -> np.ndarray:
    """(n,) or (n, channels) -> (n,) float32: channels averaged (what a mono mic would hear)."""
    audio = np.asarray(audio, np.float32)
    return audio.mean(axis=1, dtype=np.float32) if audio.ndim == 2 else audio
