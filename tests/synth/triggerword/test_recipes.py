"""Recipe drawing: counts, non-overlap, peak bound, determinism, shard independence."""

import dataclasses

import numpy as np
import pytest

from synth.common.catalog import ClipBank
from synth.triggerword.recipe_table import from_table, to_table
from synth.triggerword.recipes import ClipStats, Pools, RecipeError, Recipes, RecipeSpec, draw_shard, draw_split

SR = 8000
N = 10 * SR


def toy_bank(seed: int = 0) -> ClipBank:
    rng = np.random.default_rng(seed)
    words = [rng.uniform(-0.8, 0.8, int(SR * rng.uniform(0.2, 1.5))) for _ in range(30)]
    backgrounds = [rng.uniform(-0.5, 0.5, N + int(SR * rng.uniform(0, 3))) for _ in range(6)]
    return ClipBank.from_clips(words + backgrounds)


BANK = toy_bank()
STATS = ClipStats(BANK.lengths, BANK.rms.astype(float), BANK.peak.astype(float))
POOLS = Pools(np.arange(0, 15), np.arange(15, 30), np.arange(30, 36))
SPEC = RecipeSpec(N, (0, 4), (0, 2), int(0.05 * SR), (-45.0, -20.0), (0.0, 20.0), 0.3, 8)


def draw(n=2000, seed=7, spec=SPEC, shard_size=500) -> Recipes:
    return draw_split("train", n, POOLS, STATS, spec, seed, shard_size, 0)


def test_counts_within_ranges_and_all_counts_occur():
    r = draw()
    assert set(np.unique(r.n_positives)) == {0, 1, 2, 3, 4}
    assert set(np.unique(r.n_negatives)) == {0, 1, 2}


def test_inserts_never_overlap_and_stay_inside_the_clip():
    r = draw()
    for i in range(len(r)):
        active = np.flatnonzero(r.insert_mask[i])
        starts, ends = r.insert_start[i, active], r.insert_start[i, active] + r.insert_length[i, active]
        assert np.all(starts[1:] >= ends[:-1] + SPEC.min_gap_samples), i
        assert np.all(starts >= 0) and np.all(ends <= N)


def test_inserts_come_from_the_right_pools_and_lengths_match():
    r = draw()
    m = r.insert_mask
    assert np.isin(r.insert_clip[m & r.insert_positive], POOLS.positives).all()
    assert np.isin(r.insert_clip[m & ~r.insert_positive], POOLS.negatives).all()
    assert np.array_equal(r.insert_length[m], BANK.lengths[r.insert_clip[m]])
    assert np.isin(r.background_clip, POOLS.backgrounds).all()
    assert np.all(r.background_offset + N <= BANK.lengths[r.background_clip])


def test_positions_are_spread_over_the_whole_clip():
    r = draw()
    starts = r.insert_start[r.insert_mask]
    hist, _ = np.histogram(starts, bins=10, range=(0, N))
    assert hist.min() > 0.3 * hist.mean()  # no region of the clip is starved


def test_snr_is_the_level_difference_the_gains_produce():
    r = draw(spec=dataclasses.replace(SPEC, reverb_probability=0.0))
    i, j = np.argwhere(r.insert_mask)[0]
    bg_level = 20 * np.log10(STATS.rms[r.background_clip[i]]) + r.background_gain_db[i]
    ins_level = 20 * np.log10(STATS.rms[r.insert_clip[i, j]]) + r.insert_gain_db[i, j]
    assert ins_level - bg_level == pytest.approx(r.insert_snr_db[i, j], abs=1e-3)


def test_same_seed_same_recipes_other_seed_different():
    a, b, c = draw(seed=3), draw(seed=3), draw(seed=4)
    for f in dataclasses.fields(Recipes):
        assert np.array_equal(getattr(a, f.name), getattr(b, f.name)), f.name
    assert not np.array_equal(a.insert_start, c.insert_start)


def test_a_shard_is_the_same_drawn_alone_or_with_the_rest():
    whole = draw(n=1200, shard_size=500)
    alone = draw_shard("train", 2, 1200, POOLS, STATS, SPEC, 7, 500, 0)
    assert len(alone) == 200
    assert np.array_equal(alone.insert_start, whole.insert_start[1000:])
    assert np.array_equal(alone.example_id, np.arange(1000, 1200))


def test_table_round_trip_is_exact():
    r = draw(n=300)
    back = from_table(to_table(r, {"seed": 7}))
    for f in dataclasses.fields(Recipes):
        assert np.array_equal(getattr(r, f.name), getattr(back, f.name)), f.name


