"""Resemblyzer's GE2E as a baseline and as the frozen front-end of the ge2e identity encoder."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("resemblyzer")

from models.identity.encoder import build_encoder  # noqa: E402
from models.identity.pretrained_speaker import GE2EFrontEnd, resemblyzer_embeddings  # noqa: E402
from tests.helpers.specs import encoder_spec  # noqa: E402

SR = 8000


def voices(seed: int = 0) -> np.ndarray:
    """Two buzzy 'voices' (harmonic stacks at 110 and 240 Hz), three 1.5 s takes each, as int16 rows."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(1.5 * SR)) / SR
    rows = []
    for f0 in (110.0, 110.0, 110.0, 240.0, 240.0, 240.0):
        wave = sum(np.sin(2 * np.pi * f0 * k * (1 + 0.01 * rng.standard_normal()) * t) / k for k in range(1, 12))
        wave *= 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2  # syllable-like envelope
        rows.append(wave / np.abs(wave).max() * 0.3 + 0.003 * rng.standard_normal(len(t)))
    return (np.stack(rows) * 32767).astype(np.int16)


def test_frontend_agrees_with_resemblyzer_and_is_frozen():
    audio = voices()
    reference = resemblyzer_embeddings(audio, SR)
    frontend = GE2EFrontEnd(SR)
    ours = frontend(torch.from_numpy(audio.astype(np.float32) / 32768)).numpy()
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    # same network, near-same preprocessing (no VAD, one window instead of averaged partials): each take
    # is closer to Resemblyzer's vector of itself than to any of the other voice's
    similarity = ours @ reference.T
    voice = np.array([0, 0, 0, 1, 1, 1])
    own = np.diag(similarity)
    other = np.where(voice[:, None] != voice[None, :], similarity, -1).max(1)
    assert own.min() > 0.7 and (own > other).all()
    assert not any(k.startswith("network") for k in frontend.state_dict())  # weights come from the wheel
    assert not list(frontend.parameters())


def test_ge2e_projection_starts_as_the_pretrained_space_and_trains_only_its_head():
    spec = encoder_spec(frontend="ge2e", dim=256, sample_rate=SR)
    torch.manual_seed(0)
    encoder = build_encoder(spec).eval()
    x = torch.from_numpy(voices().astype(np.float32) / 32768)
    pretrained = encoder.frontend(x)
    with torch.no_grad():
        projected = encoder(x)
    # an orthogonal start keeps every pairwise distance of the pretrained vectors
    assert torch.allclose(torch.cdist(projected, projected), torch.cdist(pretrained, pretrained), atol=1e-4)
    assert {name for name, _ in encoder.named_parameters()} == {"head.weight", "head.bias"}
    same, other = torch.cdist(projected, projected)[0, 1], torch.cdist(projected, projected)[0, 4]
    assert same < other  # the two voices are apart already before training
