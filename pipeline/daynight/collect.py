"""Stage `daynight_collect`: package and user photos -> square working-size images + synthetic nights.

    python -m pipeline.daynight.collect      (datasynth daynight-collect)

Writes data/daynight/ (replaced atomically):
  images/<split>/<image_id>.jpg  RGB, daynight.size px square
  images.parquet                 one row per image (the contract the labelling page reads):
      image_id, path (relative to data/daynight/), label (day|night), split (train|dev|test|real_night),
      source, synthetic, recipe (JSON of the albumentations pipeline + seed, "" for originals),
      photo_id, licence, brightness
and reports/metrics/daynight_collect.json (counts). Day photos are split by source photo (all its
variants follow it); the few real night/dusk photos form the `real_night` test slice.
"""

from __future__ import annotations

import logging
import re
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from pipeline.common.io import DataError, atomic_dir, write_json
from pipeline.common.params import load_params
from pipeline.common.params.daynight import DayNightParams
from pipeline.daynight.sources import Photo, folder_photos, package_photos
from synth.daynight.images import (
    ImageError,
    augment,
    check_rgb,
    image_seed,
    mean_brightness,
    recipe_json,
    split_sources,
    square_resize,
    variant_plan,
)

log = logging.getLogger("datasynth.daynight")
OUT_DIR = Path("data/daynight")
METRICS = Path("reports/metrics/daynight_collect.json")


def read_photo(photo: Photo, min_side: int) -> np.ndarray:
    """RGB pixels of one photo; any problem is a DataError naming the file."""
    data = np.fromfile(photo.path, dtype=np.uint8) if photo.path.is_file() else np.zeros(0, np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    try:
        if image is not None and image.ndim == 3 and image.shape[2] >= 3:
            image = cv2.cvtColor(image[:, :, :3], cv2.COLOR_BGR2RGB)
        return check_rgb(image, min_side)
    except ImageError as exc:
        raise DataError(f"{photo.path}: {exc}") from None


def safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def load_photos(params: DayNightParams) -> tuple[list[tuple[Photo, np.ndarray]], dict]:
    """Every readable photo at working size. Package problems are skips; the user's are errors."""
    photos, skipped = package_photos(params)
    for folder in params.folders:
        photos += folder_photos(folder)
    loaded = []
    for photo in photos:
        try:
            loaded.append((photo, square_resize(read_photo(photo, params.min_side), params.size)))
        except DataError as exc:
            if photo.user:
                raise
            log.warning("daynight: skipped %s", exc)
            skipped[photo.source] = skipped.get(photo.source, 0) + 1
    if not any(p.label == "day" for p, _ in loaded):
        raise DataError("daynight: no usable day photos (install the packages in daynight.sources or add folders)")
    return loaded, skipped


def make_rows(loaded: list[tuple[Photo, np.ndarray]], params: DayNightParams, seed: int, out: Path) -> list[dict]:
    """Write every image (originals and variants) under `out`; return the manifest rows."""
    day_ids = [p.photo_id for p, _ in loaded if p.label == "day"]
    splits = split_sources(day_ids, params.split_fractions, seed)
    rows = []
    for photo, image in loaded:
        split = splits.get(photo.photo_id, "real_night")
        plan = variant_plan(params.variants_per_class) if photo.label == "day" else variant_plan(1)[:1]
        index = zlib.crc32(photo.photo_id.encode())  # stable: adding a photo changes no other's seeds
        for v in plan:
            if v.kind == "original":
                pixels, recipe = image, ""
            else:
                s = image_seed(seed, index, v.number + (1000 if v.kind == "night" else 0))
                spec = params.pipelines[v.kind]
                pixels, recipe = augment(image, spec, s), recipe_json(v.kind, spec, s)
            image_id = f"{safe_id(photo.photo_id)}--{v.kind}{v.number}"
            rel = Path("images") / split / f"{image_id}.jpg"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            ok, buf = cv2.imencode(
                ".jpg", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, params.jpeg_quality]
            )
            if not ok:
                raise DataError(f"{photo.path}: could not encode variant {image_id}")
            (out / rel).write_bytes(buf.tobytes())
            label = photo.label if v.kind == "original" else v.label
            rows.append(
                {
                    "image_id": image_id,
                    "path": rel.as_posix(),
                    "label": label,
                    "split": split,
                    "source": photo.source,
                    "synthetic": v.kind != "original",
                    "recipe": recipe,
                    "photo_id": photo.photo_id,
                    "licence": photo.licence,
                    "original_path": portable_path(photo.path),
                    "brightness": round(mean_brightness(pixels), 4),
                }
            )
    return rows


def portable_path(path: Path) -> str:
    """A photo's path as recorded: one inside the Python environment (a package's sample image) relative to
    it, so that the table is the same bytes in any checkout."""
    try:
        return f"<python>/{path.resolve().relative_to(Path(sys.prefix).resolve()).as_posix()}"
    except ValueError:
        return str(path)


def summary(frame: pd.DataFrame, skipped: dict) -> dict:
    counts = frame.groupby(["split", "label"]).size()
    return {
        "images": len(frame),
        "photos": int(frame["photo_id"].nunique()),
        "real_night_photos": int((frame["split"] == "real_night").sum()),
        "per_split": {f"{s}_{l}": int(n) for (s, l), n in counts.items()},
        "sources": {k: int(v) for k, v in frame.groupby("source")["photo_id"].nunique().items()},
        "skipped": skipped,
    }


def main() -> None:
    params = load_params()
    loaded, skipped = load_photos(params.daynight)
    with atomic_dir(OUT_DIR) as out:
        frame = pd.DataFrame(make_rows(loaded, params.daynight, params.seed, out))
        frame.to_parquet(out / "images.parquet", index=False)
    stats = summary(frame, skipped)
    write_json(METRICS, stats)
    log.info("daynight_collect: %d images from %d photos (%s)", stats["images"], stats["photos"], stats["per_split"])


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "daynight_collect")
