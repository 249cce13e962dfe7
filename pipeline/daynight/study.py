"""Day/night studies: how small can the images be, and how many do we need?

    python -m pipeline.daynight.study resolution 32   one rung of the ladder -> reports/daynight/resolution/32.json
    python -m pipeline.daynight.study datasize        growing training sets -> reports/daynight/datasize.{json,tsv}
    python -m pipeline.daynight.study summary         -> reports/daynight/resolution.tsv (plot),
                                                         reports/metrics/daynight_studies.json

dvc.yaml runs one `resolution` stage per rung (foreach over daynight.study.resolutions), so adding a
rung trains only that rung. The maths (Wilson intervals, smallest sufficient setting, power law)
lives in synth/common/studies.py.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from models.daynight.cnn import DayNightNet, flops_per_image, seconds_per_image
from pipeline.common.io import DataError, atomic_file, write_json
from pipeline.common.params import load_params
from pipeline.daynight.train import fit_and_score, load_images, load_manifest, train_config
from synth.common.studies import fit_power_law, smallest_sufficient

log = logging.getLogger("datasynth.daynight")
STUDY_DIR = Path("reports/daynight")
SUMMARY = Path("reports/metrics/daynight_studies.json")


def resolution_rung(resolution: int) -> dict:
    """Train and score the model at one resolution; record accuracy, its interval and the cost."""
    params = load_params()
    frame = load_manifest()
    images = load_images(frame, resolution)
    result, _, splits = fit_and_score(frame, images, train_config(params))
    cfg = params.daynight.train
    test = images[(frame["split"] == "test").to_numpy()]
    row = {
        "resolution": resolution,
        "pixels": resolution * resolution,
        "flops": flops_per_image(DayNightNet(cfg.width, cfg.blocks), resolution),
        "seconds_per_image": seconds_per_image(result.model, test),
        "train_seconds": round(result.seconds, 2),
        "device": result.device,
        **{k: v for k, v in splits["test"].items()},
        "real_night": splits["real_night"],
        "dev": splits["dev"],
    }
    write_json(STUDY_DIR / "resolution" / f"{resolution}.json", row)
    return row


def nested_photo_subsets(frame: pd.DataFrame, fractions: tuple[float, ...], seed: int) -> list[np.ndarray]:
    """Training masks for growing shares of the training *photos* (each keeps all its variants);
    smaller sets are subsets of larger ones, so the curve measures data, not luck of the draw."""
    photos = np.array(sorted(frame.loc[frame["split"] == "train", "photo_id"].unique()))
    order = np.random.default_rng(np.random.SeedSequence([seed, 11])).permutation(len(photos))
    masks = []
    for fraction in sorted(fractions):
        keep = set(photos[order[: max(1, math.ceil(fraction * len(photos)))]])
        masks.append(((frame["split"] == "train") & frame["photo_id"].isin(keep)).to_numpy())
    return masks


def datasize_study() -> dict:
    params = load_params()
    frame = load_manifest()
    images = load_images(frame, params.daynight.train.resolution)
    rows = []
    for fraction, mask in zip(
        sorted(params.daynight.study.fractions),
        nested_photo_subsets(frame, params.daynight.study.fractions, params.seed),
    ):
        try:
            _, _, splits = fit_and_score(frame, images, train_config(params), train_mask=mask)
        except DataError:
            continue  # too few photos for both classes at this share
        rows.append({"fraction": fraction, "train_images": int(mask.sum()), **splits["test"]})
    if len(rows) < 2:
        raise DataError("daynight data-size study: fewer than two usable training-set sizes")
    law = fit_power_law([r["train_images"] for r in rows], [1 - r["accuracy"] for r in rows])
    target = params.daynight.study.target_accuracy
    needed = law.examples_for(target)
    out = {
        "rows": rows,
        "power_law": {"a": law.a, "b": law.b},
        "target_accuracy": target,
        "images_for_target": None if math.isinf(needed) else round(needed),
    }
    write_json(STUDY_DIR / "datasize.json", out)
    with atomic_file(STUDY_DIR / "datasize.tsv", "w") as handle:
        pd.DataFrame(
            [
                {"train_images": r["train_images"], "accuracy": r["accuracy"], "fit": 1 - law.error(r["train_images"])}
                for r in rows
            ]
        ).to_csv(handle, sep="\t", index=False, float_format="%.4f")
    return out


def summary() -> dict:
    params = load_params()
    table = []
    for resolution in params.daynight.study.resolutions:
        path = STUDY_DIR / "resolution" / f"{resolution}.json"
        if not path.is_file():
            raise DataError(f"{path}: missing; run `dvc repro` (one daynight_resolution stage per rung)")
        table.append(json.loads(path.read_text()))
    table.sort(key=lambda r: r["resolution"])
    pick = smallest_sufficient(table, params.daynight.study.epsilon)
    best = max(table, key=lambda r: r["accuracy"])
    with atomic_file(STUDY_DIR / "resolution.tsv", "w") as handle:
        pd.DataFrame(
            [
                {k: r[k] for k in ("resolution", "accuracy", "ci_low", "ci_high", "flops", "seconds_per_image")}
                | {"real_night_accuracy": r["real_night"]["accuracy"]}
                for r in table
            ]
        ).to_csv(handle, sep="\t", index=False, float_format="%.6g")
    datasize = STUDY_DIR / "datasize.json"
    out = {
        "recommended_resolution": pick["resolution"],
        "best_resolution": best["resolution"],
        "best_accuracy": best["accuracy"],
        "epsilon": params.daynight.study.epsilon,
        "recommended_accuracy": pick["accuracy"],
        "flops_saving": best["flops"] / pick["flops"] if pick["flops"] else None,
    }
    if datasize.is_file():
        d = json.loads(datasize.read_text())
        out |= {"images_for_target": d["images_for_target"], "target_accuracy": d["target_accuracy"]}
    write_json(SUMMARY, out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("study", choices=["resolution", "datasize", "summary"])
    parser.add_argument("resolution", nargs="?", type=int, help="the rung (resolution study only)")
    args = parser.parse_args()
    if args.study == "resolution":
        if not args.resolution:
            parser.error("resolution needs a value, e.g. `resolution 32`")
        row = resolution_rung(args.resolution)
        log.info("daynight resolution %d: test accuracy %.3f", args.resolution, row["accuracy"])
    elif args.study == "datasize":
        out = datasize_study()
        log.info("daynight data size: %s images for %.0f %%", out["images_for_target"], 100 * out["target_accuracy"])
    else:
        log.info("daynight studies: %s", summary())


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "daynight_study")
