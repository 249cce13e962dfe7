"""One deterministic renderer: recipes + clip bank -> waveforms, in numpy or torch (CPU/GPU).

Per example: the background window scaled by its gain, then each insert added at its start
(optionally vocoded, optionally through a room impulse response), then the drawn channel (band-pass,
clipping). Gains
and channel parameters come from the recipe, so rendering makes no random choices; the mix gain
drawn with the recipe keeps |sample| below the peak limit (a band-pass that rings above it is
scaled back).
"""

from __future__ import annotations

import numpy as np

from synth.common.catalog import PCM_SCALE, ClipBank
from synth.triggerword.channel import apply_channel
from synth.triggerword.recipes import NO_REVERB, PEAK_LIMIT, Recipes, db_to_gain
from synth.triggerword.vocoder import vocode


def impulse_responses(count: int, rt60_range: tuple[float, float], sample_rate: int, seed: int) -> list[np.ndarray]:
    """A deterministic bank of synthetic room responses: a direct path plus an exponentially
    decaying noise tail (60 dB down after rt60), normalised to unit energy so loudness holds."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x4E7]))
    responses = []
    for rt60 in rng.uniform(*rt60_range, count):
        n = max(2, int(rt60 * sample_rate))
        t = np.arange(n) / sample_rate
        tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60) * 0.25
        tail[0] = 1.0
        responses.append((tail / np.sqrt(np.sum(tail**2))).astype(np.float32))
    return responses


class NumpyRenderer:
    """Renders on the CPU with numpy; `render(recipes)` -> float32 (n, clip_samples)."""

    def __init__(self, bank: ClipBank, responses: list[np.ndarray], clip_samples: int, sample_rate: int):
        self.bank, self.responses, self.clip_samples, self.sample_rate = bank, responses, clip_samples, sample_rate
        self._spectra: dict[tuple[int, int], np.ndarray] = {}  # (response, fft size) -> rfft

    def render(self, recipes: Recipes, out: np.ndarray | None = None) -> np.ndarray:
        n, length = len(recipes), self.clip_samples
        out = np.empty((n, length), np.float32) if out is None else out
        bg_gain = db_to_gain(recipes.background_gain_db) * np.float32(PCM_SCALE)
        ins_gain = db_to_gain(recipes.insert_gain_db) * np.float32(PCM_SCALE)
        samples, offsets = self.bank.samples, self.bank.offsets
        for i in range(n):
            _check_recipe(self.bank, recipes, i, length)
            start = offsets[recipes.background_clip[i]] + recipes.background_offset[i]
            np.multiply(samples[start : start + length], bg_gain[i], out=out[i], dtype=np.float32)
            reverb = int(recipes.reverb_ir[i])
            for j in np.flatnonzero(recipes.insert_clip[i] >= 0):
                clip = insert_audio(self.bank.clip(recipes.insert_clip[i, j]), recipes, i, j, self.sample_rate)
                at = recipes.insert_start[i, j]
                if reverb == NO_REVERB:
                    out[i, at : at + len(clip)] += clip * ins_gain[i, j]
                else:
                    out[i, at : at + len(clip)] += self._reverb(clip * ins_gain[i, j], reverb)
            if has_channel(recipes, i):
                out[i] = channel(out[i], recipes, i, self.sample_rate)
        return out

    def _reverb(self, dry: np.ndarray, reverb: int) -> np.ndarray:
        """Convolve and cut the tail at the word's end (labels follow the word; inserts stay
        apart); scaled down if needed so the peak never exceeds the dry peak the recipe's
        bound assumed. Response spectra are cached per FFT size: they are reused constantly."""
        import scipy.fft

        response = self.responses[reverb]
        size = scipy.fft.next_fast_len(len(dry) + len(response) - 1, real=True)
        spectrum = self._spectra.get((reverb, size))
        if spectrum is None:
            spectrum = self._spectra[(reverb, size)] = scipy.fft.rfft(response, size)
        wet = scipy.fft.irfft(scipy.fft.rfft(dry, size) * spectrum, size)[: len(dry)]
        return wet * np.float32(min(1.0, _peak(dry) / max(_peak(wet), 1e-12)))


def insert_audio(clip: np.ndarray, recipes: Recipes, i: int, j: int, sample_rate: int) -> np.ndarray:
    """Insert j of example i before its gain: the catalog clip, or its drawn vocoder resynthesis."""
    ratio = float(recipes.insert_formant_ratio[i, j])
    return clip if ratio <= 0 else vocode(clip, sample_rate, ratio, float(recipes.insert_pitch_range[i, j]))


def has_channel(recipes: Recipes, i: int) -> bool:
    return bool(recipes.channel_center_hz[i] > 0 or recipes.channel_clip_percentile[i] > 0)


def channel(audio: np.ndarray, recipes: Recipes, i: int, sample_rate: int) -> np.ndarray:
    """Example i's drawn channel effects, its peak kept below the limit."""
    out = apply_channel(
        audio,
        sample_rate,
        float(recipes.channel_center_hz[i]),
        float(recipes.channel_bandwidth_hz[i]),
        int(recipes.channel_rolloff_db[i]),
        int(recipes.channel_clip_percentile[i]),
    )
    peak = _peak(out)
    return out * np.float32(PEAK_LIMIT / peak) if peak > PEAK_LIMIT else out


