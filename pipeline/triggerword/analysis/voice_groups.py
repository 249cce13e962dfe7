"""Positives by voice group, the check that behaves like the world: does the detector hear a voice it never heard?

- seen voice: positives of training clips (voices the head learnt from);
- unseen voice: dev/test positives by voices never in training, of an engine that was (splits are by speaker);
- unseen engine: dev/test positives of an engine with no voice in training (synthesise.holdout).

For every positive the table keeps the peak smoothed score inside its match window and whether it was hit,
so "confident on its own voices, lukewarm on new ones" shows as peak distributions sliding down by group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.triggerword.events import EventSpec, positive_outcomes
from synth.triggerword.recipes import Recipes

GROUPS = ("seen voice", "unseen voice", "unseen engine")
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def trained_sources(catalog: pd.DataFrame, clip_split: np.ndarray) -> set[str]:
    """Sources (engines) with at least one positive clip in the train split."""
    rows = (catalog["kind"].to_numpy(object) == "positive") & (np.asarray(clip_split, object) == "train")
    return set(catalog["source"].to_numpy(object)[rows])


def positive_clips(recipes: Recipes) -> np.ndarray:
    """Catalog rows of every positive insert, clip by clip, in the order evaluate's positive ends take."""
    mask = recipes.positive_inserts
    parts = [recipes.insert_clip[i][mask[i]] for i in range(len(recipes))]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def positive_frame(
    part: str,
    recipes: Recipes,
    ends: list[np.ndarray],
    probabilities: np.ndarray,
    catalog: pd.DataFrame,
    trained: set[str],
    threshold: float,
    spec: EventSpec,
) -> pd.DataFrame:
    """One row per positive of a scored part (train, dev or test): who said it, its group, peak and hit."""
    clips = positive_clips(recipes)
    peaks, hits = positive_outcomes(probabilities, ends, threshold, spec)
    source = catalog["source"].to_numpy(object)[clips]
    if part == "train":
        group = np.full(len(clips), GROUPS[0], object)
    else:
        group = np.where(np.isin(source, list(trained)), GROUPS[1], GROUPS[2]).astype(object)
    examples = np.repeat(recipes.example_id, [len(e) for e in ends])
    return pd.DataFrame(
        {
            "part": part,
            "example_id": examples,
            "clip_id": catalog["clip_id"].to_numpy(object)[clips],
            "source": source,
            "speaker": catalog["split_group"].to_numpy(object)[clips],
            "group": group,
            "peak": peaks.astype(np.float32),
            "hit": hits,
        }
    )


def group_summary(frame: pd.DataFrame) -> dict:
    """Per group (and part, for the unseen groups): positives, FRR at the threshold the frame was scored
    at, and quantiles of the peak scores."""
    out = {}
    for (part, group), rows in frame.groupby(["part", "group"], sort=False):
        peaks = rows["peak"].to_numpy(np.float64)
        out[f"{part}/{group}"] = {
            "part": part,
            "group": group,
            "positives": int(len(rows)),
            "frr": float(1.0 - rows["hit"].mean()),
            "peak_quantiles": {f"q{int(q * 100)}": round(float(np.quantile(peaks, q)), 4) for q in QUANTILES},
            "sources": sorted(rows["source"].unique()),
        }
    return out


def slice_frr(frame: pd.DataFrame, part: str, group: str) -> float | None:
    """FRR of one part's group, or None when it has no positives."""
    rows = frame[(frame["part"] == part) & (frame["group"] == group)]
    return float(1.0 - rows["hit"].mean()) if len(rows) else None
