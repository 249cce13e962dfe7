"""synthesise stage: catalog -> data/synth/ (recipes.parquet, stream.parquet, clip_splits.parquet) + metrics.

stream.parquet holds negatives-only clips: the test stream (split test), the mining pool (split train) and
the dev stream (split dev), then each one's conversation clips (recorded speech back to back, same splits).

python -m pipeline.triggerword.synthesise [--params params.yaml]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.common.catalog import CATALOG_DIR, file_sha256, read_catalog
from pipeline.common.io import DataError, atomic_dir, run_stage, write_json
from pipeline.common.params import Params, load_params
from pipeline.triggerword.datasets import AUDIT_DIR, SYNTH_DIR, clip_stats, dropped_clips
from synth.common.splits import SPLITS, assign_catalog
from synth.triggerword.channel import ChannelSpec
from synth.triggerword.recipe_table import to_table
from synth.triggerword.recipes import ClipStats, Pools, RecipeError, Recipes, RecipeSpec, draw_split
from synth.triggerword.vocoder import VocoderSpec

log = logging.getLogger("datasynth.synthesise")
METRICS = Path("reports/metrics/synthesise.json")
STREAM_SEED = 0x57E4  # added to the seed for the stream's recipes
CONVERSATION_SEED = 0xC0A7  # ... and for their conversation clips


def recipe_spec(params: Params) -> RecipeSpec:
    s, sr = params.synthesise, params.audio.sample_rate
    return RecipeSpec(
        clip_samples=params.audio.clip_samples,
        positives=tuple(s.positives),
        negatives=tuple(s.negatives),
        min_gap_samples=int(round(s.min_gap_seconds * sr)),
        background_dbfs=tuple(s.background_dbfs),
        snr_db=tuple(s.snr_db),
        reverb_probability=s.reverb_probability,
        reverb_irs=s.reverb_irs,
        end_guard_samples=int(round(s.end_guard_seconds * sr)),
        positive_gap_samples=int(round(s.positive_gap_seconds * sr)),
        channel=ChannelSpec(**s.channel.model_dump()),
        vocoder=VocoderSpec(**s.vocoder.model_dump()),
    )


def split_spec(params: Params, split: str) -> RecipeSpec:
    """The recipe spec of one split: vocoded inserts are training data only (dev and test judge real voices)."""
    spec = recipe_spec(params)
    return spec if split == "train" else dataclasses.replace(spec, vocoder=VocoderSpec())


def split_pools(catalog: pd.DataFrame, clip_split: np.ndarray, dropped: np.ndarray | None = None) -> dict[str, Pools]:
    """Catalog rows by split and kind; `dropped` rows (the audit's) are in no pool."""
    kind = catalog["kind"].to_numpy(object)
    usable = np.ones(len(catalog), bool) if dropped is None else ~dropped
    return {
        split: Pools(
            *(
                np.flatnonzero((kind == k) & (clip_split == split) & usable)
                for k in ("positive", "negative", "background")
            )
        )
        for split in SPLITS
    }


def held_out(params: Params, catalog: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per split of synthesise.holdout, the catalog rows it holds: a named source or speaker. A name that
    matches nothing (an engine switched off, or a typo) is logged, since the split then holds less."""
    source, speaker = catalog["source"].to_numpy(object), catalog["split_group"].to_numpy(object)
    out = {}
    for split, names in params.synthesise.holdout.items():
        rows = np.zeros(len(catalog), bool)
        for name in names:
            match = (source == name) | (speaker == name)
            if not match.any():
                log.warning("synthesise.holdout.%s: %r is neither a catalog source nor a speaker", split, name)
            rows |= match
        out[split] = rows
    return out


def assign_splits(params: Params, catalog: pd.DataFrame) -> np.ndarray:
    """Each catalog row's split: speakers and background recordings never cross splits, and the sources or
    speakers of synthesise.holdout are heard in their own split only (dev and test each an unheard engine)."""
    split_rng = np.random.default_rng(np.random.SeedSequence([params.seed, 0x5917]))
    out = np.full(len(catalog), "", dtype=object)
    for split, rows in held_out(params, catalog).items():
        out[rows & (out == "")] = split
    free = out == ""
    out[free] = assign_catalog(
        catalog["kind"].to_numpy(object)[free],
        catalog["split_group"].to_numpy(object)[free],
        dict(params.synthesise.split_fractions),
        split_rng,
    )
    return out


def stream_spec(params: Params) -> RecipeSpec:
    """Negatives-only clips: the FA/h of a long stream of test-split words and backgrounds."""
    return dataclasses.replace(
        recipe_spec(params),
        positives=(0, 0),
        negatives=tuple(params.synthesise.stream.negatives),
        vocoder=VocoderSpec(),  # the mining pool looks for false accepts on the voices themselves
    )


def conversation_spec(params: Params) -> RecipeSpec:
    """Recorded speech as people talk: lines back to back, a drawn pause apart (below 0: overlapping)."""
    c, sr = params.synthesise.stream.conversation, params.audio.sample_rate
    return dataclasses.replace(
        stream_spec(params),
        negatives=tuple(c.lines),
        pause_samples=tuple(int(round(seconds * sr)) for seconds in c.pause_seconds),
    )


def recorded_speech(catalog: pd.DataFrame) -> np.ndarray:
    """Per catalog row: a negative that people said (every source but a TTS engine's)."""
    source = catalog["source"].to_numpy(object).astype(str)
    return (catalog["kind"].to_numpy(object) == "negative") & ~np.char.startswith(source, "tts:")


def stream_examples(params: Params, hours: float | None = None) -> int:
    hours = params.synthesise.stream.hours if hours is None else hours
    return int(np.ceil(hours * 3600 / params.audio.clip_seconds))


def synthesise(
    params: Params, catalog: pd.DataFrame, dropped: np.ndarray | None = None
) -> tuple[Recipes, Recipes, np.ndarray]:
    """All recipes (train, then dev, then test), the test stream's, and each catalog row's split.
    Rows marked in `dropped` keep their split but are never inserted."""
    clip_split = assign_splits(params, catalog)
    pools, stats = split_pools(catalog, clip_split, dropped), clip_stats(catalog)
    parts, first_id = [], 0
    for split in SPLITS:
        n = params.synthesise.examples[split]
        parts.append(
            draw_split(
                split,
                n,
                pools[split],
                stats,
                split_spec(params, split),
                params.seed,
                params.synthesise.shard_size,
                first_id,
            )
        )
        first_id += n
    return Recipes.concat(parts), draw_streams(params, pools, stats, recorded_speech(catalog)), clip_split


def draw_streams(params: Params, pools: dict[str, Pools], stats: ClipStats, recorded: np.ndarray) -> Recipes:
    """Negatives-only recipes: the test stream (test pools), the mining pool (train pools), then the dev stream
    (dev pools), then their conversation clips in the same order (each split's `recorded` speech), with ids
    after the splits'. Their own seed branches leave the splits' recipes, and each stream's other clips, as
    without them."""
    first_id = sum(params.synthesise.examples.values())
    parts = []
    s, c = params.synthesise.stream, params.synthesise.stream.conversation
    for split, hours in (("test", s.hours), ("train", s.mining_hours), ("dev", s.dev_hours)):
        n = stream_examples(params, hours)
        parts.append(_draw_stream(params, split, n, pools[split], stats, stream_spec(params), STREAM_SEED, first_id))
        first_id += n
    for split, hours in (("test", c.hours), ("train", c.mining_hours), ("dev", c.dev_hours)):
        n = stream_examples(params, hours)
        if n == 0:
            continue
        lines = dataclasses.replace(pools[split], negatives=pools[split].negatives[recorded[pools[split].negatives]])
        if not len(lines.negatives):
            raise RecipeError(
                f"split {split!r} has no recorded speech for synthesise.stream.conversation: add speech packages "
                f"(collect.speech_packages) or set its hours to 0"
            )
        spec = conversation_spec(params)
        parts.append(_draw_stream(params, split, n, lines, stats, spec, CONVERSATION_SEED, first_id))
        first_id += n
    return Recipes.concat(parts, widen=True)


def first_conversation_id(params: Params) -> int:
    """Stream clips from this example id on are conversation clips (draw_streams' order)."""
    s = params.synthesise.stream
    return sum(params.synthesise.examples.values()) + sum(
        stream_examples(params, hours) for hours in (s.hours, s.mining_hours, s.dev_hours)
    )


def _draw_stream(
    params: Params, split: str, n: int, pools: Pools, stats: ClipStats, spec: RecipeSpec, branch: int, first_id: int
) -> Recipes:
    return draw_split(split, n, pools, stats, spec, params.seed + branch, params.synthesise.shard_size, first_id)


def recipe_table(
    params: Params, recipes: Recipes, catalog_sha256: str, spec: RecipeSpec | None = None, **specs: RecipeSpec
) -> pa.Table:
    """The recipes with their provenance (seed, spec and any other `specs`, catalog hash) in the schema."""
    metadata = {
        "seed": params.seed,
        "spec": dataclasses.asdict(spec or recipe_spec(params)),
        **{name: dataclasses.asdict(other) for name, other in specs.items()},
        "catalog_sha256": catalog_sha256,
        "sample_rate": params.audio.sample_rate,
    }
    return to_table(recipes, metadata)


def summary(recipes: Recipes, catalog: pd.DataFrame, clip_split: np.ndarray) -> dict:
    metrics = {}
    for code, split in enumerate(SPLITS):
        part = recipes.take(recipes.split == code)
        rows = clip_split == split
        metrics[split] = {
            "examples": len(part),
            "share_with_positive": float(np.mean(part.n_positives > 0)) if len(part) else 0.0,
            "mean_positives": float(np.mean(part.n_positives)) if len(part) else 0.0,
            "mean_negatives": float(np.mean(part.n_negatives)) if len(part) else 0.0,
            "reverb_share": float(np.mean(part.reverb_ir >= 0)) if len(part) else 0.0,
            "speakers": int(catalog.loc[rows & (catalog["kind"] != "background"), "split_group"].nunique()),
            "background_recordings": int(
                catalog.loc[rows & (catalog["kind"] == "background"), "split_group"].nunique()
            ),
        }
    return metrics


def write_outputs(
    root: Path,
    params: Params,
    catalog: pd.DataFrame,
    recipes: Recipes,
    stream: Recipes,
    clip_split: np.ndarray,
    dropped: np.ndarray | None = None,
) -> dict:
    """data/synth/ (recipes.parquet, stream.parquet, clip_splits.parquet) atomically, then the stage's metrics."""
    catalog_sha256 = file_sha256(root / CATALOG_DIR / "catalog.parquet")
    with atomic_dir(root / SYNTH_DIR) as out:
        pq.write_table(recipe_table(params, recipes, catalog_sha256), out / "recipes.parquet", compression="zstd")
        table = recipe_table(
            params, stream, catalog_sha256, stream_spec(params), conversation_spec=conversation_spec(params)
        )
        pq.write_table(table, out / "stream.parquet", compression="zstd")
        splits = pd.DataFrame(
            {
                "clip_index": catalog["clip_index"],
                "clip_id": catalog["clip_id"],
                "kind": catalog["kind"],
                "split_group": catalog["split_group"],
                "split": clip_split,
            }
        )
        splits.to_parquet(out / "clip_splits.parquet", index=False)
    metrics = summary(recipes, catalog, clip_split)
    for code, part in (
        (SPLITS.index("test"), "stream"),
        (SPLITS.index("train"), "mining_pool"),
        (SPLITS.index("dev"), "dev_stream"),
    ):
        examples = int(np.sum(stream.split == code))
        talk = int(np.sum((stream.split == code) & (stream.example_id >= first_conversation_id(params))))
        metrics[part] = {
            "examples": examples,
            "hours": examples * params.audio.clip_seconds / 3600,
            "conversation_hours": talk * params.audio.clip_seconds / 3600,
        }
    metrics["holdout"] = {split: list(names) for split, names in params.synthesise.holdout.items()}
    metrics["audit_dropped"] = 0 if dropped is None else int(dropped.sum())  # clips never inserted
    write_json(root / METRICS, metrics)
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    params = load_params(args.params)
    catalog = read_catalog(CATALOG_DIR)
    dropped = dropped_clips(params, catalog, AUDIT_DIR)
    try:
        recipes, stream, clip_split = synthesise(params, catalog, dropped)
    except RecipeError as exc:
        raise DataError(f"{CATALOG_DIR}/catalog.parquet: {exc}") from None
    metrics = write_outputs(Path("."), params, catalog, recipes, stream, clip_split, dropped)
    log.info(
        "wrote %d recipes to %s (%s)",
        len(recipes),
        SYNTH_DIR,
        ", ".join(f"{s}: {metrics[s]['examples']}" for s in SPLITS),
    )


if __name__ == "__main__":
    run_stage(main, "synthesise")