def _check_recipe(bank, recipes: Recipes, i: int, length: int) -> None:
    """A recipe must fit the bank it is rendered from (a clip not loaded has length 0)."""
    background = recipes.background_clip[i]
    if recipes.background_offset[i] + length > bank.lengths[background]:
        raise ValueError(
            f"example {recipes.example_id[i]}: background clip {background} has "
            f"{bank.lengths[background]} samples loaded, the recipe needs "
            f"{recipes.background_offset[i] + length}"
        )
    active = recipes.insert_clip[i] >= 0
    clips = recipes.insert_clip[i][active]
    if not np.array_equal(bank.lengths[clips], recipes.insert_length[i][active]):
        raise ValueError(
            f"example {recipes.example_id[i]}: insert lengths {recipes.insert_length[i][active]} "
            f"differ from the loaded clips' {bank.lengths[clips]}"
        )


def _peak(x) -> float:
    return float(abs(x).max()) if len(x) else 0.0


class TorchRenderer:
    """The same rendering with torch on any device; the bank is moved to the device once."""

    def __init__(self, bank: ClipBank, responses: list[np.ndarray], clip_samples: int, sample_rate: int, device="cpu"):
        import torch

        self.torch, self.device, self.clip_samples = torch, torch.device(device), clip_samples
        self.sample_rate = sample_rate
        self.samples = torch.from_numpy(bank.samples).to(self.device)
        self.offsets, self.lengths = bank.offsets, bank.lengths
        self.responses = [torch.from_numpy(r).to(self.device) for r in responses]

    def render(self, recipes: Recipes):
        torch, length = self.torch, self.clip_samples
        out = torch.empty((len(recipes), length), dtype=torch.float32, device=self.device)
        bg_gain = db_to_gain(recipes.background_gain_db) * np.float32(PCM_SCALE)
        ins_gain = db_to_gain(recipes.insert_gain_db) * np.float32(PCM_SCALE)
        for i in range(len(recipes)):
            _check_recipe(self, recipes, i, length)
            start = int(self.offsets[recipes.background_clip[i]] + recipes.background_offset[i])
            torch.mul(self.samples[start : start + length], float(bg_gain[i]), out=out[i])
            reverb = int(recipes.reverb_ir[i])
            for j in np.flatnonzero(recipes.insert_clip[i] >= 0):
                c = int(recipes.insert_clip[i, j])
                clip = self.samples[int(self.offsets[c]) : int(self.offsets[c] + self.lengths[c])]
                if recipes.insert_formant_ratio[i, j] > 0:  # WORLD works on numpy: a round trip for these inserts
                    clip = torch.from_numpy(insert_audio(clip.cpu().numpy(), recipes, i, j, self.sample_rate))
                    clip = clip.to(self.device)
                dry = clip.to(torch.float32) * float(ins_gain[i, j])
                wet = dry if reverb == NO_REVERB else self._reverb(dry, self.responses[reverb])
                at = int(recipes.insert_start[i, j])
                out[i, at : at + len(clip)] += wet
            if has_channel(recipes, i):  # audiomentations works on numpy: a round trip for these few examples
                wet = channel(out[i].cpu().numpy(), recipes, i, self.sample_rate)
                out[i] = torch.from_numpy(wet).to(self.device)
        return out

    def _reverb(self, dry, response):
        torch = self.torch
        n = len(dry) + len(response) - 1
        size = 1 << (n - 1).bit_length()
        wet = torch.fft.irfft(torch.fft.rfft(dry, size) * torch.fft.rfft(response, size), size)[: len(dry)]
        scale = torch.clamp(dry.abs().max() / wet.abs().max().clamp_min(1e-12), max=1.0)
        return wet * scale
