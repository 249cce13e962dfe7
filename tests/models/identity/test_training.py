"""Training an identity encoder on a tiny synthetic set lowers the triplet loss and raises TAR."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.identity import verification
from models.identity.encoder import build_encoder
from models.identity.training import embed, train_encoder
from synth.identity.triplets import mine
from tests.helpers.specs import encoder_spec, triplet_config

SR = 8000


def voices(identities: int = 4, per_identity: int = 8, seconds: float = 0.4, seed: int = 0):
    """Each 'speaker' is a vocal-tract resonance (a formant at its own frequency) over harmonics of
    a pitch drawn afresh for every item: the pitch, which dominates an untrained encoder, says
    nothing about who it is; the spectral envelope does."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(SR * seconds)) / SR
    rows, labels = [], []
    for who in range(identities):
        formant = 500.0 * 1.5**who
        for _ in range(per_identity):
            f0 = rng.uniform(100, 260)
            harmonics = np.arange(1, int(3800 / f0))
            gains = np.exp(-0.5 * ((harmonics * f0 - formant) / 180.0) ** 2) + 0.02
            wave = sum(g * np.sin(2 * np.pi * f0 * h * t + rng.uniform(0, 6.3)) for h, g in zip(harmonics, gains))
            wave = wave / np.abs(wave).max() * rng.uniform(0.3, 0.8) + rng.normal(0, 0.01, len(t))
            rows.append(np.clip(wave * 32767, -32768, 32767).astype(np.int16))
            labels.append(who)
    return np.stack(rows), np.array(labels)


def tar_at(emb: np.ndarray, labels: np.ndarray, far: float = 0.05) -> float:
    i, j, same = verification.make_pairs(labels, np.random.default_rng(0))
    d = ((emb[i] - emb[j]) ** 2).sum(1)
    return verification.tar_at_far(d, same, far)[0]


@pytest.mark.parametrize("mining", ["manifest", "batch_hard"])
def test_training_lowers_loss_and_raises_tar(mining):
    torch.manual_seed(0)
    data, labels = voices()
    spec = encoder_spec(frontend="mel", dim=16, sample_rate=SR, n_mels=24, channels=(8, 16))
    encoder = build_encoder(spec)
    device = torch.device("cpu")
    before = tar_at(embed(encoder, data, "audio", device), labels)
    manifest = mine(embed(encoder, data, "audio", device), labels, "random", 0.2, 6, np.random.default_rng(0))
    config = triplet_config(
        mining=mining,
        strategy="semihard",
        epochs=5,
        steps_per_epoch=4,
        batch_p=4,
        batch_k=4,
        triplet_batch=24,
        lr=0.01,
        margin=0.2,
        remine_every=0,
    )
    history = train_encoder(encoder, data, labels, "audio", config, device, manifest if mining == "manifest" else None)
    after = tar_at(embed(encoder, data, "audio", device), labels)
    assert history[-1]["loss"] < history[0]["loss"]
    assert after > before and after > 0.8
    assert all(0.0 <= h["active_share"] <= 1.0 for h in history)


def test_manifest_mining_needs_the_manifest():
    data, labels = voices(identities=2, per_identity=3)
    encoder = build_encoder(encoder_spec(frontend="mel", dim=8, sample_rate=SR, n_mels=16, channels=(4,)))
    with pytest.raises(ValueError, match="needs the mined triplets"):
        train_encoder(encoder, data, labels, "audio", triplet_config(mining="manifest"), torch.device("cpu"))


def test_embeddings_are_unit_vectors_and_length_free():
    data, _ = voices(identities=2, per_identity=2)
    encoder = build_encoder(encoder_spec(frontend="mel", dim=8, sample_rate=SR, n_mels=16, channels=(4, 8)))
    emb = embed(encoder, data, "audio", torch.device("cpu"))
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, rtol=1e-5)
    short = embed(encoder, data[:, : data.shape[1] // 2].copy(), "audio", torch.device("cpu"))
    assert short.shape == emb.shape
