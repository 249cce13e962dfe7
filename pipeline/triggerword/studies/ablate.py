"""ablate stage: the head's recipe one choice at a time, judged on voices it never heard.

    python -m pipeline.triggerword.studies.ablate [--params params.yaml]

Each arm of ablate.arms is the default params with exactly one dotted key changed (validated like
params.yaml). Every arm, the default included, trains the embedding head on the same cached embeddings and
the same mined clips (none with mine.rounds: 0), once per seed of ablate.seeds, and is scored as the
evaluate stage scores: the threshold chosen on dev (clips + dev stream) at evaluate.target_fa_per_hour, then
on test (clips + stream) the pooled FRR and FA/h, and the FRR of each voice group (unseen engine, unseen voice, seen
voice). The test operating point (a threshold chosen on test at the same FA/h target) shows what each arm
could reach on the unseen engine, and one at 5 FA/h resolves an arm's effect with less threshold noise.
The table gives mean and spread over seeds. The verdict compares arms at the same false accepts (the
unseen-engine FRR at 5 FA/h on test): at its own dev threshold an arm that merely fires more would look
better. An effect is called only when it exceeds the seed spread of both arms.
-> reports/metrics/ablate.json, reports/ablate/arms.tsv
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.io import atomic_file, run_stage, write_json
from pipeline.common.params import Params, load_params, with_change

log = logging.getLogger("datasynth.ablate")
METRICS = Path("reports/metrics/ablate.json")
TABLE = Path("reports/ablate/arms.tsv")
BASELINE = "default"
HEADLINE = "test_unseen_engine_frr"
# A looser operating point, chosen on the pooled test DET: 2.7 h of test audio resolve 5 FA/h with a dozen
# false accepts, where the <= 1 FA/h points rest on one or two (the threshold's noise, not the arm's).
LOOSE_FA_PER_HOUR = 5.0
VERDICT_ON = f"test_{LOOSE_FA_PER_HOUR:g}fa_unseen_engine_frr"  # arms compared at the same false accepts


def arms(params: Params, source: str = "params.yaml") -> dict[str, tuple[str | None, object, Params]]:
    """arm -> (changed key, its value, the arm's params); the default first, with nothing changed."""
    out: dict[str, tuple[str | None, object, Params]] = {BASELINE: (None, None, params)}
    for name, change in params.ablate.arms.items():
        ((key, value),) = change.items()
        out[name] = (key, value, with_change(params, key, value, f"{source}: ablate.arms.{name}"))
    return out


def score_arm(params: Params, seed: int, data: dict) -> dict:
    """Train one head (this arm's params, this seed) and score it the way the evaluate stage does."""
    from models.common.training import resolve_device
    from pipeline.triggerword.train_head import HeadTrainer

    mined = data["mined"] if params.mine.rounds > 0 else None
    trainer = HeadTrainer(params, resolve_device(params.train.device), mined, data["embed_dir"], seed=seed)
    _, best = trainer.fit(f"arm seed {seed}")
    return {"seed": seed, "best_epoch": int(best["epoch"]), **score_model(params, trainer.probabilities, data)}


def score_model(params: Params, probabilities, data: dict) -> dict:
    """Any detector's frame probabilities ((n, T, 96) embeddings -> (n, steps)) scored as evaluate scores:
    the threshold chosen on dev, then pooled test FRR and FA/h and the FRR per voice group."""
    return score_parts(params, part_probabilities(probabilities, data), data)[0]


def part_probabilities(probabilities, data: dict) -> dict:
    """part -> (recipes, frame probabilities) for dev, train, test and the stream."""
    return {part: (recipes, probabilities(x)) for part, (x, recipes) in data["parts"].items()}


def at_threshold(params: Params, parts: dict, data: dict, threshold: float) -> tuple[dict, pd.DataFrame]:
    """Pooled test (clips + stream) FRR and FA/h and the voice groups' FRR at one threshold, and every
    positive's row (part, group, peak, hit) behind them."""
    from pipeline.triggerword.analysis.voice_groups import slice_frr
    from pipeline.triggerword.evaluate import evaluate_split, split_metrics, voice_frame, with_stream

    ty, grid = parts["dev"][1].shape[1], np.array([threshold])
    test, test_probs = with_stream(parts, "test")
    _, facts = evaluate_split(params, test, test_probs, grid, ty)
    pooled = split_metrics(params, test, test_probs, facts, threshold, ty, params.model.embedding.ones_after_end)
    frame = voice_frame(params, parts, threshold, ty, data["voices"])
    scores = {
        "test_frr": pooled["frr"],
        "test_fa_per_hour": pooled["fa_per_hour"],
        HEADLINE: slice_frr(frame, "test", "unseen engine"),
        "test_unseen_voice_frr": slice_frr(frame, "test", "unseen voice"),
    }
    return scores, frame


def score_parts(params: Params, parts: dict, data: dict) -> tuple[dict, pd.DataFrame]:
    """score_model's figures from part_probabilities, and the positives' rows at the dev-chosen threshold."""
    from models.triggerword.events import operating_point, threshold_grid
    from pipeline.triggerword.analysis.voice_groups import slice_frr
    from pipeline.triggerword.evaluate import evaluate_split, voice_frame, with_stream

    ty, grid = parts["dev"][1].shape[1], threshold_grid(params.evaluate.thresholds)
    dev_det, _ = evaluate_split(params, *with_stream(parts, "dev"), grid, ty)
    threshold = operating_point(dev_det, params.evaluate.target_fa_per_hour)["threshold"]
    test, test_probs = with_stream(parts, "test")
    test_det, _ = evaluate_split(params, test, test_probs, grid, ty)
    at_dev_scores, at_dev = at_threshold(params, parts, data, float(threshold))
    test_point = operating_point(test_det, params.evaluate.target_fa_per_hour)
    at_test = voice_frame(params, parts, test_point["threshold"], ty, data["voices"])
    loose = operating_point(test_det, LOOSE_FA_PER_HOUR)
    at_loose = voice_frame(params, parts, loose["threshold"], ty, data["voices"])
    scores = {
        "threshold": float(threshold),
        **at_dev_scores,
        "dev_unseen_engine_frr": slice_frr(at_dev, "dev", "unseen engine"),
        "seen_voice_frr": slice_frr(at_dev, "train", "seen voice"),
        "test_unseen_engine_median_peak": float(
            at_dev.loc[(at_dev["part"] == "test") & (at_dev["group"] == "unseen engine"), "peak"].median()
        ),
        "test_point_fa_per_hour": float(test_point["fa_per_hour"]),
        "test_point_unseen_engine_frr": slice_frr(at_test, "test", "unseen engine"),
        f"test_{LOOSE_FA_PER_HOUR:g}fa_unseen_engine_frr": slice_frr(at_loose, "test", "unseen engine"),
    }
    return scores, at_dev


def cached_data(params: Params, embed_dir: Path | None = None) -> dict:
    """The embeddings every arm trains and is scored on: mined clips, training (seen), dev, test, stream;
    from the embed stage's folder, or from `embed_dir` laid out the same way (another front-end's)."""
    from pipeline.triggerword.datasets import STREAMS, read_recipes
    from pipeline.triggerword.evaluate import SCORED_PARTS, voice_context
    from pipeline.triggerword.train_head import EMBED_DIR, read_mined, read_part

    embed_dir = embed_dir or EMBED_DIR

    recipes, stream = read_recipes().recipes, read_recipes(name="stream.parquet").recipes
    limit, parts = params.evaluate.max_examples, {}
    for part in SCORED_PARTS:
        x, r = read_part(part, stream if part in STREAMS else recipes, embed_dir)
        if part not in STREAMS:
            x, r = x[:limit], r.take(np.arange(min(limit, len(r))))
        parts[part] = (np.asarray(x), r)
    mined = read_mined(params, embed_dir=embed_dir)
    return {"mined": mined, "parts": parts, "voices": voice_context(), "embed_dir": embed_dir}


def summarise(runs: pd.DataFrame, changes: dict) -> list[dict]:
    """Mean and spread (max - min over seeds) per arm and measure, and the verdict at 5 FA/h on test."""
    measures = [c for c in runs.columns if c not in ("arm", "seed", "seconds")]
    base = runs[runs["arm"] == BASELINE]
    rows = []
    for arm, group in runs.groupby("arm", sort=False):
        row = {"arm": arm, "change": changes[arm], "seeds": int(len(group))}
        for m in measures:
            values = group[m].dropna().astype(float)
            row[m] = round(float(values.mean()), 4) if len(values) else None
            row[f"{m}_spread"] = round(float(values.max() - values.min()), 4) if len(values) else None
        row["verdict"] = verdict(group[VERDICT_ON], base[VERDICT_ON]) if arm != BASELINE else "reference"
        rows.append(row)
    return rows


def verdict(arm: pd.Series, base: pd.Series) -> str:
    """'better' / 'worse' on the unseen-engine FRR when the means differ by more than both seed spreads."""
    a, b = arm.dropna().astype(float), base.dropna().astype(float)
    if not len(a) or not len(b):
        return "no unseen-engine positives"
    noise = max(a.max() - a.min(), b.max() - b.min())
    delta = a.mean() - b.mean()
    if abs(delta) <= noise:
        return f"within noise ({delta * 100:+.1f} points, spread {noise * 100:.1f})"
    return f"{'worse' if delta > 0 else 'better'} ({delta * 100:+.1f} points, spread {noise * 100:.1f})"


def ablate(params: Params) -> tuple[pd.DataFrame, list[dict]]:
    from models.common.training import seed_everything

    seed_everything(params.seed)
    data = cached_data(params)
    runs, changes = [], {}
    for name, (key, value, arm_params) in arms(params).items():
        changes[name] = "default params.yaml" if key is None else f"{key}: {value}"
        for seed in params.ablate.seeds:
            started = time.perf_counter()
            result = score_arm(arm_params, seed, data)
            runs.append({"arm": name, **result, "seconds": round(time.perf_counter() - started, 1)})
            log.info(
                "%s seed %d: unseen-engine FRR %s, test FRR %.3f at %.2f FA/h",
                name,
                seed,
                result[HEADLINE],
                result["test_frr"],
                result["test_fa_per_hour"],
            )
    table = pd.DataFrame(runs)
    return table, summarise(table, changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    params = load_params(args.params)
    if params.model.family != "embedding":
        write_json(METRICS, {"skipped": "the ablation trains the embedding family's head (model.family: embedding)"})
        with atomic_file(TABLE, "w") as handle:
            handle.write("arm\n")
        return
    runs, rows = ablate(params)
    with atomic_file(TABLE, "w") as handle:
        pd.DataFrame(rows).to_csv(handle, sep="\t", index=False)
    summary = {"headline": HEADLINE, "verdict_on": VERDICT_ON, "seeds": list(params.ablate.seeds), "arms": rows}
    write_json(METRICS, {**summary, "runs": runs.to_dict("records")})


if __name__ == "__main__":
    run_stage(main, "ablate")
