"""DVC stage `audit_effect`: the same training with and without the clips the audit drops.

Paired, so the difference is the dropped clips and nothing else: the first audit.effect_examples
training recipes are drawn from every clip ("with dropped"); the "without" arm is the same recipes
with each insert of a dropped clip left out (background only there, no label). Only the examples
that held a dropped clip are embedded twice. Each arm trains the embedding head (train.head, no
mined clips) and is scored on the embed stage's dev and test clips: FRR and false accepts per hour
at the dev operating point, as the evaluate stage scores. -> reports/metrics/audit_effect.json

    python -m pipeline.triggerword.studies.audit_effect [--params params.yaml]
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.catalog import read_catalog
from pipeline.common.io import run_stage, write_json
from pipeline.common.params import Params, load_params
from pipeline.triggerword.datasets import AUDIT_DIR, SynthData, audit_dropped
from synth.common.splits import SPLITS
from synth.triggerword.recipes import Recipes

METRICS = Path("reports/metrics/audit_effect.json")
log = logging.getLogger("datasynth.audit_effect")


def paired_recipes(params: Params, catalog: pd.DataFrame, dropped: np.ndarray) -> tuple[Recipes, Recipes]:
    """(with dropped, without dropped): the first effect_examples training recipes drawn from every clip."""
    from pipeline.triggerword.synthesise import synthesise

    recipes, _, _ = synthesise(params, catalog, None)
    train = recipes.take(np.flatnonzero(recipes.split == SPLITS.index("train"))[: params.audit.effect_examples])
    return train, train.without_clips(dropped)


def arm_scores(params: Params, train_x: np.ndarray, train: Recipes) -> dict:
    """Train the head on one arm; FRR and FA/h on dev and test at the dev operating point."""
    from models.common.training import resolve_device, seed_everything
    from models.triggerword.events import operating_point, threshold_grid
    from pipeline.triggerword.datasets import read_recipes
    from pipeline.triggerword.evaluate import evaluate_split, split_metrics
    from pipeline.triggerword.train_head import HeadTrainer, read_part

    seed_everything(params.seed)
    trainer = HeadTrainer(params, resolve_device(params.train.device), None, train=(train_x, train))
    trainer.fit("training one arm")
    grid, recipes = threshold_grid(params.evaluate.thresholds), read_recipes().recipes
    parts = {"dev": (trainer.dev_x, read_part("dev", recipes)[1]), "test": read_part("test", recipes)}
    out = {}
    for split, (x, part) in parts.items():  # dev first: it sets the threshold
        probs = trainer.probabilities(x)
        det, facts = evaluate_split(params, part, probs, grid, probs.shape[1])
        if split == "dev":
            threshold = operating_point(det, params.evaluate.target_fa_per_hour)["threshold"]
        ones = params.model.embedding.ones_after_end
        m = split_metrics(params, part, probs, facts, threshold, probs.shape[1], ones)
        out[split] = {"frr": round(m["frr"], 4), "fa_per_hour": round(m["fa_per_hour"], 3), "misses": m["misses"]}
    return {"threshold": threshold, **out}


def effect(params: Params, catalog: pd.DataFrame, dropped: np.ndarray) -> dict:
    from models.triggerword.speech_embedding import SpeechEmbedding
    from pipeline.triggerword.embed import embed_rows
    from pipeline.triggerword.embedding_cache import EmbeddingCache

    with_dropped, without = paired_recipes(params, catalog, dropped)
    affected = np.flatnonzero((with_dropped.insert_clip != without.insert_clip).any(axis=1))
    removed = with_dropped.insert_mask & ~without.insert_mask
    summary = {
        "train_examples": len(with_dropped),
        "examples_with_a_dropped_clip": int(len(affected)),
        "dropped_inserts": {
            "positive": int((removed & with_dropped.insert_positive).sum()),
            "negative": int((removed & ~with_dropped.insert_positive).sum()),
        },
    }
    if not len(affected):
        log.info("no training example holds a dropped clip: the arms are identical")
        return {**summary, "arms": None}
    cache = EmbeddingCache(SpeechEmbedding(threads=params.embed.threads), params.model.embedding.window)
    everything = np.arange(len(with_dropped))  # the cache embeds the unaffected examples only once
    workers = params.embed.workers
    x_with = embed_rows(params, SynthData(with_dropped, {}, catalog), everything, cache, "with dropped", workers)
    x_without = embed_rows(params, SynthData(without, {}, catalog), everything, cache, "without", workers)
    arms = {
        "with_dropped": arm_scores(params, x_with, with_dropped),
        "without_dropped": arm_scores(params, x_without, without),
    }
    return {**summary, "arms": arms}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", default="params.yaml", help="parameters file (default: params.yaml)")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    if params.model.family != "embedding" or params.audit.effect_examples == 0:
        write_json(METRICS, {"skipped": "needs model.family: embedding and audit.effect_examples > 0"})
        return
    catalog = read_catalog()
    summary = effect(params, catalog, audit_dropped(catalog, AUDIT_DIR))
    write_json(METRICS, summary)
    log.info("audit effect: %s", summary)


if __name__ == "__main__":
    run_stage(main, "audit_effect")
