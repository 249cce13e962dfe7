"""Which clips a data group holds, and the training subsets of the data-value study (pure numpy).

A group is a set of catalog rows: every clip of some sources (`tts:kokoro`, `fotaq`), or the computed
near-miss words said by the TTS engines. An arm leaves the group's inserts out of the same training recipes
(Recipes.without_clips: silence over the background where they were), so an arm differs from the baseline
in that group's audio and nothing else: not in the examples' number, backgrounds or other inserts.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from synth.triggerword.recipes import PAD_CLIP, Recipes

NEAR_MISSES = "near_misses"


def group_clips(
    source: np.ndarray, word: np.ndarray, kind: np.ndarray, members: tuple[str, ...], near_misses: set[str]
) -> np.ndarray:
    """Bool per catalog row: the clips of `members` (catalog sources, or NEAR_MISSES: the TTS clips of the
    computed near-miss words)."""
    if members == (NEAR_MISSES,):
        words = np.char.lower(np.asarray(word, str))
        tts = np.char.startswith(np.asarray(source, str), "tts:")
        return (np.asarray(kind) == "negative") & tts & np.isin(words, sorted(near_misses))
    return np.isin(np.asarray(source, str), list(members))


def other_positives(in_group: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """The "only" arm's removal: every positive clip outside the group (its negatives all stay)."""
    return (np.asarray(kind) == "positive") & ~in_group


def changed_rows(before: Recipes, after: Recipes) -> np.ndarray:
    """Rows whose inserts differ: the only examples an arm has to render and embed again."""
    return np.flatnonzero((before.insert_clip != after.insert_clip).any(axis=1))


def removed_inserts(before: Recipes, after: Recipes) -> dict[str, int]:
    gone = before.insert_mask & ~after.insert_mask
    return {
        "positive": int((gone & before.insert_positive).sum()),
        "negative": int((gone & ~before.insert_positive).sum()),
    }


def example_subset(n: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted rows of a seeded subset holding `fraction` of n examples (at least one)."""
    size = max(1, int(round(fraction * n)))
    return np.sort(rng.choice(n, size=min(size, n), replace=False))


def positive_speakers(recipes: Recipes, clip_speaker: np.ndarray) -> np.ndarray:
    """The distinct speaker codes of the recipes' positive inserts, sorted."""
    return np.unique(clip_speaker[recipes.insert_clip[recipes.positive_inserts]])


def speaker_swap(
    recipes: Recipes, clip_speaker: np.ndarray, speakers: int, rng: np.random.Generator
) -> tuple[np.ndarray, Recipes, int]:
    """(chosen speakers, recipes, inserts left out): `speakers` of the positive speakers drawn without
    replacement, and the same recipes with every other speaker's positive insert swapped for a positive of a
    chosen speaker's, drawn among those no longer than it and placed to end where it ended. The examples,
    their number of positives, label times, backgrounds and negatives stay; only who says the word changes.
    The gain stays too (words are peak-normalised, so the mix's peak bound holds). An insert that no chosen
    clip fits into is left out. `clip_speaker`: an integer speaker code per catalog row."""
    everyone = positive_speakers(recipes, clip_speaker)
    chosen = np.sort(rng.choice(everyone, size=min(speakers, len(everyone)), replace=False))
    clip = recipes.insert_clip
    speaker_of = clip_speaker[np.maximum(clip, 0)]
    own = recipes.positive_inserts & np.isin(speaker_of, chosen)
    pool, first = np.unique(clip[own], return_index=True)  # the chosen speakers' positives these recipes use
    pool_length = recipes.insert_length[own][first]
    order = np.argsort(pool_length, kind="stable")
    pool, pool_length = pool[order], pool_length[order]
    rows, slots = np.nonzero(recipes.positive_inserts & ~own)
    room = recipes.insert_length[rows, slots]
    fits = np.searchsorted(pool_length, room, side="right")  # pool[:fits] are no longer than the insert
    pick = (rng.random(len(rows)) * fits).astype(np.int64)  # < fits; an insert with fits 0 is left out below
    new_clip, new_length = clip.copy(), recipes.insert_length.copy()
    start, positive = recipes.insert_start.copy(), recipes.insert_positive.copy()
    ok, lost = fits > 0, (rows[fits == 0], slots[fits == 0])
    r, k = rows[ok], slots[ok]
    new_clip[r, k], new_length[r, k] = pool[pick[ok]], pool_length[pick[ok]]
    start[r, k] += room[ok] - new_length[r, k]  # ends where the swapped-out insert ended
    new_clip[lost], new_length[lost], positive[lost] = PAD_CLIP, 0, False
    swapped = replace(
        recipes, insert_clip=new_clip, insert_length=new_length, insert_start=start, insert_positive=positive
    )
    return chosen, swapped, int(len(lost[0]))
