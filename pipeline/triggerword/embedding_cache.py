"""Each distinct clip's speech embeddings computed once, keyed by the 16-kHz audio its recipe renders to.

A key is the sha256 of the front-end's fingerprint (its two ONNX graphs, onnxruntime's version, the head
window) and the clip's float32 samples. A changed recipe, catalog clip or render param renders other audio,
so it is a new key; an unchanged clip is read back instead of embedded again, so adding recipes embeds only
the new ones. Rendering costs well under 1 % of embedding, so keying by the audio is both exact and cheap.

Each clip goes through the front-end alone, so its embeddings depend on its own audio only: a read-back
equals a recomputation byte for byte, whatever else was embedded in the same run. Entries are float16 .npy
files under data/cache/embeddings/<fingerprint>/ (git-ignored and outside DVC: deleting the folder costs
time, never correctness), or under $DATASYNTH_EMBEDDING_CACHE when set (one store shared by several
checkouts, e.g. the test suite's projects). They are read with allow_pickle=False; an unreadable entry is
embedded again.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np

from models.triggerword.speech_embedding import SpeechEmbedding, model_dir
from pipeline.common.io import atomic_file

log = logging.getLogger("datasynth.embed")
CACHE_DIR = Path(os.environ.get("DATASYNTH_EMBEDDING_CACHE") or "data/cache/embeddings")
FORMAT = b"datasynth-embeddings-v1"  # bump when the meaning of an entry changes


def fingerprint(window: int) -> str:
    """What, besides the audio, decides a clip's embeddings: the graphs, their runtime and the lead."""
    import onnxruntime

    digest = hashlib.sha256(FORMAT + f"|window={window}|onnxruntime={onnxruntime.__version__}".encode())
    for name in ("melspectrogram.onnx", "embedding_model.onnx"):
        digest.update((model_dir() / name).read_bytes())
    return digest.hexdigest()[:16]


class EmbeddingCache:
    """`embed(clip)` -> (steps, 96) float16, from the store when this audio was embedded before.
    `root=None` keeps nothing (every clip computed). Counts `computed` and `reused` for the metrics."""

    def __init__(self, front_end: SpeechEmbedding, window: int, root: Path | None = CACHE_DIR):
        self.front_end, self.window, self.store = front_end, window, root
        self.root = None if root is None else Path(root) / fingerprint(window)
        self.computed = self.reused = 0

    @staticmethod
    def audio_key(clip: np.ndarray) -> str:
        return hashlib.sha256(np.ascontiguousarray(clip, np.float32).tobytes()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npy"

    def read(self, key: str | None) -> np.ndarray | None:
        """The stored embeddings of the audio with this key (counted as reused), or None."""
        if key is None or self.root is None or not (path := self._path(key)).exists():
            return None
        try:
            stored = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            log.warning("%s: unreadable cache entry (%s); embedding the clip again", path, error)
            return None
        self.reused += 1
        return stored

    def embed(self, clip: np.ndarray) -> np.ndarray:
        return self.embed_keyed(clip)[0]

    def embed_keyed(self, clip: np.ndarray) -> tuple[np.ndarray, str]:
        """(embeddings, audio key): read back when this audio was embedded before, else computed and stored."""
        key = self.audio_key(clip)
        stored = self.read(key)
        if stored is not None:
            return stored, key
        embeddings = self.front_end.embed(np.asarray(clip, np.float32)[None], self.window)[0].astype(np.float16)
        self.computed += 1
        if self.root is not None:
            with atomic_file(self._path(key)) as handle:
                np.save(handle, embeddings, allow_pickle=False)
        return embeddings, key

    def counts(self) -> dict[str, int]:
        return {"computed": self.computed, "reused": self.reused}
