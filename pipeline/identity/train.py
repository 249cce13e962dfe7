"""Stage identity_train: the identity encoder trained with triplet loss -> models/trained/identity/encoder.pt.

Mining: the versioned manifest (re-mined with the current encoder every identity.train.remine_every
epochs), or online batch-hard / semi-hard inside P x K batches. CUDA with AMP when present.
"""

from __future__ import annotations

import logging

import pandas as pd

from models.common.training import resolve_device, seed_everything
from models.identity.encoder import build_encoder
from models.identity.training import TripletTrainConfig, train_encoder
from pipeline.common.io import DataError, atomic_file, run_stage, write_json
from pipeline.identity.data import ENCODER, TRIPLETS, encoder_spec, read_items, save_encoder, stage_params
from synth.identity.triplets import triplets_from_table

log = logging.getLogger("datasynth")
METRICS = "reports/metrics/identity_train.json"
CURVE = "reports/plots/identity_train.csv"


def train_config(params, seed: int) -> TripletTrainConfig:
    t = params.train
    return TripletTrainConfig(
        mining=t.mining,
        strategy=params.mine.strategy,
        per_anchor=params.mine.per_anchor,
        remine_every=t.remine_every,
        epochs=t.epochs,
        steps_per_epoch=t.steps_per_epoch,
        batch_p=t.batch_p,
        batch_k=t.batch_k,
        triplet_batch=t.triplet_batch,
        lr=t.lr,
        margin=params.margin,
        seed=seed,
    )


def main(argv: list[str] | None = None) -> None:
    params = stage_params(argv, __doc__)
    p = params.identity
    device = resolve_device(p.train.device)
    seed_everything(params.seed)
    train = read_items().split("train")
    manifest = None
    if p.train.mining == "manifest":
        if not TRIPLETS.exists():
            raise DataError(f"{TRIPLETS}: not found; run identity_mine first (dvc repro identity_mine)")
        try:
            manifest = triplets_from_table(pd.read_parquet(TRIPLETS), train.items.item_id)
        except KeyError as exc:
            raise DataError(f"{TRIPLETS}: {exc.args[0]}; re-run identity_mine") from None
    spec = encoder_spec(p)
    encoder = build_encoder(spec)
    log.info(
        "identity_train: %d items, %d identities, %s mining on %s",
        len(train.items),
        train.items.identity.nunique(),
        p.train.mining,
        device,
    )
    history = train_encoder(
        encoder,
        train.data,
        train.label_codes(),
        train.modality,
        train_config(p, params.seed),
        device,
        manifest,
        spec.image_size,
    )
    save_encoder(ENCODER, encoder.cpu(), spec, {"seed": params.seed, "source": p.source, "history": history})
    with atomic_file(CURVE, "w") as handle:
        pd.DataFrame(history).to_csv(handle, index=False)
    write_json(
        METRICS,
        {
            "seed": params.seed,
            "device": device.type,
            "mining": p.train.mining,
            "epochs_run": len(history),
            "final_loss": history[-1]["loss"] if history else None,
            "final_active_share": history[-1]["active_share"] if history else None,
            "seconds": round(sum(h["seconds"] for h in history), 1),
        },
    )


if __name__ == "__main__":
    run_stage(main, "identity_train")
