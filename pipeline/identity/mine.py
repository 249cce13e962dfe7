"""Stage identity_mine: triplets of the training items -> data/identity_triplets/triplets.parquet.

The manifest holds item ids and the distances at mining time, so a triplet training set is
versioned like any other dataset. Embeddings come from the baseline encoder (MFCC statistics,
dlib faces) or an untrained encoder: the triplets that are hard for where training starts.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from models.identity.baselines import baseline_embeddings
from models.identity.encoder import build_encoder
from models.identity.training import embed
from pipeline.common.io import atomic_file, run_stage, write_json
from pipeline.identity.data import TRIPLETS, encoder_spec, read_items, stage_params
from synth.identity.triplets import mine, triplet_table

log = logging.getLogger("datasynth")
METRICS = "reports/metrics/identity_mine.json"


def mining_embeddings(train, params, seed: int) -> np.ndarray:
    if params.mine.embedding == "baseline":
        return baseline_embeddings(train.data, train.modality, params.sample_rate)
    torch.manual_seed(seed)
    spec = encoder_spec(params)
    return embed(build_encoder(spec), train.data, train.modality, torch.device("cpu"), spec.image_size)


def main(argv: list[str] | None = None) -> None:
    params = stage_params(argv, __doc__)
    p = params.identity
    train = read_items().split("train")
    embeddings = mining_embeddings(train, p, params.seed)
    rng = np.random.default_rng([params.seed, 7002])
    triplets = mine(embeddings, train.items.identity.to_numpy(), p.mine.strategy, p.margin, p.mine.per_anchor, rng)
    table = triplet_table(triplets, train.items.item_id, train.items.identity, p.mine.strategy, p.margin)
    with atomic_file(TRIPLETS) as handle:
        table.to_parquet(handle, index=False)
    anchors = int(table.anchor.nunique())
    log.info(
        "identity_mine: %d %s triplets from %d of %d anchors", len(table), p.mine.strategy, anchors, len(train.items)
    )
    write_json(
        METRICS,
        {
            "seed": params.seed,
            "strategy": p.mine.strategy,
            "embedding": p.mine.embedding,
            "margin": p.margin,
            "triplets": len(table),
            "anchors_with_triplets": anchors,
            "anchors": len(train.items),
            "active_share": float((table.loss > 0).mean()) if len(table) else 0.0,
            "mean_d_ap": float(table.d_ap.mean()) if len(table) else None,
            "mean_d_an": float(table.d_an.mean()) if len(table) else None,
        },
    )


if __name__ == "__main__":
    run_stage(main, "identity_mine")
