"""Reading and writing images for the stages: RGB tensors in [0, 1], atomic writes, package image files."""

from __future__ import annotations

import gzip
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pipeline.common.io import DataError, atomic_file


@dataclass(frozen=True)
class Source:
    name: str
    path: Path
    install: str  # how to get it when it is missing
    credit: str


def readable_path(source: Source, scratch: Path) -> Path:
    """The source file, decompressing a Debian-gzipped copy (`name.jpg.gz`) into `scratch` if needed."""
    if source.path.is_file():
        return source.path
    packed = source.path.with_name(source.path.name + ".gz")
    if packed.is_file():
        target = scratch / source.path.name
        with gzip.open(packed, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        return target
    raise DataError(f"{source.path}: not found; the gallery needs it (`{source.install}`)")


def load_image(path: str | Path, size: int) -> torch.Tensor:
    """(1, 3, H, W) RGB in [0, 1] with the longer side resized to `size`; DataError names the file."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")  # greyscale, palette and RGBA inputs all become RGB
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable image ({type(exc).__name__}: {exc})") from None
    scale = size / max(image.size)
    width, height = (max(1, round(side * scale)) for side in image.size)
    image = image.resize((width, height), Image.Resampling.LANCZOS)
    array = np.asarray(image, dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0).contiguous()


def to_pil(image: torch.Tensor):
    from PIL import Image

    array = image.detach().squeeze(0).clamp(0, 1).permute(1, 2, 0).cpu().numpy()
    return Image.fromarray((array * 255.0).round().astype(np.uint8))


def image_format(path: Path) -> str:
    """PIL's format name for an output path's extension (checked before any work is done)."""
    from PIL import Image

    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"{path}: unknown image extension {path.suffix!r} (use .png or .jpg)")
    return fmt


def save_image(image: torch.Tensor, path: str | Path) -> None:
    """Write atomically; the format follows the file extension."""
    path = Path(path)
    fmt = image_format(path)
    with atomic_file(path) as handle:
        to_pil(image).save(handle, format=fmt)
