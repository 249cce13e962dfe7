"""Recipes: what each synthesised example is made of, drawn fully vectorised.

A recipe row = one background window (clip, offset, gain) plus up to K inserted words or phrases
(clip, start sample, SNR, gain), never overlapping (min_gap apart, positive_gap after a positive), or, for the
streams' conversation clips, back to back (synth/triggerword/conversation.py), an optional
room impulse response, channel effects and vocoded inserts. When the
drawn inserts are too long for one clip together, the last ones in time order are left out. Audio is
rendered from recipes on demand (synth/triggerword/render.py), so a million examples is a small table.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from synth.common.splits import SPLITS
from synth.triggerword.channel import ChannelSpec, draw_channel
from synth.triggerword.conversation import back_to_back, peak_bound
from synth.triggerword.vocoder import VocoderSpec, draw_vocoder

NO_REVERB = -1
PAD_CLIP = -1
PEAK_LIMIT = 0.99  # rendered |sample| stays below this
NO_CHANNEL = ChannelSpec(0.0, (1000.0, 1000.0), (1.0, 1.0), 0.0, (1, 1))


@dataclass(frozen=True)
class RecipeSpec:
    """Everything recipe drawing needs, in samples and dB (built from params.yaml)."""

    clip_samples: int
    positives: tuple[int, int]
    negatives: tuple[int, int]
    min_gap_samples: int
    background_dbfs: tuple[float, float]
    snr_db: tuple[float, float]
    reverb_probability: float
    reverb_irs: int
    end_guard_samples: int = 0  # no insert ends in the clip's last samples: a detector needs time to fire
    positive_gap_samples: int = 0  # silence after a positive (min_gap_samples when larger)
    peak_limit: float = PEAK_LIMIT  # rendered |sample| stays below this (guaranteed from catalog peaks)
    channel: ChannelSpec = NO_CHANNEL  # band-pass and clipping of the whole mix (off unless params ask)
    vocoder: VocoderSpec = VocoderSpec()  # vocoder resynthesis of single inserts (off unless params ask)
    pause_samples: tuple[int, int] | None = None  # set: inserts back to back, this pause between (< 0: overlap)

    @property
    def max_inserts(self) -> int:
        return self.positives[1] + self.negatives[1]


@dataclass(frozen=True)
class ClipStats:
    """Per-clip facts recipe drawing needs: catalog columns num_samples, rms, peak."""

    lengths: np.ndarray
    rms: np.ndarray
    peak: np.ndarray


@dataclass(frozen=True)
class Pools:
    """Clip indices one split may draw from."""

    positives: np.ndarray
    negatives: np.ndarray
    backgrounds: np.ndarray


@dataclass(frozen=True)
class Recipes:
    """n recipes; insert arrays are (n, K), in time order, padded with clip -1 / length 0."""

    example_id: np.ndarray  # int64
    split: np.ndarray  # int8 index into SPLITS
    shard: np.ndarray  # int32
    background_clip: np.ndarray  # int32
    background_offset: np.ndarray  # int64
    background_gain_db: np.ndarray  # float32, final gain (mix gain included)
    insert_clip: np.ndarray  # int32 (n, K)
    insert_positive: np.ndarray  # bool (n, K)
    insert_start: np.ndarray  # int64 (n, K)
    insert_length: np.ndarray  # int64 (n, K)
    insert_snr_db: np.ndarray  # float32 (n, K)
    insert_gain_db: np.ndarray  # float32 (n, K), final gain (mix gain included)
    insert_formant_ratio: np.ndarray  # float32 (n, K), 0 = dry, else vocoded (synth/triggerword/vocoder.py)
    insert_pitch_range: np.ndarray  # float32 (n, K), the vocoded insert's pitch-contour factor
    reverb_ir: np.ndarray  # int16, NO_REVERB or an index into the impulse-response bank
    mix_gain_db: np.ndarray  # float32 <= 0: scaling that keeps the peak below the limit
    channel_center_hz: np.ndarray  # float32, 0 = no band-pass (synth/triggerword/channel.py)
    channel_bandwidth_hz: np.ndarray  # float32
    channel_rolloff_db: np.ndarray  # int16
    channel_clip_percentile: np.ndarray  # int8, 0 = no clipping

    def __len__(self) -> int:
        return len(self.example_id)

    @property
    def insert_mask(self) -> np.ndarray:
        return self.insert_clip != PAD_CLIP

    @property
    def positive_inserts(self) -> np.ndarray:
        """(n, max_inserts) bool: the slots that hold a positive (what labels, hits and voice groups count)."""
        return self.insert_positive & self.insert_mask

    @property
    def negative_inserts(self) -> np.ndarray:
        return ~self.insert_positive & self.insert_mask

    @property
    def n_positives(self) -> np.ndarray:
        return self.positive_inserts.sum(axis=1)

    @property
    def n_negatives(self) -> np.ndarray:
        return self.negative_inserts.sum(axis=1)

    def take(self, index) -> Recipes:
        return Recipes(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def without_clips(self, dropped: np.ndarray) -> Recipes:
        """The same recipes with every insert of a `dropped` clip (bool per catalog row) left out:
        silence over the background where it was, and no label."""
        gone = self.insert_mask & dropped[np.maximum(self.insert_clip, 0)]
        return replace(
            self,
            insert_clip=np.where(gone, PAD_CLIP, self.insert_clip).astype(self.insert_clip.dtype),
            insert_positive=self.insert_positive & ~gone,
            insert_length=np.where(gone, 0, self.insert_length).astype(self.insert_length.dtype),
        )

    def widened(self, width: int) -> Recipes:
        """The same recipes with room for `width` inserts (padding slots appended)."""
        extra = width - self.insert_clip.shape[1]
        if extra <= 0:
            return self
        pad = {"insert_clip": PAD_CLIP, "insert_positive": False}
        return Recipes(
            **{
                f.name: np.pad(v, ((0, 0), (0, extra)), constant_values=pad.get(f.name, 0)) if v.ndim == 2 else v
                for f in fields(self)
                for v in [getattr(self, f.name)]
            }
        )

    @staticmethod
    def concat(parts: list[Recipes], widen: bool = False) -> Recipes:
        """Recipes one after another; with `widen`, parts with fewer insert slots get padding slots."""
        widths = {p.insert_clip.shape[1] for p in parts}
        if len(widths) > 1 and widen:
            parts = [p.widened(max(widths)) for p in parts]
        elif len(widths) > 1:
            raise ValueError(f"cannot concatenate recipes with different insert widths {sorted(widths)}")
        return Recipes(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Recipes)})


class RecipeError(ValueError):
    """The catalog cannot supply what the params ask for (names the split and kind)."""


def check_pools(pools: Pools, spec: RecipeSpec, split: str) -> None:
    needs = {
        "positive": (pools.positives, spec.positives[1]),
        "negative": (pools.negatives, spec.negatives[1]),
        "background": (pools.backgrounds, 1),
    }
    for kind, (pool, wanted) in needs.items():
        if wanted > 0 and len(pool) == 0:
            raise RecipeError(
                f"split {split!r} has no {kind} clips: collect more speakers/recordings "
                f"or change synthesise.split_fractions"
            )


def draw_recipes(
    n: int,
    pools: Pools,
    stats: ClipStats,
    spec: RecipeSpec,
    rng: np.random.Generator,
    first_id: int = 0,
    split: int = 0,
    shard: int = 0,
) -> Recipes:
    """Draw n recipes. The order of rng draws is fixed, so (seed, n, inputs) -> identical recipes."""
    k = spec.max_inserts
    n_pos = rng.integers(spec.positives[0], spec.positives[1] + 1, n)
    n_neg = rng.integers(spec.negatives[0], spec.negatives[1] + 1, n)
    slot = np.arange(k)[None, :]
    active = slot < (n_pos + n_neg)[:, None]
    positive = slot < n_pos[:, None]
    clip = np.where(positive, _pick(pools.positives, rng, (n, k)), _pick(pools.negatives, rng, (n, k)))
    clip = np.where(active, clip, PAD_CLIP)

    # Random temporal order of the inserts: active slots first, shuffled; padding last.
    order = np.argsort(np.where(active, rng.random((n, k)), 2.0), axis=1, kind="stable")
    clip, positive, active = (np.take_along_axis(a, order, axis=1) for a in (clip, positive, active))
    if spec.pause_samples is None:
        active = _fitting(clip, active, positive, stats.lengths, spec)
        start, length = _place(clip, active, positive, stats.lengths, spec, rng)  # reads active slots only
    else:
        start, length, active = _back_to_back(clip, active, stats.lengths, spec, rng)
    clip, positive = np.where(active, clip, PAD_CLIP), positive & active

    background = _pick(pools.backgrounds, rng, (n,))
    room = stats.lengths[background] - spec.clip_samples
    if np.any(room < 0):
        raise RecipeError(f"background clip {int(background[np.argmin(room)])} is shorter than one example")
    offset = np.floor(rng.random(n) * (room + 1)).astype(np.int64)

    bg_dbfs = rng.uniform(*spec.background_dbfs, n)
    snr = rng.uniform(*spec.snr_db, (n, k))
    bg_gain = 10 ** (bg_dbfs / 20) / stats.rms[background]
    safe_clip = np.where(active, clip, 0)
    ins_gain = np.where(active, 10 ** ((bg_dbfs[:, None] + snr) / 20) / stats.rms[safe_clip], 0.0)
    reverb = np.where(rng.random(n) < spec.reverb_probability, rng.integers(0, spec.reverb_irs, n), NO_REVERB)

    # The mix's peak is at most the background's plus the inserts' sounding at once (the largest one's alone
    # when they never overlap).
    bound = bg_gain * stats.peak[background] + peak_bound(start, length, ins_gain * stats.peak[safe_clip])
    mix = np.minimum(1.0, spec.peak_limit / bound)
    channel = draw_channel(n, spec.channel, rng)  # drawn after the rest: the draws above do not depend on it
    vocoder = draw_vocoder(active, spec.vocoder, rng)  # drawn last, for the same reason
    return Recipes(
        example_id=first_id + np.arange(n, dtype=np.int64),
        split=np.full(n, split, np.int8),
        shard=np.full(n, shard, np.int32),
        background_clip=background.astype(np.int32),
        background_offset=offset,
        background_gain_db=_db(bg_gain * mix),
        insert_clip=clip.astype(np.int32),
        insert_positive=positive & active,
        insert_start=start,
        insert_length=length,
        insert_snr_db=np.where(active, snr, 0.0).astype(np.float32),
        insert_gain_db=np.where(active, _db(ins_gain * mix[:, None]), 0.0).astype(np.float32),
        insert_formant_ratio=vocoder.formant_ratio,
        insert_pitch_range=vocoder.pitch_range,
        reverb_ir=reverb.astype(np.int16),
        mix_gain_db=_db(mix),
        channel_center_hz=channel.center_hz,
        channel_bandwidth_hz=channel.bandwidth_hz,
        channel_rolloff_db=channel.rolloff_db,
        channel_clip_percentile=channel.clip_percentile,
    )


def _pick(pool: np.ndarray, rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Uniform draws from a pool; an empty pool still consumes the draw (keeps rng order fixed)."""
    draws = rng.integers(0, max(len(pool), 1), shape)
    return np.asarray(pool)[draws] if len(pool) else np.full(shape, PAD_CLIP)


