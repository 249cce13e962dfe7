"""Untrained reference encoders: what a trained identity encoder has to beat.

mfcc_stats: the mean and standard deviation of 20 MFCCs over an utterance (the classic
pre-neural speaker vector), z-scored over the set and L2-normalised like our embeddings.
Faces use dlib's pretrained 128-d ResNet (synth/faces.DlibFaceEncoder).
"""

from __future__ import annotations

import numpy as np
import torch


def mfcc_stats(audio_pcm16: np.ndarray, sample_rate: int, n_mfcc: int = 20, batch: int = 512) -> np.ndarray:
    import torchaudio.transforms as T

    mfcc = T.MFCC(
        sample_rate=sample_rate,
        n_mfcc=n_mfcc,
        melkwargs={"n_fft": int(0.025 * sample_rate), "hop_length": int(0.010 * sample_rate), "n_mels": 40},
    )
    parts = []
    with torch.no_grad():
        for i in range(0, len(audio_pcm16), batch):
            x = torch.from_numpy(audio_pcm16[i : i + batch].astype(np.float32) / 32768.0)
            coeffs = mfcc(x)  # (B, n_mfcc, frames)
            parts.append(torch.cat([coeffs.mean(-1), coeffs.std(-1)], dim=1).numpy())
    return normalise(np.concatenate(parts) if parts else np.zeros((0, 2 * n_mfcc), np.float32))


def normalise(vectors: np.ndarray) -> np.ndarray:
    """z-score each dimension over the set, then scale every row to unit length."""
    vectors = np.asarray(vectors, np.float64)
    z = (vectors - vectors.mean(0)) / (vectors.std(0) + 1e-8)
    return (z / (np.linalg.norm(z, axis=1, keepdims=True) + 1e-12)).astype(np.float32)


def baseline_embeddings(data: np.ndarray, modality: str, sample_rate: int) -> np.ndarray:
    """MFCC statistics for audio items; dlib's pretrained face vectors for aligned face chips."""
    if modality == "audio":
        return mfcc_stats(data, sample_rate)
    from synth.identity.faces import DlibFaceEncoder

    vectors = DlibFaceEncoder().encode(data)
    return (vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)).astype(np.float32)