def test_inserts_that_do_not_fit_together_are_left_out_the_last_first():
    long_bank = ClipBank.from_clips([np.full(3 * SR, 0.1)] * 4 + [np.full(N, 0.1)])
    stats = ClipStats(long_bank.lengths, long_bank.rms.astype(float), long_bank.peak.astype(float))
    pools = Pools(np.arange(4), np.arange(4), np.array([4]))
    r = draw_split("train", 50, pools, stats, dataclasses.replace(SPEC, positives=(4, 4), negatives=(0, 0)), 0, 50, 0)
    assert (r.n_positives == 3).all()  # 3 x 3 s + gaps fit in 10 s, a fourth does not
    assert (r.insert_clip[:, 3] == -1).all() and not r.insert_positive[:, 3].any()
    ends = r.insert_start + r.insert_length
    assert (ends[:, :3] <= N).all() and (r.insert_start[:, 1:3] >= ends[:, :2]).all()


def test_an_empty_pool_names_the_split_and_kind():
    with pytest.raises(RecipeError, match="split 'dev' has no positive clips"):
        draw_split("dev", 10, Pools(np.array([], int), POOLS.negatives, POOLS.backgrounds), STATS, SPEC, 0, 10, 0)


def test_without_clips_leaves_out_exactly_the_dropped_inserts() -> None:
    from synth.triggerword.recipes import PAD_CLIP

    n, k = 3, 2
    recipes = Recipes(
        example_id=np.arange(n, dtype=np.int64),
        split=np.zeros(n, np.int8),
        shard=np.zeros(n, np.int32),
        background_clip=np.full(n, 9, np.int32),
        background_offset=np.zeros(n, np.int64),
        background_gain_db=np.zeros(n, np.float32),
        insert_clip=np.array([[0, 1], [2, PAD_CLIP], [1, 2]], np.int32),
        insert_positive=np.array([[True, False], [True, False], [False, True]]),
        insert_start=np.full((n, k), 100, np.int64),
        insert_length=np.array([[10, 20], [30, 0], [20, 30]], np.int64),
        insert_snr_db=np.zeros((n, k), np.float32),
        insert_gain_db=np.zeros((n, k), np.float32),
        insert_formant_ratio=np.zeros((n, k), np.float32),
        insert_pitch_range=np.zeros((n, k), np.float32),
        reverb_ir=np.full(n, -1, np.int16),
        mix_gain_db=np.zeros(n, np.float32),
        channel_center_hz=np.zeros(n, np.float32),
        channel_bandwidth_hz=np.zeros(n, np.float32),
        channel_rolloff_db=np.zeros(n, np.int16),
        channel_clip_percentile=np.zeros(n, np.int8),
    )
    dropped = np.zeros(10, bool)
    dropped[2] = True  # a positive clip
    out = recipes.without_clips(dropped)
    assert out.insert_clip.tolist() == [[0, 1], [PAD_CLIP, PAD_CLIP], [1, PAD_CLIP]]
    assert out.n_positives.tolist() == [1, 0, 0] and out.n_negatives.tolist() == [1, 0, 1]
    assert out.insert_length.tolist() == [[10, 20], [0, 0], [20, 0]]
    assert out.background_clip.tolist() == [9, 9, 9] and out.insert_clip.dtype == np.int32
    assert recipes.without_clips(np.zeros(10, bool)).insert_clip.tolist() == recipes.insert_clip.tolist()


def test_a_positive_is_followed_by_its_own_gap_and_other_inserts_by_min_gap():
    gap = int(1.0 * SR)
    r = draw(spec=dataclasses.replace(SPEC, positive_gap_samples=gap))
    for i in range(len(r)):
        active = np.flatnonzero(r.insert_mask[i])
        starts, ends = r.insert_start[i, active], r.insert_start[i, active] + r.insert_length[i, active]
        needed = np.where(r.insert_positive[i, active[:-1]], gap, SPEC.min_gap_samples)
        assert np.all(starts[1:] >= ends[:-1] + needed), i
        assert np.all(ends <= N - SPEC.end_guard_samples)
    assert r.n_positives.max() >= 2  # positives still share clips, a second apart
    plain = draw(spec=dataclasses.replace(SPEC, positive_gap_samples=SPEC.min_gap_samples))
    assert np.array_equal(plain.insert_start, draw().insert_start)  # a gap no larger than min_gap changes nothing
