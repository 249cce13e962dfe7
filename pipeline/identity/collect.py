"""Stage identity_collect: items with identities -> data/identity (items.parquet + items.npy).

identity.split: identities (the default, open set) puts each identity in one split, so test measures
people the encoder never trained on, as a verification system meets them; utterances (closed set) puts a
prompt (speakers) or a voice (words) in one split for every identity, so each test identity is also in
train (faces: each person's photos split between the splits).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.io import DataError, atomic_dir, run_stage, write_json
from pipeline.common.params.identity import IdentityParams
from pipeline.identity.data import stage_params
from pipeline.identity.sources import face_items, speaker_items, word_items
from synth.common.splits import SPLITS, assign_groups

log = logging.getLogger("datasynth")
OUT_DIR = Path("data/identity")
CACHE_DIR = Path("data/identity_cache")


def collect(params: IdentityParams, seed: int, sample_rate: int) -> tuple[pd.DataFrame, np.ndarray, list[dict]]:
    """(items, their data, the cross-package merge decisions)."""
    merges: list[dict] = []
    if params.source == "speakers":
        items, data = speaker_items(params, seed)
        items, merges = merge_package_speakers(items, data, params.sample_rate)
    elif params.source == "words":
        items, data = word_items(params, sample_rate, "data/catalog")
    else:
        items, data = face_items(params, CACHE_DIR)
    check_counts(items, params.min_items, params.source)
    items = items.assign(split=assign_splits(items, params, seed))
    items = drop_unsplittable(items, params.source, params.split)
    keep = items.index.to_numpy()
    return items.reset_index(drop=True), data[keep], merges


def merge_package_speakers(items: pd.DataFrame, data: np.ndarray, sample_rate: int) -> tuple[pd.DataFrame, list[dict]]:
    """Package speakers of one language who sound like one person (synth/identity/merges.py) become one
    identity; every decision is returned, merged or not, for the metrics and the report."""
    from models.identity.baselines import mfcc_stats
    from synth.identity.merges import cross_package_merges, merged_names

    names = sorted(items.identity.unique())
    if len({n.split(":", 1)[0] for n in names if ":" in n}) < 2:
        return items, []
    features = mfcc_stats(data, sample_rate)
    centroids = np.stack([features[(items.identity == n).to_numpy()].mean(axis=0) for n in names])
    decisions = cross_package_merges(names, centroids)
    renamed = merged_names(decisions)
    for old, new in sorted(renamed.items()):
        log.info("identity: %s sounds like %s: one identity", old, new)
    found = [{**vars(d), "similarity": round(d.similarity, 4), "ceiling": round(d.ceiling, 4)} for d in decisions]
    return items.assign(identity=items.identity.replace(renamed)), found


def check_counts(items: pd.DataFrame, min_items: int, source: str) -> None:
    """An identity with too few items cannot give triplets: name it rather than train on it silently."""
    if items.empty:
        raise DataError(f"identity.source {source}: no usable items")
    counts = items.identity.value_counts()
    few = counts[counts < min_items]
    if len(few):
        listed = ", ".join(f"{name!r} ({n} item{'s' * (n != 1)})" for name, n in few.sort_index().items())
        raise DataError(
            f"identity.source {source}: {listed}: each identity needs at least "
            f"identity.min_items = {min_items} usable items (an anchor needs a positive)"
        )
    if len(counts) < 2:
        raise DataError(f"identity.source {source}: only one identity ({counts.index[0]!r}); negatives need two")


def assign_splits(items: pd.DataFrame, params: IdentityParams, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 7001])
    fractions = params.split_fractions
    if params.split == "identities":
        groups = assign_groups(items.identity.tolist(), fractions, rng)
        return items.identity.map(groups).to_numpy(object)
    if params.source != "faces":
        groups = assign_groups(items.utterance.tolist(), fractions, rng)
        return items.utterance.map(groups).to_numpy(object)
    split = np.empty(len(items), object)
    for _, rows in items.groupby("identity", sort=True):
        groups = assign_groups(rows.utterance.tolist(), fractions, rng)
        split[rows.index.to_numpy()] = rows.utterance.map(groups).to_numpy(object)
    return split


def drop_unsplittable(items: pd.DataFrame, source: str, split: str) -> pd.DataFrame:
    """Closed set: every identity needs two training items (anchor + positive) and a test item to be
    scored. Open set: every split needs two identities (a negative pair)."""
    if split == "identities":
        people = items.groupby("split").identity.nunique().reindex(list(SPLITS), fill_value=0)
        few = people[people < 2]
        if len(few):
            counts = ", ".join(f"{name} has {n}" for name, n in few.items())
            raise DataError(
                f"identity.split identities: {counts} identities; each split needs at least 2: add speakers "
                "(identity.speakers, identity.speaker_packages) or change identity.split_fractions"
            )
        return items
    per_split = pd.crosstab(items.identity, items.split).reindex(columns=list(SPLITS), fill_value=0)
    bad = per_split[(per_split.train < 2) | (per_split.test < 1)]
    if bad.empty:
        return items
    if source == "words":  # many words of the catalog are said by few voices: leave them out
        log.warning("identity: %d words lack 2 train or 1 test clip and are left out", len(bad))
        return items[~items.identity.isin(bad.index)]
    raise DataError(
        f"identity.source {source}: {sorted(bad.index)[:10]} lack 2 train items or a test item "
        "after splitting; add items or change identity.split_fractions"
    )


def main(argv: list[str] | None = None) -> None:
    params = stage_params(argv, __doc__)
    items, data, merges = collect(params.identity, params.seed, params.audio.sample_rate)
    counts = pd.crosstab(items.identity, items.split)
    log.info("identity: %d items, %d identities\n%s", len(items), items.identity.nunique(), counts.to_string())
    with atomic_dir(OUT_DIR) as tmp:
        items.to_parquet(tmp / "items.parquet", index=False)
        np.save(tmp / "items.npy", data)
        write_json(
            tmp / "meta.json",
            {
                "seed": params.seed,
                "source": params.identity.source,
                "protocol": params.identity.split,
                "modality": params.identity.modality,
                "sample_rate": params.identity.sample_rate,
                "items": len(items),
                "identities": int(items.identity.nunique()),
                "per_split": {s: int((items.split == s).sum()) for s in SPLITS},
                **({"merges": merges} if merges else {}),  # one package: nothing to decide
            },
        )


if __name__ == "__main__":
    run_stage(main, "identity_collect")
