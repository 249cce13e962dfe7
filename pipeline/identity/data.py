"""Reading the identity dataset and the trained encoder, shared by the identity stages and CLI."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.io import DataError, atomic_file
from pipeline.common.params.identity import IdentityParams

ITEMS_DIR = Path("data/identity")
TRIPLETS = Path("data/identity_triplets/triplets.parquet")
MODEL_DIR = Path("models/trained/identity")
ENCODER = MODEL_DIR / "encoder.pt"
GALLERY = MODEL_DIR / "gallery.npz"


@dataclass(frozen=True)
class ItemSet:
    items: pd.DataFrame  # item_id, identity, source, utterance, split
    data: np.ndarray  # int16 audio rows or uint8 face chips, in the table's order
    meta: dict

    @property
    def modality(self) -> str:
        return self.meta["modality"]

    def split(self, name: str) -> ItemSet:
        rows = np.flatnonzero(self.items.split.to_numpy() == name)
        return ItemSet(self.items.iloc[rows].reset_index(drop=True), self.data[rows], self.meta)

    def label_codes(self) -> np.ndarray:
        """Identity names as integers (sorted names), as the samplers and miners want them."""
        names = sorted(self.items.identity.unique())
        return self.items.identity.map({n: i for i, n in enumerate(names)}).to_numpy(np.int64)


def stage_params(argv: list[str] | None, description: str):
    """The identity stages' one option: --params FILE (default params.yaml), read and validated."""
    import argparse

    from pipeline.common.params import load_params

    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    return load_params(parser.parse_args(argv).params)


def read_items(directory: str | Path = ITEMS_DIR) -> ItemSet:
    directory = Path(directory)
    paths = [directory / name for name in ("items.parquet", "items.npy", "meta.json")]
    for path in paths:
        if not path.exists():
            raise DataError(f"{path}: not found; run the identity_collect stage first (dvc repro identity_collect)")
    items, data = pd.read_parquet(paths[0]), np.load(paths[1])
    if len(items) != len(data):
        raise DataError(
            f"{directory}: items.parquet has {len(items)} rows but items.npy {len(data)}; re-run identity_collect"
        )
    return ItemSet(items, data, json.loads(paths[2].read_text()))


def encoder_spec(params: IdentityParams, pretrained: bool = True):
    from models.identity.pretrained_speaker import INSTALL, available
    from models.identity.spec import EncoderSpec

    if params.modality == "audio" and params.encoder.frontend == "ge2e" and not available():
        raise DataError(f"params.yaml identity.encoder.frontend: ge2e needs resemblyzer: {INSTALL}, or set it to mel")
    return EncoderSpec(
        **params.encoder.model_dump(), modality=params.modality, sample_rate=params.sample_rate, pretrained=pretrained
    )


def save_encoder(path: Path, encoder, spec, extra: dict) -> None:
    import torch

    buffer = io.BytesIO()
    torch.save({"spec": spec.model_dump(), "state_dict": encoder.state_dict(), **extra}, buffer)
    with atomic_file(path) as handle:
        handle.write(buffer.getvalue())


def load_encoder(path: str | Path = ENCODER):
    """(encoder in eval mode, its EncoderSpec, the saved extras) from a checkpoint of identity_train."""
    import torch

    from models.identity.encoder import build_encoder
    from models.identity.spec import EncoderSpec

    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found; train an encoder first (dvc repro identity_train)")
    try:  # tensors and plain values only: a checkpoint is never unpickled
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt, truncated or foreign files
        raise DataError(f"{path}: not an identity encoder checkpoint ({type(exc).__name__})") from None
    if not isinstance(checkpoint, dict) or not {"spec", "state_dict"} <= set(checkpoint):
        raise DataError(f"{path}: not an identity encoder checkpoint (no spec / state_dict)")
    spec = EncoderSpec(**{**checkpoint["spec"], "pretrained": False})
    encoder = build_encoder(spec)
    encoder.load_state_dict(checkpoint["state_dict"])
    return encoder.eval(), spec, {k: v for k, v in checkpoint.items() if k not in ("spec", "state_dict")}
