"""What a rater sees: images from the day/night manifest, drawn per rater, shown at one resolution."""

from __future__ import annotations

import io
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from PIL import Image

from pipeline.common.io import DataError

COLUMNS = {"image_id", "path", "label", "split"}
LABELS = ("day", "night")
DEFAULT_SPLITS = ("test", "real_night")
DISPLAY = 384  # every item is shown this big, so the size on screen never tells the resolution
RESAMPLE = Image.Resampling.BILINEAR  # both ways; PIL's bilinear downscale is antialiased


@dataclass(frozen=True)
class StudyImage:
    image_id: str
    path: Path
    label: str


def load_manifest(path: str | Path, splits: tuple[str, ...] = DEFAULT_SPLITS) -> dict[str, StudyImage]:
    """image_id -> image for the chosen splits; paths in the manifest are relative to its folder."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such manifest (build the day/night dataset first)")
    frame = pd.read_parquet(path)
    missing = COLUMNS - set(frame.columns)
    if missing:
        raise DataError(f"{path}: missing columns {sorted(missing)}")
    frame = frame[frame["split"].isin(splits)]
    if frame.empty:
        raise DataError(f"{path}: no images in splits {list(splits)}")
    if frame["image_id"].duplicated().any():
        raise DataError(f"{path}: duplicate image_id {frame['image_id'][frame['image_id'].duplicated()].iloc[0]!r}")
    bad = frame[~frame["label"].isin(LABELS)]
    if not bad.empty:
        raise DataError(
            f"{path}: image {bad['image_id'].iloc[0]!r} has label {bad['label'].iloc[0]!r}, expected one of {LABELS}"
        )
    images = {
        str(row.image_id): StudyImage(str(row.image_id), path.parent / row.path, str(row.label))
        for row in frame.itertuples()
    }
    for image in images.values():
        if not image.path.is_file():
            raise DataError(f"{path}: image {image.image_id!r}: no file {image.path}")
    return images


def draw(
    image_ids: list[str], ladder: list[int], seen: set[tuple[str, int]], rater: str, seed: int
) -> tuple[str, int] | None:
    """The rater's next (image, resolution): never one they answered, None when all are done.

    Balance: the resolution this rater has answered least (among those with images left); then,
    of the images not yet seen at it, one this rater has seen least often at any resolution, so
    memory of a sharp version biases as few blurry answers as possible. The choice is a function
    of (seed, rater, answers so far): a reload or restart draws the same item again.
    """
    rng = random.Random(f"{seed}:{rater}:{len(seen)}")
    per_res = Counter(res for _, res in seen)
    open_res = [res for res in ladder if sum((i, res) not in seen for i in image_ids)]
    if not open_res:
        return None
    fewest = min(per_res[res] for res in open_res)
    resolution = rng.choice(sorted(res for res in open_res if per_res[res] == fewest))
    views = Counter(image_id for image_id, _ in seen)
    candidates = sorted(i for i in image_ids if (i, resolution) not in seen)
    least = min(views[i] for i in candidates)
    return rng.choice([i for i in candidates if views[i] == least]), resolution


def render(path: Path, resolution: int) -> bytes:
    """PNG of the image with its longer side reduced to `resolution` px, then enlarged to DISPLAY."""
    try:
        with Image.open(path) as source:
            image = source.convert("RGB")
    except OSError as exc:
        raise DataError(f"{path}: unreadable image ({exc})") from exc
    small = image.resize(_fit(image.size, resolution), RESAMPLE)
    shown = small.resize(_fit(image.size, DISPLAY), RESAMPLE)
    buffer = io.BytesIO()
    shown.save(buffer, format="PNG")
    return buffer.getvalue()


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    scale = longest / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))
