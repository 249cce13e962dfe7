"""Reading the identity dataset and the trained encoder, shared by the identity stages and CLI."""
from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.identity_params import IdentityParams
from pipeline.common.io import DataError, atomic_file

ITEMS_DIR = Path("data/identity")
TRIPLETS = Path("data/identity_triplets/triplets.parquet")
MODEL_DIR = Path("models/trained/identity")
ENCODER = MODEL_DIR / "encoder.pt"
GALLERY = MODEL_DIR / "gallery.npz"


@dataclass(frozen=True)
class ItemSet:
    items: pd.DataFrame       # item_id, identity, source, utterance, split
    data: np.ndarray          # int16 audio rows or uint8 face chips, in the table's order
    meta: dict

    @property
    def modality(self) -> str:
        return self.meta["modality"]

    def split(self, name: str) -> "ItemSet":
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
        raise DataError(f"{directory}: items.parquet has {len(items)} rows but items.npy {len(data)}; re-run identity_collect")
    return ItemSet(items, data, json.loads(paths[2].read_text()))


def encoder_spec(params: IdentityParams, pretrained: bool = True):
    from models.identity.encoder import EncoderSpec

    e = params.encoder
    return EncoderSpec(modality=params.modality, dim=e.dim, sample_rate=params.sample_rate, n_mels=e.n_mels,
                       channels=tuple(e.channels), image_backbone=e.image_backbone, image_size=e.image_size,
                       pretrained=pretrained)


def save_encoder(path: Path, encoder, spec, extra: dict) -> None:
    import torch

    buffer = io.BytesIO()
    torch.save({"spec": asdict(spec), "state_dict": encoder.state_dict(), **extra}, buffer)
    with atomic_file(path) as handle:
        handle.write(buffer.getvalue())


def load_encoder(path: str | Path = ENCODER):
    """(encoder in eval mode, its EncoderSpec, the saved extras) from a checkpoint of identity_train."""
    import torch

    from models.identity.encoder import EncoderSpec, build_encoder

    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found; train an encoder first (dvc repro identity_train)")
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    spec = EncoderSpec(**{**checkpoint["spec"], "channels": tuple(checkpoint["spec"]["channels"]), "pretrained": False})
    encoder = build_encoder(spec)
    encoder.load_state_dict(checkpoint["state_dict"])
    return encoder.eval(), spec, {k: v for k, v in checkpoint.items() if k not in ("spec", "state_dict")}
