"""Stage `daynight_train_styled`: the day/night CNN retrained on train + stylised train images.

    python -m pipeline.daynight.train_styled      (datasynth daynight-train-styled)

Same model, settings and seed as `daynight_train` (pipeline/daynight/train.py); the training set
gains data/daynight_styled's images. Writes reports/metrics/daynight_styled.json: accuracy with
Wilson 95 % intervals on test and real_night for the baseline (reports/metrics/daynight.json)
and the style-augmented model, the deltas with Newcombe's interval (built from the two Wilson
intervals), and a one-line verdict.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pandas as pd
import torch

from pipeline.common.io import DataError, write_json
from pipeline.common.params import load_params
from pipeline.daynight.train import DATA_DIR, fit_and_score, load_images, load_manifest, train_config

log = logging.getLogger("datasynth.daynight")
STYLED_DIR = Path("data/daynight_styled")
BASELINE = Path("reports/metrics/daynight.json")
METRICS = Path("reports/metrics/daynight_styled.json")
COMPARED = ("test", "real_night")


def delta_block(styled: dict, baseline: dict) -> dict:
    """Styled minus baseline accuracy, in points, with Newcombe's hybrid score interval (method 10,
    from the two Wilson intervals; it treats the samples as independent, so it is conservative for
    the same images scored twice). Significant when the interval excludes 0."""
    p1, l1, u1 = styled["accuracy"], styled["ci_low"], styled["ci_high"]
    p2, l2, u2 = baseline["accuracy"], baseline["ci_low"], baseline["ci_high"]
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return {
        "n": styled["n"],
        "points": round(100 * d, 2),
        "ci_low_points": round(100 * low, 2),
        "ci_high_points": round(100 * high, 2),
        "significant": bool(low > 0 or high < 0),
    }


def verdict(delta: dict) -> str:
    sig = "significant" if delta["significant"] else "not significant"
    return (
        f"robustness on real night photos: {delta['points']:+.1f} points "
        f"(n={delta['n']}, 95 % CI {delta['ci_low_points']:+.1f} .. {delta['ci_high_points']:+.1f}, {sig})"
    )


def compare(baseline: dict, styled: dict) -> dict:
    missing = [s for s in COMPARED if s not in baseline or s not in styled]
    if missing:
        raise DataError(f"{BASELINE}: no accuracy for {missing}; rerun `dvc repro daynight_train`")
    deltas = {s: delta_block(styled[s], baseline[s]) for s in COMPARED}
    return {
        "baseline": {s: baseline[s] for s in COMPARED},
        "styled": {s: styled[s] for s in COMPARED},
        "delta": deltas,
        "verdict": verdict(deltas["real_night"]),
    }


def combined(
    base: pd.DataFrame, base_images: torch.Tensor, styled: pd.DataFrame, styled_images: torch.Tensor
) -> tuple[pd.DataFrame, torch.Tensor]:
    if not (styled["split"] == "train").all():
        raise DataError(f"{STYLED_DIR}/images.parquet: stylised images must all be in the train split")
    frame = pd.concat([base, styled[base.columns.intersection(styled.columns)]], ignore_index=True)
    return frame, torch.cat([base_images, styled_images])


def main() -> None:
    params = load_params()
    if not BASELINE.is_file():
        raise DataError(f"{BASELINE}: missing; run `dvc repro daynight_train` first")
    baseline = json.loads(BASELINE.read_text())
    resolution = params.daynight.train.resolution
    base = load_manifest(DATA_DIR)
    styled = load_manifest(STYLED_DIR)
    frame, images = combined(
        base, load_images(base, resolution, DATA_DIR), styled, load_images(styled, resolution, STYLED_DIR)
    )
    result, _, splits = fit_and_score(frame, images, train_config(params))
    report = compare(baseline, splits)
    train_n = int((base["split"] == "train").sum())
    write_json(
        METRICS,
        {
            "resolution": resolution,
            "device": result.device,
            "epochs": len(result.history),
            "train_seconds": round(result.seconds, 2),
            "train_images": train_n,
            "styled_images": len(styled),
            "styles": sorted(styled["source"].str.removeprefix("style:").unique().tolist()),
            **report,
        },
    )
    log.info("daynight_train_styled: test %+.1f points, %s", report["delta"]["test"]["points"], report["verdict"])
    print(report["verdict"])


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "daynight_train_styled")
