"""Reading the stage outputs back: catalog, clip bank, recipes, and a renderer for them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from pipeline.common.catalog import CATALOG_DIR, file_sha256, read_catalog
from pipeline.common.io import DataError
from pipeline.common.params import Params
from synth.common.catalog import ClipBank
from synth.triggerword.recipe_table import from_table, table_metadata
from synth.triggerword.recipes import ClipStats, Recipes
from synth.triggerword.render import NumpyRenderer, TorchRenderer, impulse_responses

# The negatives-only parts of stream.parquet, by split: the test stream, the mining pool, the dev stream.
STREAMS = {"stream": "test", "pool": "train", "dev_stream": "dev"}

SYNTH_DIR = Path("data/synth")
AUDIT_DIR = Path("data/audit")


def clip_stats(catalog: pd.DataFrame) -> ClipStats:
    return ClipStats(
        lengths=catalog["num_samples"].to_numpy(np.int64),
        rms=catalog["rms"].to_numpy(np.float64),
        peak=catalog["peak"].to_numpy(np.float64),
    )


@dataclass(frozen=True)
class SynthData:
    """Recipes plus the clip metadata needed to render and label them."""

    recipes: Recipes
    metadata: dict
    catalog: pd.DataFrame


def read_recipes(
    synth_dir: str | Path = SYNTH_DIR, catalog_dir: str | Path = CATALOG_DIR, name: str = "recipes.parquet"
) -> SynthData:
    """data/synth/recipes.parquet (train, dev, test) or, with name="stream.parquet", the test stream."""
    path = Path(synth_dir) / name
    if not path.exists():
        raise DataError(f"{path}: not found; run the synthesise stage first (dvc repro synthesise)")
    table = pq.read_table(path)
    metadata = table_metadata(table)
    catalog = read_catalog(catalog_dir)
    expected = metadata.get("catalog_sha256")
    actual = file_sha256(Path(catalog_dir) / "catalog.parquet")
    if expected and expected != actual:
        raise DataError(f"{path}: made from another catalog than {catalog_dir}/catalog.parquet; re-run synthesise")
    return SynthData(from_table(table), metadata, catalog)


def renderer(params: Params, bank: ClipBank, device: str | None = None):
    """Numpy renderer by default; a torch renderer on `device` ('cpu', 'cuda') when asked."""
    s = params.synthesise
    responses = impulse_responses(s.reverb_irs, s.reverb_rt60_seconds, params.audio.sample_rate, params.seed)
    if device is None:
        return NumpyRenderer(bank, responses, params.audio.clip_samples, params.audio.sample_rate)
    return TorchRenderer(bank, responses, params.audio.clip_samples, params.audio.sample_rate, device)


def audit_dropped(catalog: pd.DataFrame, audit_dir: Path = AUDIT_DIR) -> np.ndarray:
    """Per catalog row: did the audit drop it? The audit must be of this catalog."""
    path = audit_dir / "audit.parquet"
    if not path.exists():
        raise DataError(f"{path}: not found; run the audit stage first (dvc repro audit) or set audit.apply: false")
    table = pd.read_parquet(path, columns=["clip_id", "verdict"])
    unknown = set(table["clip_id"]) - set(catalog["clip_id"])
    if unknown:
        raise DataError(f"{path}: clip {sorted(unknown)[0]!r} is not in the catalog; the audit is stale (dvc repro)")
    drop = set(table.loc[table["verdict"] == "drop", "clip_id"])
    return catalog["clip_id"].isin(drop).to_numpy()


def dropped_clips(params: Params, catalog: pd.DataFrame, audit_dir: Path = AUDIT_DIR) -> np.ndarray | None:
    """What synthesis leaves out: the audit's dropped clips, or None with audit.apply: false (report only)."""
    return audit_dropped(catalog, audit_dir) if params.audit.apply else None
