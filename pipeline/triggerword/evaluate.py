"""evaluate stage: trained model x dev/test recipes and the test stream -> event metrics, DET curves, predictions.

    python -m pipeline.triggerword.evaluate [--params params.yaml]

The operating threshold is chosen on dev (lowest miss rate at <= evaluate.target_fa_per_hour) and
applied unchanged to test, whose voices (an engine of synthesise.holdout among them) and
backgrounds the model never heard. Test false accepts are counted over the test clips plus the
negatives-only stream (synthesise.stream), so FA/h resolves below 1 per hour. Either model family
is scored the same way: per-step probabilities, events, the same matching rules.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from models.common.training import frame_scores, resolve_device
from models.triggerword.events import EventSpec, count_events, operating_point, sweep, threshold_grid
from models.triggerword.inference import Detector, load_detector
from pipeline.common.catalog import load_bank, read_catalog
from pipeline.common.io import atomic_dir, atomic_file, run_stage, write_json
from pipeline.common.params import Params, load_params
from pipeline.common.progress import progress
from pipeline.triggerword.analysis.voice_groups import group_summary, positive_frame, slice_frr, trained_sources
from pipeline.triggerword.datasets import STREAMS, SYNTH_DIR, SynthData, read_recipes, renderer
from pipeline.triggerword.synthesise import first_conversation_id
from pipeline.triggerword.train_head import EMBED_DIR, read_part
from synth.common.splits import SPLITS
from synth.triggerword.labels import end_steps, label_matrix
from synth.triggerword.recipes import Recipes

log = logging.getLogger("datasynth.evaluate")
MODEL = Path("models/trained/trigger_word/model.pt")
PREDICTIONS = Path("data/predictions")
PLOTS = Path("reports/evaluate")
METRICS = Path("reports/metrics/evaluate.json")


def event_spec(params: Params, ty: int | None = None) -> EventSpec:
    """Event rules in output steps of a model with `ty` steps per clip (default: the lecture's labels.ty)."""
    steps_per_second = (ty or params.labels.ty) / params.audio.clip_seconds
    e = params.evaluate
    return EventSpec(
        max(1, int(round(e.smoothing_seconds * steps_per_second))),
        int(round(e.refractory_seconds * steps_per_second)),
        int(round(e.match_seconds * steps_per_second)),
    )


def positive_ends(recipes: Recipes, clip_samples: int, ty: int) -> list[np.ndarray]:
    ends = end_steps(recipes.insert_start, recipes.insert_length, clip_samples, ty)
    mask = recipes.positive_inserts
    return [ends[i][mask[i]] for i in range(len(recipes))]


def split_rows(data: SynthData, split: str, limit: int) -> np.ndarray:
    return np.flatnonzero(data.recipes.split == SPLITS.index(split))[:limit]


def rendered_probabilities(params: Params, data: SynthData, rows: np.ndarray, detector: Detector) -> np.ndarray:
    """Render recipe `rows` batch by batch and score the waveforms."""
    r = data.recipes
    used = np.unique(np.concatenate([r.background_clip[rows], r.insert_clip[rows][r.insert_mask[rows]]]))
    render = renderer(params, load_bank(data.catalog, rows=used))
    chunks = [rows[i : i + 32] for i in range(0, len(rows), 32)]
    probs = [detector.probabilities(render.render(r.take(c))) for c in progress(chunks, "predicting", unit="batch")]
    return np.concatenate(probs) if probs else np.zeros((0, detector.ty), np.float32)


SCORED_PARTS = ("train", "dev", "test", "stream", "dev_stream")  # train: its first clips, the seen voices
STREAM_OF = {"dev": "dev_stream", "test": "stream"}  # each scored split's negatives-only stream


def score_parts(params: Params, detector: Detector) -> dict[str, tuple[Recipes, np.ndarray]]:
    """(recipes, probabilities) of the first training clips (seen voices), dev, test, the test stream and the
    dev stream: the embedding family reads the embed stage's cached embeddings, the lecture family renders."""
    data, stream = read_recipes(), read_recipes(name="stream.parquet")
    limit = params.evaluate.max_examples
    out = {}
    for part in SCORED_PARTS:
        source = stream if part in STREAMS else data
        if detector.family == "embedding":
            embeddings, recipes = read_part(part, source.recipes, EMBED_DIR)
            if part not in STREAMS:
                embeddings, recipes = embeddings[:limit], recipes.take(np.arange(min(limit, len(recipes))))
            out[part] = (recipes, detector.from_embeddings(embeddings))
        else:  # a stream is its split's part of stream.parquet
            rows = split_rows(source, STREAMS.get(part, part), len(source.recipes) if part in STREAMS else limit)
            out[part] = (source.recipes.take(rows), rendered_probabilities(params, source, rows, detector))
    return out


def with_stream(parts: dict, split: str) -> tuple[Recipes, np.ndarray]:
    """A split's clips followed by its negatives-only stream: one set of events, more hours of negatives."""
    (clips, clip_probs), (stream, stream_probs) = parts[split], parts[STREAM_OF[split]]
    if not len(stream):
        return clips, clip_probs
    return Recipes.concat([clips, stream], widen=True), np.concatenate([clip_probs, stream_probs])


def evaluate_split(
    params: Params, recipes: Recipes, probs: np.ndarray, thresholds: np.ndarray, ty: int
) -> tuple[list, dict]:
    """DET points over thresholds (ordered by false accepts) and the facts the metrics need."""
    a = params.audio
    ends = positive_ends(recipes, a.clip_samples, ty)
    hours = len(recipes) * a.clip_seconds / 3600
    det = sorted(
        sweep(probs, ends, thresholds, event_spec(params, ty), hours), key=lambda r: (r["fa_per_hour"], -r["frr"])
    )
    return det, {"examples": len(recipes), "hours": hours, "positives": int(sum(len(e) for e in ends)), "ends": ends}


def split_metrics(
    params: Params, recipes: Recipes, probs: np.ndarray, facts: dict, threshold: float, ty: int, ones: int
) -> dict:
    a = params.audio
    counts = count_events(probs, facts["ends"], threshold, event_spec(params, ty), facts["hours"])
    labels = label_matrix(
        recipes.insert_start, recipes.insert_length, recipes.insert_positive, a.clip_samples, ty, ones
    )
    return {
        "threshold": threshold,
        "frr": counts.frr,
        "fa_per_hour": counts.fa_per_hour,
        "misses": counts.misses,
        "false_accepts": counts.false_accepts,
        "positives": counts.positives,
        "examples": facts["examples"],
        "hours": round(facts["hours"], 4),
        **{f"frame_{k}": v for k, v in frame_scores(probs, labels, threshold).items()},
    }


def stream_false_accepts(
    params: Params, recipes: Recipes, probs: np.ndarray, threshold: float, ty: int, name: str
) -> dict[str, float]:
    """`name`_hours and `name`_fa_per_hour of negatives-only clips at `threshold`."""
    hours = len(recipes) * params.audio.clip_seconds / 3600
    counts = count_events(probs, [np.zeros(0, np.int64)] * len(recipes), threshold, event_spec(params, ty), hours)
    return {f"{name}_hours": round(hours, 4), f"{name}_fa_per_hour": counts.fa_per_hour}


def evaluate(params: Params, detector: Detector) -> tuple[dict, dict]:
    """Metrics per split and the (recipes, probabilities) of dev, test and the stream behind them."""
    ty = detector.ty
    ones = params.model.embedding.ones_after_end if detector.family == "embedding" else params.labels.ones_after_end
    parts = score_parts(params, detector)
    # Dev and test = their clips followed by their streams (negatives only): the threshold is chosen on hours.
    scored = {split: with_stream(parts, split) for split in ("dev", "test")}
    thresholds = threshold_grid(params.evaluate.thresholds)
    results = {s: evaluate_split(params, r, p, thresholds, ty) for s, (r, p) in scored.items()}
    chosen = operating_point(results["dev"][0], params.evaluate.target_fa_per_hour)["threshold"]
    metrics = {"family": detector.family}
    for split, (recipes, probs) in scored.items():
        metrics[split] = split_metrics(params, recipes, probs, results[split][1], chosen, ty, ones)
        with atomic_file(PLOTS / f"det_{split}.csv", "w") as handle:
            pd.DataFrame(results[split][0]).to_csv(handle, index=False, float_format="%.6g")
    for split, stream in STREAM_OF.items():
        recipes, probs = parts[stream]
        talk = recipes.example_id >= first_conversation_id(params)  # recorded speech back to back
        for name, rows in (("stream", np.ones(len(recipes), bool)), ("conversation", talk)):
            if rows.any():
                metrics[split].update(stream_false_accepts(params, recipes.take(rows), probs[rows], chosen, ty, name))
    test_point = operating_point(results["test"][0], params.evaluate.target_fa_per_hour)
    context = voice_context()
    positives = voice_frame(params, parts, chosen, ty, context)
    at_test_point = voice_frame(params, parts, test_point["threshold"], ty, context)
    metrics["voice_groups"] = voice_metrics(positives, at_test_point, test_point)
    for group in ("unseen engine", "unseen voice"):
        metrics["test"][f"{group.replace(' ', '_')}_frr"] = slice_frr(positives, "test", group)
    metrics["test"]["seen_voice_frr"] = slice_frr(positives, "train", "seen voice")
    meta = {"threshold": chosen, "ty": ty, "ones_after_end": ones}
    return metrics, {**parts, "positives": positives, "meta": meta}


def voice_context(catalog: pd.DataFrame | None = None) -> tuple[pd.DataFrame, set[str]]:
    """(catalog, the sources heard in training): what a positive's voice group is decided from. The
    catalog is read unless given (the recipes' own: read_recipes has checked its hash)."""
    catalog = read_catalog() if catalog is None else catalog
    splits = pd.read_parquet(SYNTH_DIR / "clip_splits.parquet", columns=["clip_id", "split"])
    clip_split = splits.set_index("clip_id")["split"].reindex(catalog["clip_id"]).to_numpy(object)
    return catalog, trained_sources(catalog, clip_split)


def voice_frame(
    params: Params, parts: dict, threshold: float, ty: int, context: tuple[pd.DataFrame, set[str]] | None = None
) -> pd.DataFrame:
    """Every positive of the scored training, dev and test clips with its voice group, peak score and hit."""
    catalog, trained = context or voice_context()
    spec, frames = event_spec(params, ty), []
    for part in ("train", "dev", "test"):
        recipes, probs = parts[part]
        ends = positive_ends(recipes, params.audio.clip_samples, ty)
        frames.append(positive_frame(part, recipes, ends, probs, catalog, trained, threshold, spec))
    return pd.concat(frames, ignore_index=True)


def voice_metrics(at_dev: pd.DataFrame, at_test_point: pd.DataFrame, test_point: dict) -> dict:
    """Per voice group at the dev-chosen threshold, and its FRR where the pooled test set meets the FA/h target
    (a threshold chosen on test itself: what the group could reach, not what it gets)."""
    frr_at_test_point = {key: row["frr"] for key, row in group_summary(at_test_point).items()}
    return {
        "groups": group_summary(at_dev),
        "test_operating_point": {
            "threshold": test_point["threshold"],
            "fa_per_hour": test_point["fa_per_hour"],
            "frr": frr_at_test_point,
        },
    }


def write_predictions(parts: dict) -> None:
    """dev.npz, test.npz (their clips), dev_stream.npz and stream.npz (the test stream): ids, float32
    probabilities, the dev-chosen threshold.
    Not float16: its steps near 1 are 0.0005 apart, as wide as the gaps between the operating points."""
    meta = parts["meta"]
    with atomic_dir(PREDICTIONS) as out:
        parts["positives"].to_parquet(out / "positives.parquet", index=False)
        for split in ("dev", "test", *STREAM_OF.values()):
            recipes, probs = parts[split]
            np.savez_compressed(
                out / f"{split}.npz",
                example_id=recipes.example_id,
                probabilities=probs.astype(np.float32),
                threshold=np.float32(meta["threshold"]),
                ones_after_end=np.int32(meta["ones_after_end"]),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    params = load_params(args.params)
    detector = load_detector(MODEL, str(resolve_device(params.train.device)))
    metrics, parts = evaluate(params, detector)
    write_predictions(parts)
    write_json(METRICS, metrics)
    t = metrics["test"]
    log.info(
        "%s family, test at threshold %.3f (chosen on dev): FRR %.1f %% (unseen engine %s), %.2f false accepts/h "
        "over %.2f h (stream alone %.2f/h, its conversation clips %.2f/h), frame F1 %.3f",
        detector.family,
        t["threshold"],
        100 * t["frr"],
        "-" if t["unseen_engine_frr"] is None else f"{100 * t['unseen_engine_frr']:.1f} %",
        t["fa_per_hour"],
        t["hours"],
        t.get("stream_fa_per_hour", float("nan")),
        t.get("conversation_fa_per_hour", float("nan")),
        t["frame_f1"],
    )


if __name__ == "__main__":
    run_stage(main, "evaluate")
