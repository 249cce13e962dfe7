"""Trigger-word sample-rate ladder: the lowest audio rate at which the model still detects as well.

    python -m pipeline.triggerword.studies.audio_rate_study rate 16000   one rung -> reports/audio_rate/rate/16000.json
    python -m pipeline.triggerword.studies.audio_rate_study summary      -> reports/metrics/audio_rate_study.json,
                                                        plot reports/audio_rate/rate.tsv

The audio twin of the day/night resolution study (pipeline/daynight/study.py). Each rung trains the
trigger-word model with the study budget (params.yaml: studies.audio_rate) on a seeded subset of the
training recipes, rendered at audio.sample_rate and resampled on the fly (synth.common.features.ResampledFeatures:
window and hop scale with the rate, the time axis keeps Tx frames, so labels.ty and the labels are the
same at every rate), and scores the first dev clips at the same rate. dvc.yaml runs one stage per rung
(foreach over studies.audio_rate.rates), so adding a rate trains only that rate.

The metric is dev **clip accuracy**: a clip is right when every positive in it is detected and nothing
else fires (models.triggerword.events.clips_correct). It charges misses and false accepts alike and is one Bernoulli
outcome per clip, so `correct / clips` has a Wilson interval; each rate is scored at its own best
threshold of the evaluate.thresholds sweep (the same small optimism on every rung).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models.triggerword.lecture import macs
from pipeline.common.io import DataError, atomic_file, write_json
from pipeline.common.params import Params, ParamsError, load_params
from synth.common.studies import smallest_sufficient, wilson_interval
from synth.triggerword.sample_rates import RateFeatures, rate_features

log = logging.getLogger("datasynth.audio_rate")
STUDY_DIR = Path("reports/audio_rate")
SUMMARY = Path("reports/metrics/audio_rate_study.json")


def rate_settings(params: Params, rate: int) -> RateFeatures:
    """The feature settings of one rung (load_params has checked that every rung is usable)."""
    study, a, f = params.studies.audio_rate, params.audio, params.features
    if rate not in study.rates:
        raise ParamsError(f"params.yaml: studies.audio_rate.rates: {rate} Hz is not a rung of {list(study.rates)}")
    return rate_features(rate, a.sample_rate, a.clip_samples, f.n_fft, f.hop_length, f.kind, f.n_mels)


def study_rows(split: np.ndarray, train_clips: int, dev_clips: int, seed: int) -> dict[str, np.ndarray]:
    """Recipe rows of the study: a seeded subset of the training examples, and the first dev examples."""
    from synth.common.splits import SPLITS

    train = np.flatnonzero(split == SPLITS.index("train"))
    dev = np.flatnonzero(split == SPLITS.index("dev"))[:dev_clips]
    if len(train) == 0 or len(dev) == 0:
        raise DataError("data/synth/recipes.parquet: the sample-rate study needs train and dev examples")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xA5D]))
    return {"train": np.sort(rng.choice(train, size=min(train_clips, len(train)), replace=False)), "dev": dev}


def best_threshold(probs: np.ndarray, ends: list[np.ndarray], thresholds: np.ndarray, spec) -> tuple[float, np.ndarray]:
    """The threshold with the most correct clips (ties: the one nearest 0.5) and its per-clip outcomes."""
    from models.triggerword.events import clips_correct

    outcomes = [clips_correct(probs, ends, float(t), spec) for t in thresholds]
    best = max(range(len(thresholds)), key=lambda i: (int(outcomes[i].sum()), -abs(thresholds[i] - 0.5)))
    return float(thresholds[best]), outcomes[best]


def rate_rung(params: Params, rate: int) -> dict:
    """Train and score the model at one sample rate; record clip accuracy, its interval and the cost."""
    from rich.progress import Progress

    from models.common.training import Distributed, frame_scores, resolve_device, seed_everything
    from models.triggerword.events import count_events
    from pipeline.triggerword.datasets import read_recipes
    from pipeline.triggerword.evaluate import event_spec, positive_ends
    from pipeline.triggerword.train import Trainer
    from synth.common.features import ResampledFeatures

    started = time.perf_counter()
    settings, study, f = rate_settings(params, rate), params.studies.audio_rate, params.features
    recipes = read_recipes().recipes
    rows = study_rows(recipes.split, study.train_clips, study.dev_clips, params.seed)
    device = resolve_device(params.train.device)
    seed_everything(params.seed)
    front_end = ResampledFeatures(settings, params.audio.sample_rate, f.kind, f.n_mels, f.spec_augment)
    profile = study.profile().replace(examples_per_epoch=len(rows["train"]))
    trainer = Trainer(params, Distributed(), device, profile=profile, splits=rows, features=front_end)
    train_started = time.perf_counter()
    with Progress(transient=True) as progress:
        losses = [trainer.train_epoch(epoch, progress) for epoch in range(profile.epochs)]
    train_seconds = time.perf_counter() - train_started
    probs, labels, dev_loss = trainer.predict(rows["dev"])
    dev = recipes.take(rows["dev"])
    ends = positive_ends(dev, params.audio.clip_samples, params.labels.ty)
    spec = event_spec(params, params.labels.ty)
    threshold, correct = best_threshold(probs, ends, np.linspace(0.025, 0.975, params.evaluate.thresholds), spec)
    counts = count_events(probs, ends, threshold, spec, len(dev) * params.audio.clip_seconds / 3600)
    low, high = wilson_interval(int(correct.sum()), len(correct))
    silent = float(np.mean([len(e) == 0 for e in ends]))  # a detector that never fires gets these clips right
    row = {
        "sample_rate": rate,
        "accuracy": float(correct.mean()),
        "correct": int(correct.sum()),
        "clips": len(correct),
        "ci_low": low,
        "ci_high": high,
        "threshold": threshold,
        "never_fires_accuracy": silent,
        "learned": bool(low > silent),
        "positives": counts.positives,
        "misses": counts.misses,
        "false_accepts": counts.false_accepts,
        "frame_f1": frame_scores(probs, labels, threshold)["f1"],
        "dev_loss": dev_loss,
        "train_loss": losses[-1],
        "train_seconds": round(train_seconds, 2),
        "seconds": round(time.perf_counter() - started, 2),
        "device": device.type,
        "epochs": profile.epochs,
        "train_clips": len(rows["train"]),
        "n_fft": settings.n_fft,
        "hop_length": settings.hop_length,
        "frames": settings.frames,
        "model_frames": settings.target_frames,
        "n_features": settings.n_features,
        "feature_values": settings.feature_values,
        "macs": macs(trainer.model.spec, trainer.model.n_features, settings.target_frames),
    }
    write_json(STUDY_DIR / "rate" / f"{rate}.json", row)
    return row


def summary(params: Params) -> dict:
    """Collect the rungs, recommend the lowest sufficient rate, write the metrics and the plot table."""
    study = params.studies.audio_rate
    if not study.rates:
        raise ParamsError("params.yaml: studies.audio_rate.rates: missing; the sample-rate study needs a ladder")
    table = []
    for rate in study.rates:
        path = STUDY_DIR / "rate" / f"{rate}.json"
        if not path.is_file():
            raise DataError(f"{path}: missing; run `dvc repro` (one audio_rate stage per rate)")
        table.append(json.loads(path.read_text()))
    table.sort(key=lambda r: r["sample_rate"])
    pick = smallest_sufficient(table, study.epsilon, key="sample_rate")
    best = max(table, key=lambda r: (r["accuracy"], -r["sample_rate"]))
    with atomic_file(STUDY_DIR / "rate.tsv", "w") as handle:
        pd.DataFrame(
            [
                {
                    k: r[k]
                    for k in ("sample_rate", "accuracy", "ci_low", "ci_high", "train_seconds", "macs", "feature_values")
                }
                for r in table
            ]
        ).to_csv(handle, sep="\t", index=False, float_format="%.6g")
    keep = (
        "accuracy",
        "ci_low",
        "ci_high",
        "correct",
        "clips",
        "threshold",
        "misses",
        "false_accepts",
        "positives",
        "learned",
        "train_seconds",
        "seconds",
        "macs",
        "feature_values",
        "n_features",
    )
    out = {
        "metric": "dev clip accuracy (every positive detected, no false accept)",
        "recommended_sample_rate": pick["sample_rate"],
        "recommended_accuracy": pick["accuracy"],
        "best_sample_rate": best["sample_rate"],
        "best_accuracy": best["accuracy"],
        "epsilon": study.epsilon,
        "macs_saving": best["macs"] / pick["macs"],
        "never_fires_accuracy": table[0]["never_fires_accuracy"],
        "learned_at_every_rate": all(r["learned"] for r in table),
        "train_seconds_total": round(sum(r["train_seconds"] for r in table), 1),
        "seconds_total": round(sum(r["seconds"] for r in table), 1),
        "rates": {str(r["sample_rate"]): {k: r[k] for k in keep} for r in table},
    }
    if not out["learned_at_every_rate"]:
        out["note"] = (
            "at some rate the dev clip accuracy's 95 % interval does not clear a detector that never "
            "fires: the budget is too small to rank the rates; raise studies.audio_rate.epochs and "
            "train_clips (a GPU run), then read the recommendation"
        )
        log.warning("audio rate study: %s", out["note"])
    write_json(SUMMARY, out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("study", choices=["rate", "summary"])
    parser.add_argument("rate", nargs="?", type=int, help="the rung in Hz (rate only)")
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    params = load_params(args.params)
    if args.study == "rate":
        if not args.rate:
            parser.error("rate needs a value in Hz, e.g. `rate 16000`")
        row = rate_rung(params, args.rate)
        log.info(
            "audio rate %d Hz: dev clip accuracy %.3f (%d/%d, 95 %% CI %.3f-%.3f), trained in %.0f s",
            args.rate,
            row["accuracy"],
            row["correct"],
            row["clips"],
            row["ci_low"],
            row["ci_high"],
            row["train_seconds"],
        )
    else:
        out = summary(params)
        log.info(
            "audio rate study: recommend %d Hz (%.3f; best %d Hz at %.3f)",
            out["recommended_sample_rate"],
            out["recommended_accuracy"],
            out["best_sample_rate"],
            out["best_accuracy"],
        )


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "audio_rate_study")
