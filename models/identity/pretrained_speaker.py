"""Resemblyzer's pretrained GE2E speaker encoder (the `resemblyzer` wheel ships its weights; optional).

resemblyzer_embeddings: the baseline exactly as Resemblyzer is used, preprocess_wav (volume to -30 dBFS,
long silences cut by webrtcvad) then embed_utterance (1.6 s partials, averaged, unit length).
GE2EFrontEnd: the same frozen network as a torch module on raw waveforms (torchaudio's mel matches
librosa's to 1e-6), the front-end of the `ge2e` identity encoder, whose trained projection sits on top.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

RATE = 16000  # GE2E's sample rate; 40 mel bands of 25 ms windows every 10 ms, linear power
INSTALL = "pip install --no-deps resemblyzer==0.1.4 webrtcvad==2.0.10 (./setup.sh does)"


def available() -> bool:
    try:
        import resemblyzer  # noqa: F401
    except ImportError:
        return False
    return True


def voice_encoder():
    """Resemblyzer's VoiceEncoder on CPU, in eval mode; ImportError naming the install when absent."""
    try:
        from resemblyzer import VoiceEncoder
    except ImportError as exc:
        raise ImportError(f"the GE2E speaker encoder needs resemblyzer: {INSTALL}") from exc
    return VoiceEncoder("cpu", verbose=False).eval()


def resemblyzer_embeddings(audio_pcm16: np.ndarray, sample_rate: int, batch: int = 256) -> np.ndarray:
    """(items, 256) unit vectors, one per int16 row: Resemblyzer's embed_utterance (its partial slices,
    zero padding, mean of partials, unit length), with the partials of all items run in shared batches."""
    from resemblyzer.audio import wav_to_mel_spectrogram

    encoder = voice_encoder()
    partials, owner = [], []
    for row, pcm in enumerate(audio_pcm16):
        wav = _preprocessed(pcm, sample_rate)
        wav_slices, mel_slices = encoder.compute_partial_slices(len(wav), rate=1.3, min_coverage=0.75)
        wav = np.pad(wav, (0, max(0, wav_slices[-1].stop - len(wav))))
        mel = wav_to_mel_spectrogram(wav)
        partials += [mel[s] for s in mel_slices]
        owner += [row] * len(mel_slices)
    with torch.no_grad():
        chunks = [np.stack(partials[i : i + batch]) for i in range(0, len(partials), batch)]
        vectors = np.concatenate([encoder(torch.from_numpy(chunk)).numpy() for chunk in chunks])
    sums = np.zeros((len(audio_pcm16), vectors.shape[1]), np.float64)
    np.add.at(sums, np.asarray(owner), vectors)
    return (sums / np.linalg.norm(sums, axis=1, keepdims=True)).astype(np.float32)


def _preprocessed(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    """preprocess_wav (16 kHz, volume up to -30 dBFS, long silences cut); a clip the VAD judges (nearly)
    all silence is kept whole."""
    import librosa
    from resemblyzer import preprocess_wav
    from resemblyzer.audio import normalize_volume

    wav = preprocess_wav(pcm.astype(np.float32) / 32768.0, source_sr=sample_rate)
    if len(wav) >= RATE // 4:
        return wav
    wav = librosa.resample(pcm.astype(np.float32) / 32768.0, orig_sr=sample_rate, target_sr=RATE)
    return normalize_volume(wav, -30, increase_only=True)


class GE2EFrontEnd(torch.nn.Module):
    """Waveforms at `sample_rate` -> Resemblyzer's 256-d unit speaker vectors; frozen (no gradients, and
    its weights are not part of a checkpoint: they come from the installed wheel)."""

    def __init__(self, sample_rate: int):
        super().__init__()
        import torchaudio

        self.sample_rate = sample_rate
        self.mel = torchaudio.transforms.MelSpectrogram(
            RATE, n_fft=400, hop_length=160, n_mels=40, mel_scale="slaney", norm="slaney", pad_mode="constant"
        )
        object.__setattr__(self, "network", voice_encoder())  # not a submodule: out of state_dict and optimiser
        for p in self.network.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        import torchaudio.functional as AF

        x = waveforms.float().cpu()
        if self.sample_rate != RATE:
            x = AF.resample(x, self.sample_rate, RATE)
        x = x / (x.pow(2).mean(1, keepdim=True).sqrt() + 1e-6) * 10 ** (-30 / 20)  # -30 dBFS, as preprocess_wav
        vectors = self.network(self.mel(x).transpose(1, 2))
        return F.normalize(vectors, dim=1).to(waveforms.device)
