"""Recipes <-> Arrow table: one row per example, inserts as list columns in time order."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synth.common.splits import SPLITS
from synth.triggerword.recipes import PAD_CLIP, Recipes

SCALAR_COLUMNS = {  # column -> arrow type
    "example_id": pa.int64(),
    "shard": pa.int32(),
    "background_clip": pa.int32(),
    "background_offset": pa.int64(),
    "background_gain_db": pa.float32(),
    "reverb_ir": pa.int16(),
    "mix_gain_db": pa.float32(),
    "channel_center_hz": pa.float32(),
    "channel_bandwidth_hz": pa.float32(),
    "channel_rolloff_db": pa.int16(),
    "channel_clip_percentile": pa.int8(),
}
LIST_COLUMNS = {
    "insert_clip": pa.int32(),
    "insert_positive": pa.bool_(),
    "insert_start": pa.int64(),
    "insert_length": pa.int64(),
    "insert_snr_db": pa.float32(),
    "insert_gain_db": pa.float32(),
    "insert_formant_ratio": pa.float32(),
    "insert_pitch_range": pa.float32(),
}


def to_table(recipes: Recipes, metadata: dict) -> pa.Table:
    """Arrow table with `metadata` (seed, params, catalog fingerprint) stored in the schema."""
    mask = recipes.insert_mask
    offsets = pa.array(np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int32))
    columns = {
        "example_id": pa.array(recipes.example_id, pa.int64()),
        "split": pa.DictionaryArray.from_arrays(pa.array(recipes.split, pa.int8()), pa.array(SPLITS)),
    }
    columns.update(
        {name: pa.array(getattr(recipes, name), kind) for name, kind in SCALAR_COLUMNS.items() if name != "example_id"}
    )
    columns["n_positives"] = pa.array(recipes.n_positives.astype(np.int8))
    columns["n_negatives"] = pa.array(recipes.n_negatives.astype(np.int8))
    for name, kind in LIST_COLUMNS.items():
        values = pa.array(getattr(recipes, name)[mask], kind)
        columns[name] = pa.ListArray.from_arrays(offsets, values)
    meta = {"datasynth": json.dumps({**metadata, "max_inserts": int(mask.shape[1])}, sort_keys=True)}
    return pa.table(columns).replace_schema_metadata(meta)


def table_metadata(table: pa.Table) -> dict:
    raw = (table.schema.metadata or {}).get(b"datasynth")
    return json.loads(raw) if raw else {}


def from_table(table: pa.Table, max_inserts: int | None = None) -> Recipes:
    """Back to padded arrays; the width comes from the stored metadata unless given."""
    missing = [name for name in (*SCALAR_COLUMNS, *LIST_COLUMNS) if name not in table.column_names]
    if missing:
        raise ValueError(f"recipes lack the columns {missing}: written by an older version, re-run synthesise")
    k = max_inserts if max_inserts is not None else table_metadata(table).get("max_inserts")
    counts = np.asarray(pc.list_value_length(table["insert_clip"]).to_numpy(zero_copy_only=False))
    k = int(k if k is not None else counts.max(initial=0))
    n = table.num_rows
    rows = np.repeat(np.arange(n), counts)
    cols = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    padded = {}
    for name, kind in LIST_COLUMNS.items():
        flat = table[name].combine_chunks().flatten().to_numpy(zero_copy_only=False)
        fill = PAD_CLIP if name == "insert_clip" else 0
        arr = np.full((n, k), fill, dtype=kind.to_pandas_dtype())
        arr[rows, cols] = flat
        padded[name] = arr
    split = table["split"].combine_chunks()
    split_codes = np.array([SPLITS.index(s) for s in split.dictionary.to_pylist()], np.int8)[
        split.indices.to_numpy(zero_copy_only=False)
    ]
    scalars = {
        name: table[name].to_numpy().astype(kind.to_pandas_dtype(), copy=False) for name, kind in SCALAR_COLUMNS.items()
    }
    return Recipes(split=split_codes, **scalars, **padded)
