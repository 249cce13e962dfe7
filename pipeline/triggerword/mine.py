"""mine stage: hard-negative mining for the embedding family -> data/mined/manifest.parquet + metrics.

    python -m pipeline.triggerword.mine [--params params.yaml]

Round r trains the head on the training clips plus everything mined in earlier rounds, scores it on
dev clips + the dev stream (FRR and false accepts/h at the dev operating point, as evaluate does) and runs it over
the mining pool: negatives-only clips of train-split words, phrases and sentences (synthesise.stream.
mining_hours). Every pool clip whose smoothed output reaches mine.threshold is mined, with what fired:
the time, the score and the word under it (each round's false accepts per pool hour by the source of that
word go to the metrics). The train stage then trains on the training clips and all
mined clips. With model.family: lecture, or mine.rounds: 0, the manifest is empty.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from models.common.training import resolve_device, seed_everything
from models.triggerword.events import detect, operating_point, smooth, threshold_grid
from pipeline.common.io import atomic_dir, run_stage, write_json
from pipeline.common.params import Params, load_params
from pipeline.triggerword.datasets import read_recipes
from pipeline.triggerword.evaluate import evaluate_split, event_spec, with_stream
from pipeline.triggerword.train_head import HeadTrainer, mined_rows, read_part
from synth.triggerword.recipes import Recipes

log = logging.getLogger("datasynth.mine")
MINED_DIR = Path("data/mined")
METRICS = Path("reports/metrics/mine.json")
COLUMNS = {"example_id": "int64", "round": "int32", "time_s": "float64", "score": "float32", "word": "string"}


def fired(
    params: Params, recipes: Recipes, probs: np.ndarray, catalog: tuple[np.ndarray, np.ndarray], threshold: float
) -> pd.DataFrame:
    """One row per detection at `threshold` in negatives-only clips: clip, time, score, the word under it and
    its source (`catalog`: each catalog clip's word and source)."""
    ty = probs.shape[1]
    spec = event_spec(params, ty)
    smoothed = smooth(probs, spec.smoothing_steps)
    step_seconds = params.audio.clip_seconds / ty
    rows = []
    for i, row in enumerate(smoothed):
        for step in detect(row, threshold, spec.refractory_steps):
            time_s = (step + 1) * step_seconds
            rows.append(
                (
                    int(recipes.example_id[i]),
                    time_s,
                    _peak(row, step, threshold),
                    *_said_at(recipes, i, time_s, params, catalog),
                )
            )
    return pd.DataFrame(rows, columns=["example_id", "time_s", "score", "word", "source"])


def _peak(smoothed: np.ndarray, step: int, threshold: float) -> float:
    """The highest output of the run above `threshold` that starts at `step` (one detection's score)."""
    below = np.flatnonzero(smoothed[step:] < threshold)
    end = step + (int(below[0]) if len(below) else len(smoothed) - step)
    return float(smoothed[step:end].max())


def _said_at(
    recipes: Recipes, i: int, time_s: float, params: Params, catalog: tuple[np.ndarray, np.ndarray]
) -> tuple[str, str]:
    """(word, source) of the insert that was sounding (or had just ended, within evaluate.match_seconds) at
    `time_s`; "(background)" for both when none was."""
    rate, (words, sources) = params.audio.sample_rate, catalog
    at = time_s * rate
    for slot in np.flatnonzero(recipes.insert_mask[i]):
        start = recipes.insert_start[i, slot]
        if start <= at <= start + recipes.insert_length[i, slot] + params.evaluate.match_seconds * rate:
            clip = recipes.insert_clip[i, slot]
            return str(words[clip]), str(sources[clip])
    return "(background)", "(background)"


def by_source(hits: pd.DataFrame, hours: float) -> dict[str, float]:
    """False accepts per pool hour by the source of the insert they fired on, most first."""
    counts = hits["source"].value_counts()
    return {str(source): round(n / hours, 3) for source, n in counts.items()} if hours else {}


def dev_events(params: Params, trainer: HeadTrainer, dev: Recipes, dev_stream: tuple[np.ndarray, Recipes]) -> dict:
    """FRR and false accepts/h on dev (clips + dev stream) at the dev operating point (evaluate's rules)."""
    parts = {"dev": (dev, trainer.probabilities(trainer.dev_x))}
    parts["dev_stream"] = (dev_stream[1], trainer.probabilities(dev_stream[0]))
    recipes, probs = with_stream(parts, "dev")
    det, _ = evaluate_split(params, recipes, probs, threshold_grid(params.evaluate.thresholds), probs.shape[1])
    point = operating_point(det, params.evaluate.target_fa_per_hour)
    return {"dev_threshold": point["threshold"], "dev_frr": point["frr"], "dev_fa_per_hour": point["fa_per_hour"]}


def mine(params: Params) -> tuple[pd.DataFrame, list[dict], pd.Series]:
    """All rounds: (manifest of mined detections, one summary per round, the source under each detection)."""
    device = resolve_device(params.train.device)
    seed_everything(params.seed)
    data = read_recipes()
    streams = read_recipes(name="stream.parquet").recipes
    pool_x, pool = read_part("pool", streams)
    _, dev = read_part("dev", data.recipes)
    dev_stream = read_part("dev_stream", streams)
    said = data.catalog["word"].to_numpy(object), data.catalog["source"].to_numpy(object)
    manifest = pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS.items()})
    sources, rounds = pd.Series(dtype=object), []  # the source under each mined detection, row for row
    for r in range(1, params.mine.rounds + 1):
        mined = np.asarray(pool_x[mined_rows(pool.example_id, manifest)])
        trainer = HeadTrainer(params, device, mined)
        trainer.fit(f"mining round {r}")
        hits = fired(params, pool, trainer.probabilities(pool_x), said, params.mine.threshold)
        new = hits[~hits["example_id"].isin(manifest["example_id"])].assign(round=r)
        manifest = pd.concat([manifest, new[list(COLUMNS)].astype(COLUMNS)], ignore_index=True)
        sources = pd.concat([sources, new["source"]], ignore_index=True)
        hours = len(pool) * params.audio.clip_seconds / 3600
        summary = {
            "round": r,
            "trained_with_mined_clips": int(len(mined)),
            "pool_false_accepts_per_hour": round(len(hits) / hours, 3) if hours else 0.0,
            "pool_false_accepts_per_hour_by_source": by_source(hits, hours),
            "new_clips": int(new["example_id"].nunique()),
            "mined_clips": int(manifest["example_id"].nunique()),
            **dev_events(params, trainer, dev, dev_stream),
        }
        rounds.append(summary)
        log.info("round %d: %s", r, ", ".join(f"{k} {v}" for k, v in summary.items() if k != "round"))
    return manifest, rounds, sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    params = load_params(args.params)
    if params.model.family == "embedding" and params.mine.rounds > 0:
        manifest, rounds, sources = mine(params)
    else:
        manifest, rounds = pd.DataFrame({c: pd.Series(dtype=t) for c, t in COLUMNS.items()}), []
        sources = pd.Series(dtype=object)
    with atomic_dir(MINED_DIR) as out:
        manifest.to_parquet(out / "manifest.parquet", index=False)
    top = manifest["word"].value_counts().head(10).to_dict() if len(manifest) else {}
    top_sources = sources.value_counts().to_dict()
    write_json(
        METRICS,
        {"family": params.model.family, "rounds": rounds, "most_mined_words": top, "most_mined_sources": top_sources},
    )


if __name__ == "__main__":
    run_stage(main, "mine")
