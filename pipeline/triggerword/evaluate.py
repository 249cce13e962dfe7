"""evaluate stage: trained model x dev/test recipes -> event metrics, DET curves, predictions.

    python -m pipeline.triggerword.evaluate [--params params.yaml]

The operating threshold is chosen on dev (lowest miss rate at <= evaluate.target_fa_per_hour)
and applied unchanged to test, whose voices and backgrounds the model never heard.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from models.common.training import frame_scores, resolve_device
from models.triggerword.events import EventSpec, count_events, operating_point, sweep
from models.triggerword.inference import load_detector
from pipeline.common.catalog import load_bank
from pipeline.common.io import atomic_dir, atomic_file, run_stage, write_json
from pipeline.common.params import Params, load_params
from pipeline.triggerword.datasets import SynthData, read_recipes, renderer
from synth.common.splits import SPLITS
from synth.triggerword.labels import end_steps, label_matrix
from synth.triggerword.recipes import Recipes

log = logging.getLogger("datasynth.evaluate")
MODEL = Path("models/trained/trigger_word/model.pt")
PREDICTIONS = Path("data/predictions")
PLOTS = Path("reports/evaluate")
METRICS = Path("reports/metrics/evaluate.json")


def event_spec(params: Params) -> EventSpec:
    steps_per_second = params.labels.ty / params.audio.clip_seconds
    e = params.evaluate
    return EventSpec(
        e.smoothing_steps,
        int(round(e.refractory_seconds * steps_per_second)),
        int(round(e.match_seconds * steps_per_second)),
    )


def positive_ends(recipes: Recipes, clip_samples: int, ty: int) -> list[np.ndarray]:
    ends = end_steps(recipes.insert_start, recipes.insert_length, clip_samples, ty)
    mask = recipes.insert_mask & recipes.insert_positive
    return [ends[i][mask[i]] for i in range(len(recipes))]


def split_rows(data: SynthData, split: str, limit: int) -> np.ndarray:
    return np.flatnonzero(data.recipes.split == SPLITS.index(split))[:limit]


def predict(params: Params, data: SynthData, rows: np.ndarray, detector, render) -> np.ndarray:
    from rich.progress import track

    batch = 32
    chunks = [rows[i : i + batch] for i in range(0, len(rows), batch)]
    return np.concatenate(
        [
            detector.probabilities(render.render(data.recipes.take(c)))
            for c in track(chunks, description="predicting", transient=True)
        ]
    )


def evaluate_split(params: Params, recipes: Recipes, probs: np.ndarray, thresholds: np.ndarray) -> tuple[list, dict]:
    a, lab = params.audio, params.labels
    ends = positive_ends(recipes, a.clip_samples, lab.ty)
    hours = len(recipes) * a.clip_seconds / 3600
    det = sweep(probs, ends, thresholds, event_spec(params), hours)
    labels = label_matrix(
        recipes.insert_start, recipes.insert_length, recipes.insert_positive, a.clip_samples, lab.ty, lab.ones_after_end
    )
    return det, {
        "examples": len(recipes),
        "hours": hours,
        "positives": int(sum(len(e) for e in ends)),
        "labels": labels,
        "ends": ends,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    params = load_params(args.params)
    device = resolve_device(params.train.device)
    detector = load_detector(MODEL, str(device))
    data = read_recipes()
    rows = {s: split_rows(data, s, params.evaluate.max_examples) for s in ("dev", "test")}
    used = np.unique(
        np.concatenate(
            [
                np.concatenate(
                    [data.recipes.background_clip[r], data.recipes.insert_clip[r][data.recipes.insert_mask[r]]]
                )
                for r in rows.values()
            ]
        )
    )
    render = renderer(params, load_bank(data.catalog, rows=used))
    thresholds = np.linspace(0.025, 0.975, params.evaluate.thresholds)
    metrics, results = {}, {}
    for split, r in rows.items():
        recipes = data.recipes.take(r)
        probs = predict(params, data, r, detector, render)
        det, facts = evaluate_split(params, recipes, probs, thresholds)
        results[split] = (recipes, probs, det, facts)
    chosen = operating_point(results["dev"][2], params.evaluate.target_fa_per_hour)
    for split, (_recipes, probs, det, facts) in results.items():
        counts = count_events(probs, facts["ends"], chosen["threshold"], event_spec(params), facts["hours"])
        frames = frame_scores(probs, facts["labels"], chosen["threshold"])
        metrics[split] = {
            "threshold": chosen["threshold"],
            "frr": counts.frr,
            "fa_per_hour": counts.fa_per_hour,
            "misses": counts.misses,
            "false_accepts": counts.false_accepts,
            "positives": counts.positives,
            "examples": facts["examples"],
            "hours": round(facts["hours"], 4),
            **{f"frame_{k}": v for k, v in frames.items()},
        }
        with atomic_file(PLOTS / f"det_{split}.csv", "w") as handle:
            pd.DataFrame(det).to_csv(handle, index=False, float_format="%.6g")
    with atomic_dir(PREDICTIONS) as out:
        for split, (recipes, probs, _, _) in results.items():
            np.savez_compressed(
                out / f"{split}.npz",
                example_id=recipes.example_id,
                probabilities=probs.astype(np.float16),
                threshold=np.float32(chosen["threshold"]),
            )
    write_json(METRICS, metrics)
    t = metrics["test"]
    log.info(
        "test at threshold %.3f (chosen on dev): FRR %.1f %%, %.2f false accepts/h, frame F1 %.3f",
        t["threshold"],
        100 * t["frr"],
        t["fa_per_hour"],
        t["frame_f1"],
    )


if __name__ == "__main__":
    run_stage(main, "evaluate")
