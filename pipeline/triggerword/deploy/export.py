"""Materialise recipes as WAV + label files, for listening or for other frameworks.

    python -m pipeline.triggerword.deploy.export --split dev --count 20 --out exports/dev
Writes <example_id>.wav (16-bit PCM), <example_id>.labels.npy (Ty float32) and manifest.csv
(one row per example: its inserts' words, speakers, start/end seconds).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.catalog import load_bank
from pipeline.common.io import DataError, atomic_dir, atomic_file, run_stage
from pipeline.common.params import Params, load_params
from pipeline.triggerword.datasets import SynthData, read_recipes, renderer
from synth.common.splits import SPLITS
from synth.triggerword.labels import label_matrix
from synth.triggerword.recipes import Recipes

log = logging.getLogger("datasynth.export")


def select(recipes: Recipes, split: str, count: int, example_ids: list[int] | None) -> Recipes:
    if example_ids:
        found = np.isin(example_ids, recipes.example_id)
        if not found.all():
            raise DataError(f"data/synth/recipes.parquet: no example ids {list(np.asarray(example_ids)[~found])}")
        return recipes.take(np.flatnonzero(np.isin(recipes.example_id, example_ids)))
    rows = np.flatnonzero(recipes.split == SPLITS.index(split))[:count]
    return recipes.take(rows)


def manifest(batch: Recipes, catalog: pd.DataFrame, sample_rate: int) -> pd.DataFrame:
    rows = []
    for i in range(len(batch)):
        for j in np.flatnonzero(batch.insert_clip[i] >= 0):
            clip = catalog.iloc[int(batch.insert_clip[i, j])]
            start = int(batch.insert_start[i, j])
            rows.append(
                {
                    "example_id": int(batch.example_id[i]),
                    "split": SPLITS[batch.split[i]],
                    "kind": clip["kind"],
                    "word": clip["word"],
                    "speaker": clip["speaker"],
                    "clip_id": clip["clip_id"],
                    "start_s": start / sample_rate,
                    "end_s": (start + int(batch.insert_length[i, j])) / sample_rate,
                    "snr_db": float(batch.insert_snr_db[i, j]),
                    "background": catalog["clip_id"].iat[int(batch.background_clip[i])],
                }
            )
    return pd.DataFrame(rows)


def export(params: Params, data: SynthData, batch: Recipes, out: Path) -> None:
    import soundfile as sf

    used = np.unique(np.concatenate([batch.background_clip, batch.insert_clip[batch.insert_mask]]))
    audio = renderer(params, load_bank(data.catalog, rows=used)).render(batch)
    labels = label_matrix(
        batch.insert_start,
        batch.insert_length,
        batch.insert_positive,
        params.audio.clip_samples,
        params.labels.ty,
        params.labels.ones_after_end,
    )
    with atomic_dir(out) as tmp:
        for i, example_id in enumerate(batch.example_id):
            sf.write(tmp / f"{example_id}.wav", audio[i], params.audio.sample_rate, subtype="PCM_16")
            with atomic_file(tmp / f"{example_id}.labels.npy") as handle:
                np.save(handle, labels[i])
        manifest(batch, data.catalog, params.audio.sample_rate).to_csv(tmp / "manifest.csv", index=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Render recipes to WAV + label files.")
    parser.add_argument("--split", choices=SPLITS, default="dev")
    parser.add_argument("--count", type=int, default=20, help="first N examples of the split")
    parser.add_argument("--ids", type=int, nargs="*", help="example ids to export instead")
    parser.add_argument("--out", type=Path, default=Path("exports"))
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args(argv)
    if args.count < 1:
        raise DataError(f"--count {args.count}: must be >= 1")
    params = load_params(args.params)
    data = read_recipes()
    batch = select(data.recipes, args.split, args.count, args.ids)
    export(params, data, batch, args.out)
    log.info("exported %d examples to %s", len(batch), args.out)


if __name__ == "__main__":
    run_stage(main, "export")
