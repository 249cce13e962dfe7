"""Stage `daynight_stylize`: paint a share of the day/night training images in a few styles.

    python -m pipeline.daynight.stylize      (datasynth daynight-stylize)

Settings live in params.yaml under `style.augment` (the gallery ignores them); the loss
weights and layers come from the rest of the `style:` section, `steps`/`size` from `style.augment`.

Writes data/daynight_styled/ (replaced atomically):
  images/train/<image_id>.jpg  the stylised images, `style.augment.size` px on the longer side
  images.parquet               the day/night manifest's columns, one row per stylised image:
      split "train", synthetic True, label = the content image's label, source "style:<style id>",
      recipe = JSON {content, style, alpha, beta, tv_weight, steps, size, seed, ...}
Images are chosen from the train split only, per label (so the classes stay balanced), with a
generator seeded from `seed`; styles are dealt round-robin over the chosen images.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from pipeline.common.images import Source, load_image, readable_path, save_image
from pipeline.common.io import DataError, atomic_dir, write_json
from pipeline.common.params import ParamsError, load_params
from pipeline.common.params.style import AugmentParams, StyleParams
from synth.common.style_transfer import FeatureExtractor, StyleConfig, extractor_for, style_transfer

log = logging.getLogger("datasynth.daynight")
IN_DIR = Path("data/daynight")
OUT_DIR = Path("data/daynight_styled")
METRICS = Path("reports/metrics/daynight_stylize.json")
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
STYLE_FILES = {"starry_night": OPENCV_DATA / "starry_night.jpg", "graf1": OPENCV_DATA / "graf1.png"}
COLUMNS = [
    "image_id",
    "path",
    "label",
    "split",
    "source",
    "synthetic",
    "recipe",
    "photo_id",
    "licence",
    "original_path",
    "brightness",
]


def check_styles(augment: AugmentParams) -> None:
    unknown = sorted(set(augment.styles) - set(STYLE_FILES))
    if unknown:
        raise ParamsError(f"params.yaml: style.augment.styles: unknown {unknown}; known: {sorted(STYLE_FILES)}")


def select(frame: pd.DataFrame, share: float, styles: tuple[str, ...], seed: int) -> pd.DataFrame:
    """The training rows to stylise, each with a `style` column: round(share * n) per label, drawn
    with a generator seeded from `seed` (independent of the manifest's row order)."""
    train = frame[frame["split"] == "train"].sort_values("image_id", kind="stable")
    rng = np.random.default_rng([seed, 0x57A1E])
    picked = []
    for label in sorted(train["label"].unique()):
        rows = train[train["label"] == label]
        count = min(len(rows), max(1, round(share * len(rows))))
        picked.append(rows.iloc[np.sort(rng.choice(len(rows), size=count, replace=False))])
    chosen = pd.concat(picked).sort_values("image_id", kind="stable") if picked else train.iloc[:0]
    order = rng.permutation(len(chosen))  # deal styles over a shuffled order, so labels get a mix
    style = np.empty(len(chosen), dtype=object)
    style[order] = [styles[i % len(styles)] for i in range(len(chosen))]
    return chosen.assign(style=style).reset_index(drop=True)


def recipe(content_id: str, style_id: str, config: StyleConfig) -> dict:
    return {
        "content": content_id,
        "style": style_id,
        "alpha": config.alpha,
        "beta": config.beta,
        "tv_weight": config.tv_weight,
        "steps": config.steps,
        "size": config.size,
        "seed": config.seed,
        "optimizer": config.optimizer,
        "init": config.init,
        "lr": config.lr,
        "content_layer": config.content_layer,
        "style_layers": list(config.style_layers),
    }


def stylize_rows(
    chosen: pd.DataFrame,
    in_dir: Path,
    out_dir: Path,
    style_images: dict[str, torch.Tensor],
    config: StyleConfig,
    extractor: FeatureExtractor,
) -> pd.DataFrame:
    """Stylise every chosen row into out_dir/images/train/ and return the styled manifest."""
    rows = []
    for row in chosen.itertuples(index=False):
        content = load_image(in_dir / row.path, config.size)
        torch.manual_seed(config.seed)
        image, _ = style_transfer(content, style_images[row.style], extractor, config)
        image_id = f"{row.image_id}--style-{row.style}"
        rel = f"images/train/{image_id}.jpg"
        save_image(image, out_dir / rel)
        rows.append(
            {
                "image_id": image_id,
                "path": rel,
                "label": row.label,
                "split": "train",
                "source": f"style:{row.style}",
                "synthetic": True,
                "recipe": json.dumps(recipe(row.image_id, row.style, config), sort_keys=True),
                "photo_id": row.photo_id,
                "licence": getattr(row, "licence", ""),
                "original_path": getattr(row, "original_path", ""),
                "brightness": round(float(image.mean()), 4),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS).astype({"synthetic": bool, "brightness": float})


def augment_style_config(style: StyleParams, seed: int) -> StyleConfig:
    """The operator's settings with the augmentation's budget and the project seed."""
    return style.transfer().replace(steps=style.augment.steps, size=style.augment.size, seed=seed)


def main() -> None:
    params = load_params()
    augment = params.style.augment
    check_styles(augment)
    config = augment_style_config(params.style, params.seed)
    path = IN_DIR / "images.parquet"
    if not path.is_file():
        raise DataError(f"{path}: missing; run `dvc repro daynight_collect` first")
    frame = pd.read_parquet(path)
    chosen = select(frame, augment.share, augment.styles, params.seed)

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        style_images = {
            s: load_image(
                readable_path(Source(s, STYLE_FILES[s], "apt-get install opencv-doc", ""), Path(scratch)), config.size
            )
            for s in augment.styles
        }
    extractor = extractor_for(config)
    with atomic_dir(OUT_DIR) as out:
        styled = stylize_rows(chosen, IN_DIR, out, style_images, config, extractor)
        styled.to_parquet(out / "images.parquet", index=False)
    seconds = time.perf_counter() - start
    counts = styled.groupby(["source", "label"]).size()
    write_json(
        METRICS,
        {
            "images": len(styled),
            "train_images": int((frame["split"] == "train").sum()),
            "share": augment.share,
            "steps": config.steps,
            "size": config.size,
            "seconds": round(seconds, 2),
            "per_style_label": {f"{s}/{l}": int(n) for (s, l), n in counts.items()},
        },
    )
    log.info(
        "daynight_stylize: %d of %d training images stylised (%s) in %.1f s",
        len(styled),
        int((frame["split"] == "train").sum()),
        ", ".join(augment.styles),
        seconds,
    )


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "daynight_stylize")
