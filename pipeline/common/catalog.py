"""Reading the word catalog that `collect` writes (data/catalog): its table and its clips as one bank.

Shared because identity encoders can be trained on the same words (identity.source: words)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.io import DataError
from synth.common.catalog import CATALOG_COLUMNS, ClipBank

CATALOG_DIR = Path("data/catalog")


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
    return ClipBank(
        samples, offsets, lengths, catalog["rms"].to_numpy(np.float32), catalog["peak"].to_numpy(np.float32)
    )