def _gaps_after(active: np.ndarray, positive: np.ndarray, spec: RecipeSpec) -> np.ndarray:
    """(n, K) silence each active slot needs before the next insert: min_gap, or positive_gap after a
    positive (the word twice within a second is not how people speak, and the second would fall in the
    first one's refractory period)."""
    after_positive = max(spec.min_gap_samples, spec.positive_gap_samples)
    return np.where(active, np.where(positive, after_positive, spec.min_gap_samples), 0).astype(np.int64)


def _fitting(
    clip: np.ndarray, active: np.ndarray, positive: np.ndarray, lengths: np.ndarray, spec: RecipeSpec
) -> np.ndarray:
    """The active slots that fit, in time order, into one clip (less its end guard) with their gaps between
    them; later slots that would not fit are dropped (inserts are in random order, so a random subset)."""
    length = np.where(active, lengths[np.where(active, clip, 0)], 0).astype(np.int64)
    gaps = _gaps_after(active, positive, spec)
    needed = np.cumsum(length + gaps, axis=1) - gaps  # a slot's own trailing gap is not needed
    return active & (needed <= spec.clip_samples - spec.end_guard_samples)


def _place(
    clip: np.ndarray,
    active: np.ndarray,
    positive: np.ndarray,
    lengths: np.ndarray,
    spec: RecipeSpec,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Uniform non-overlapping placement without rejection: spread the free samples as random
    sorted gaps between the inserts (kept in their drawn order), with each slot's gap after it."""
    length = np.where(active, lengths[np.where(active, clip, 0)], 0).astype(np.int64)
    gaps = _gaps_after(active, positive, spec)
    count = active.sum(axis=1)
    last = np.take_along_axis(gaps, np.maximum(count - 1, 0)[:, None], axis=1)[:, 0]  # active slots come first
    room = spec.clip_samples - spec.end_guard_samples
    free = room - length.sum(axis=1) - (gaps.sum(axis=1) - last)
    if np.any(free < 0):
        raise RecipeError(
            f"inserts need {int(room - free.min())} samples, more than the {room} of one example "
            f"(less its end guard): lower synthesise.positives/negatives"
        )
    slack = np.floor(rng.random(clip.shape) * (free[:, None] + 1)).astype(np.int64)
    slack = np.sort(np.where(active, slack, spec.clip_samples + 1), axis=1)  # padding sorts last
    before = np.cumsum(length + gaps, axis=1) - (length + gaps)
    start = np.where(active, slack + before, 0)
    return start, length


def _back_to_back(
    clip: np.ndarray, active: np.ndarray, lengths: np.ndarray, spec: RecipeSpec, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, length, kept): the active slots as conversation (synth/triggerword/conversation.py)."""
    length = np.where(active, lengths[np.where(active, clip, 0)], 0).astype(np.int64)
    start, kept = back_to_back(length, active, spec.pause_samples, spec.clip_samples - spec.end_guard_samples, rng)
    return start, np.where(kept, length, 0), kept


def _db(gain: np.ndarray) -> np.ndarray:
    return (20 * np.log10(np.maximum(gain, 1e-12))).astype(np.float32)


def db_to_gain(db: np.ndarray) -> np.ndarray:
    return (10 ** (np.asarray(db, np.float64) / 20)).astype(np.float32)


def shard_rng(seed: int, split: str, shard: int) -> np.random.Generator:
    """The generator of one shard: independent of how many shards run, or where."""
    return np.random.default_rng(np.random.SeedSequence([seed, SPLITS.index(split), shard]))


def draw_split(
    split: str, n: int, pools: Pools, stats: ClipStats, spec: RecipeSpec, seed: int, shard_size: int, first_id: int
) -> Recipes:
    """All recipes of one split, shard by shard (a shard is the unit of parallel work)."""
    check_pools(pools, spec, split)
    parts = [
        draw_shard(split, shard, n, pools, stats, spec, seed, shard_size, first_id)
        for shard in range(max(1, -(-n // shard_size)))
    ]
    return Recipes.concat(parts)


def draw_shard(
    split: str,
    shard: int,
    n: int,
    pools: Pools,
    stats: ClipStats,
    spec: RecipeSpec,
    seed: int,
    shard_size: int,
    first_id: int,
) -> Recipes:
    lo = shard * shard_size
    size = max(0, min(shard_size, n - lo))
    return draw_recipes(
        size, pools, stats, spec, shard_rng(seed, split, shard), first_id + lo, SPLITS.index(split), shard
    )
