"""Stage `daynight_train`: the shallow CNN on data/daynight at `daynight.train.resolution`.

    python -m pipeline.daynight.train      (datasynth daynight-train)

Writes models/trained/daynight/ (model.pt, predictions.parquet: P(night) for every image),
reports/metrics/daynight.json (accuracy with Wilson 95 % intervals on dev, test and real_night)
and reports/daynight/history.tsv (learning curve for `dvc plots`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import torch

from models.daynight.cnn import TrainConfig, TrainResult, predict, to_tensor, train
from pipeline.common.io import DataError, atomic_dir, atomic_file, write_json
from pipeline.common.params import Params, load_params
from synth.common.studies import wilson_interval

log = logging.getLogger("datasynth.daynight")
DATA_DIR = Path("data/daynight")
MODEL_DIR = Path("models/trained/daynight")
METRICS = Path("reports/metrics/daynight.json")
HISTORY = Path("reports/daynight/history.tsv")
EVAL_SPLITS = ("dev", "test", "real_night")


def load_manifest(data_dir: Path = DATA_DIR) -> pd.DataFrame:
    path = data_dir / "images.parquet"
    if not path.is_file():
        raise DataError(f"{path}: missing; run `dvc repro daynight_collect` first")
    return pd.read_parquet(path)


def load_images(frame: pd.DataFrame, resolution: int, data_dir: Path = DATA_DIR) -> torch.Tensor:
    """The manifest's images downscaled to resolution x resolution, as a float tensor (N, 3, R, R)."""
    pixels = np.zeros((len(frame), resolution, resolution, 3), dtype=np.uint8)
    for i, rel in enumerate(frame["path"]):
        image = cv2.imread(str(data_dir / rel), cv2.IMREAD_COLOR)
        if image is None:
            raise DataError(f"{data_dir / rel}: unreadable image listed in images.parquet")
        pixels[i] = cv2.resize(
            cv2.cvtColor(image, cv2.COLOR_BGR2RGB), (resolution, resolution), interpolation=cv2.INTER_AREA
        )
    return to_tensor(pixels)


def labels(frame: pd.DataFrame) -> torch.Tensor:
    return torch.tensor((frame["label"] == "night").to_numpy(), dtype=torch.float32)


def train_config(params: Params, epochs: int | None = None) -> TrainConfig:
    t = params.daynight.train
    return TrainConfig(
        epochs=epochs or t.epochs,
        batch_size=t.batch_size,
        learning_rate=t.learning_rate,
        width=t.width,
        blocks=t.blocks,
        seed=params.seed,
        device=t.device,
    )


def accuracy_block(correct: np.ndarray) -> dict:
    """n, accuracy and its Wilson 95 % interval for a boolean array of per-image outcomes."""
    n, k = int(correct.size), int(correct.sum())
    low, high = wilson_interval(k, n)
    return {"n": n, "correct": k, "accuracy": k / n if n else float("nan"), "ci_low": low, "ci_high": high}


def fit_and_score(
    frame: pd.DataFrame, images: torch.Tensor, config: TrainConfig, train_mask: np.ndarray | None = None
) -> tuple[TrainResult, np.ndarray, dict]:
    """Train on the train split (or `train_mask`), select on dev; return P(night) for every row and
    the accuracy per evaluation split."""
    y = labels(frame)
    is_train = (frame["split"] == "train").to_numpy() if train_mask is None else train_mask
    is_dev = (frame["split"] == "dev").to_numpy()
    if not is_train.any() or len(set(y[is_train].tolist())) < 2:
        raise DataError("daynight: the training split needs images of both classes")
    result = train(images[is_train], y[is_train], images[is_dev], y[is_dev], config)
    scores = predict(result.model, images)
    correct = (scores >= 0.5) == y.numpy().astype(bool)
    splits = {s: accuracy_block(correct[(frame["split"] == s).to_numpy()]) for s in EVAL_SPLITS}
    return result, scores, splits


def write_history(result: TrainResult, path: Path = HISTORY) -> None:
    with atomic_file(path, "w") as handle:
        pd.DataFrame(result.history).to_csv(handle, sep="\t", index=False, float_format="%.5f")


def main() -> None:
    params = load_params()
    frame = load_manifest()
    resolution = params.daynight.train.resolution
    images = load_images(frame, resolution)
    result, scores, splits = fit_and_score(frame, images, train_config(params))
    with atomic_dir(MODEL_DIR) as out:
        torch.save(
            {
                "state_dict": result.model.state_dict(),
                "resolution": resolution,
                "width": params.daynight.train.width,
                "blocks": params.daynight.train.blocks,
            },
            out / "model.pt",
        )
        preds = frame[["image_id", "split", "label"]].assign(score=scores.astype(float), resolution=resolution)
        preds.to_parquet(out / "predictions.parquet", index=False)
    write_history(result)
    write_json(
        METRICS,
        {
            "resolution": resolution,
            "device": result.device,
            "train_seconds": round(result.seconds, 2),
            "epochs": len(result.history),
            **splits,
        },
    )
    log.info(
        "daynight_train: test accuracy %.3f, real_night %.3f (%s, %.1f s)",
        splits["test"]["accuracy"],
        splits["real_night"]["accuracy"],
        result.device,
        result.seconds,
    )


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "daynight_train")
