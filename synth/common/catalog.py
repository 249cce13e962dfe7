"""The clip catalog's schema and the in-memory clip bank the renderer reads from.

The catalog (data/catalog/catalog.parquet) has one row per prepared source clip; the audio of
row i lives in data/catalog/<path> as 16-bit PCM WAV at the pipeline sample rate. Row order is
the `clip_index`, which recipes use to refer to clips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("positive", "negative", "background")

# column -> (pandas dtype, meaning)
CATALOG_COLUMNS: dict[str, tuple[str, str]] = {
    "clip_index": ("int32", "row number; recipes refer to clips by it"),
    "clip_id": ("string", "stable readable id, unique"),
    "kind": ("string", "positive | negative | background"),
    "word": ("string", "spoken word ('' for backgrounds)"),
    "text": ("string", "everything the clip says, when known ('please activate'); else the word"),
    "source": ("string", "where the clip came from: tts:espeak-ng, ktuberling, asterisk-en, ufoai-ambience, ..."),
    "speaker": ("string", "voice or speaker (engine:voice for TTS); the recording for backgrounds"),
    "split_group": ("string", "the unit kept within one split: speaker for words, recording for backgrounds"),
    "language": ("string", "language code of the speech ('' for backgrounds)"),
    "path": ("string", "prepared audio, relative to the catalog directory"),
    "origin": ("string", "the original file or synthesis command"),
    "sample_rate": ("int32", "Hz, the pipeline rate"),
    "num_samples": ("int64", "length of the prepared clip"),
    "duration_s": ("float64", "num_samples / sample_rate"),
    "rms": ("float32", "root mean square of the prepared clip, linear full scale"),
    "peak": ("float32", "max |sample| of the prepared clip, linear full scale"),
    "sha256": ("string", "of the prepared WAV file"),
    "licence": ("string", "licence of the original recording"),
}

PCM_SCALE = 1.0 / 32768.0  # int16 -> float full scale


@dataclass(frozen=True)
class ClipBank:
    """All clips as one contiguous int16 array; clip i is samples[offsets[i]:offsets[i]+lengths[i]]."""

    samples: np.ndarray  # int16 (total,)
    offsets: np.ndarray  # int64 (n_clips,)
    lengths: np.ndarray  # int64 (n_clips,)
    rms: np.ndarray  # float32 (n_clips,), of samples * PCM_SCALE
    peak: np.ndarray  # float32 (n_clips,)

    def __len__(self) -> int:
        return len(self.offsets)

    def clip(self, index: int) -> np.ndarray:
        start = int(self.offsets[index])
        return self.samples[start : start + int(self.lengths[index])]

    @classmethod
    def from_clips(cls, clips: list[np.ndarray]) -> ClipBank:
        """Pack int16 clips (or float clips in [-1, 1], quantised) into one bank."""
        pcm = [to_pcm16(c) for c in clips]
        lengths = np.array([len(c) for c in pcm], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        samples = np.concatenate(pcm) if pcm else np.zeros(0, np.int16)
        rms = np.array([clip_rms(c) for c in pcm], dtype=np.float32)
        peak = np.array([clip_peak(c) for c in pcm], dtype=np.float32)
        return cls(samples, offsets, lengths, rms, peak)


def to_pcm16(audio: np.ndarray) -> np.ndarray:
    """float [-1, 1] -> int16 (rounded, clipped); int16 passes through."""
    if audio.dtype == np.int16:
        return audio
    return np.clip(np.round(np.asarray(audio, np.float64) * 32767.0), -32768, 32767).astype(np.int16)


def clip_rms(pcm: np.ndarray) -> float:
    x = pcm.astype(np.float64) * PCM_SCALE
    return float(np.sqrt(np.mean(x * x))) if len(x) else 0.0


def clip_peak(pcm: np.ndarray) -> float:
    return float(np.max(np.abs(pcm.astype(np.int32)))) * PCM_SCALE if len(pcm) else 0.0
