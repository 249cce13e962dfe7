"""Reading the stage outputs back: catalog, clip bank, recipes, and a renderer for them."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from pipeline.config import Params
from pipeline.io import DataError
from synth.catalog import CATALOG_COLUMNS, ClipBank
from synth.recipe_table import from_table, table_metadata
from synth.recipes import ClipStats, Recipes
from synth.render import NumpyRenderer, TorchRenderer, impulse_responses

CATALOG_DIR = Path("data/catalog")
SYNTH_DIR = Path("data/synth")


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_catalog(catalog_dir: str | Path = CATALOG_DIR) -> pd.DataFrame:
    path = Path(catalog_dir) / "catalog.parquet"
    if not path.exists():
        raise DataError(f"{path}: not found; run the collect stage first (dvc repro collect)")
    frame = pd.read_parquet(path)
    missing = [c for c in CATALOG_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing columns {missing}")
    if not np.array_equal(frame["clip_index"].to_numpy(), np.arange(len(frame))):
        raise DataError(f"{path}: clip_index is not the row number")
    return frame


def clip_stats(catalog: pd.DataFrame) -> ClipStats:
    return ClipStats(lengths=catalog["num_samples"].to_numpy(np.int64), rms=catalog["rms"].to_numpy(np.float64),
                     peak=catalog["peak"].to_numpy(np.float64))


def load_bank(catalog: pd.DataFrame, catalog_dir: str | Path = CATALOG_DIR, rows=None) -> ClipBank:
    """Read the prepared WAVs into one int16 bank (all rows, or just `rows`, others left empty)."""
    import soundfile as sf

    wanted = np.zeros(len(catalog), bool)
    wanted[np.arange(len(catalog)) if rows is None else np.asarray(rows)] = True
    lengths = np.where(wanted, catalog["num_samples"].to_numpy(np.int64), 0)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    samples = np.empty(int(lengths.sum()), np.int16)
    for i in np.flatnonzero(wanted):
        path = Path(catalog_dir) / catalog["path"].iat[i]
        try:
            pcm, _ = sf.read(path, dtype="int16")
        except Exception as exc:  # soundfile raises several types for unreadable files
            raise DataError(f"{path}: unreadable prepared clip ({exc}); re-run collect") from None
        if len(pcm) != lengths[i]:
            raise DataError(f"{path}: has {len(pcm)} samples, the catalog says {lengths[i]}; re-run collect")
        samples[offsets[i] : offsets[i] + lengths[i]] = pcm
    return ClipBank(samples, offsets, lengths, catalog["rms"].to_numpy(np.float32),
                    catalog["peak"].to_numpy(np.float32))


@dataclass(frozen=True)
class SynthData:
    """Recipes plus the clip metadata needed to render and label them."""

    recipes: Recipes
    metadata: dict
    catalog: pd.DataFrame


def read_recipes(synth_dir: str | Path = SYNTH_DIR, catalog_dir: str | Path = CATALOG_DIR) -> SynthData:
    path = Path(synth_dir) / "recipes.parquet"
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
        return NumpyRenderer(bank, responses, params.audio.clip_samples)
    return TorchRenderer(bank, responses, params.audio.clip_samples, device)
