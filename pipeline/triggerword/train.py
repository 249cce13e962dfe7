"""train stage: -> models/trained/trigger_word/ (model.pt = best dev F1, last.pt) + history, for model.family:
lecture: recipes rendered on the fly into spectrograms for the lecture's network (this module);
embedding: a head on the embed stage's cached speech embeddings (pipeline/triggerword/train_head.py).

python -m pipeline.triggerword.train [--params params.yaml]
torchrun --nproc_per_node N -m pipeline.triggerword.train      # lecture family: DistributedDataParallel
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import time
from pathlib import Path

import numpy as np
import torch

from models.common.training import (
    Distributed,
    all_reduce_mean,
    autocast,
    frame_scores,
    init_distributed,
    resolve_device,
    seed_everything,
)
from models.triggerword.lecture import TriggerWordModel
from pipeline.common.catalog import load_bank
from pipeline.common.io import DataError, atomic_file, run_stage, write_json, write_text
from pipeline.common.params import Params, load_params
from pipeline.common.params.triggerword import TrainProfile
from pipeline.triggerword.datasets import read_recipes, renderer
from pipeline.triggerword.train_head import train_head
from synth.common.features import Features, FeatureSpec
from synth.common.splits import SPLITS
from synth.triggerword.dataset import TriggerWordDataset, cpu_loader, device_batches, epoch_batches
from synth.triggerword.recipes import Recipes

log = logging.getLogger("datasynth.train")
MODEL_DIR = Path("models/trained/trigger_word")
HISTORY = Path("reports/train/history.tsv")
METRICS = Path("reports/metrics/train.json")
DEV_EXAMPLES = 256  # dev examples scored after every epoch


def feature_spec(params: Params) -> FeatureSpec:
    f = params.features
    return FeatureSpec(params.audio.sample_rate, f.n_fft, f.hop_length, f.kind, f.n_mels, f.spec_augment)


def clips_used(recipes: Recipes, rows: np.ndarray) -> np.ndarray:
    """Catalog rows (backgrounds and inserts) that rendering `rows` of `recipes` reads."""
    inserts = recipes.insert_clip[rows][recipes.insert_mask[rows]]
    return np.unique(np.concatenate([recipes.background_clip[rows], inserts]))


class Trainer:
    """One training run: the model, its optimiser and the way batches reach the device.

    The train stage uses every recipe of each split, `train.profiles` and the params' features. A study
    (pipeline/triggerword/studies/audio_rate_study.py) passes its own budget (`profile`), recipe rows per split
    (`splits`: only their clips are loaded) and feature front end (`features`, with a `spec`; the model's input
    width follows it).
    """

    def __init__(
        self,
        params: Params,
        dist_info: Distributed,
        device: torch.device,
        profile: TrainProfile | None = None,
        splits: dict[str, np.ndarray] | None = None,
        features: torch.nn.Module | None = None,
    ):
        self.params, self.dist, self.device = params, dist_info, device
        self.profile = profile if profile is not None else params.train.profile(device.type)
        data = read_recipes()
        if splits is None:
            self.splits = {s: np.flatnonzero(data.recipes.split == i) for i, s in enumerate(SPLITS)}
            bank = load_bank(data.catalog)
        else:
            self.splits = splits
            bank = load_bank(data.catalog, rows=clips_used(data.recipes, np.concatenate(list(splits.values()))))
        self.dataset = TriggerWordDataset(
            data.recipes,
            renderer(params, bank),
            params.audio.clip_samples,
            params.labels.ty,
            params.labels.ones_after_end,
        )
        self.device_renderer = renderer(params, bank, str(device)) if device.type == "cuda" else None
        self.features = (features if features is not None else Features(feature_spec(params))).to(device)
        self.model = TriggerWordModel(params.model.lecture, self.features.spec.n_features).to(device)
        self.ddp = torch.nn.parallel.DistributedDataParallel(self.model) if dist_info.enabled else self.model
        t = params.train
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=t.learning_rate, weight_decay=t.weight_decay)
        total = self.profile.epochs * len(self._batches(0))
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(self.optimizer, t.learning_rate, total_steps=total)
        self.loss = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(t.positive_weight, device=device))

    def _batches(self, epoch: int) -> list[np.ndarray]:
        train_rows = self.splits["train"]
        batches = epoch_batches(
            len(train_rows),
            self.profile.examples_per_epoch,
            self.profile.batch_size,
            self.params.seed,
            epoch,
            self.dist.rank,
            self.dist.world_size,
        )
        return [train_rows[b] for b in batches]

    def _stream(self, batches: list[np.ndarray]):
        if self.device_renderer is not None:
            return device_batches(self.dataset, self.device_renderer, batches)
        return cpu_loader(self.dataset, batches, self.params.train.num_workers)

    def train_epoch(self, epoch: int, progress) -> float:
        self.ddp.train()
        self.features.train()
        batches = self._batches(epoch)
        task = progress.add_task(f"epoch {epoch + 1}/{self.profile.epochs}", total=len(batches))
        total = 0.0
        for audio, labels in self._stream(batches):
            audio, labels = audio.to(self.device, non_blocking=True), labels.to(self.device, non_blocking=True)
            with autocast(self.device):
                loss = self.loss(self.ddp(self.features(audio)).float(), labels)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
            self.optimizer.step()
            self.scheduler.step()
            total += float(loss.item())
            progress.update(task, advance=1, description=f"epoch {epoch + 1} loss {loss.item():.3f}")
        return all_reduce_mean(total / max(len(batches), 1), self.dist, self.device)

    @torch.no_grad()
    def predict(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Per-step probabilities and labels of recipe `rows` (eval mode), and the mean batch loss."""
        self.model.eval()
        self.features.eval()
        size = self.profile.batch_size
        losses, probs, labels_all = [], [], []
        for audio, labels in self._stream([rows[i : i + size] for i in range(0, len(rows), size)]):
            audio, labels = audio.to(self.device), labels.to(self.device)
            with autocast(self.device):
                logits = self.model(self.features(audio)).float()
            losses.append(float(self.loss(logits, labels)))
            probs.append(torch.sigmoid(logits).cpu().numpy())
            labels_all.append(labels.cpu().numpy())
        return np.concatenate(probs), np.concatenate(labels_all), float(np.mean(losses))

    def score_dev(self) -> dict[str, float]:
        probs, labels, loss = self.predict(self.splits["dev"][:DEV_EXAMPLES])
        scores = frame_scores(probs, labels)
        return {"dev_loss": loss, **{f"dev_{k}": v for k, v in scores.items()}}

    def checkpoint(self, path: Path, epoch: int, scores: dict) -> None:
        state = {
            "family": "lecture",
            "model": self.model.state_dict(),
            "model_spec": self.model.spec.model_dump(),
            "n_features": self.model.n_features,
            "features": dataclasses.asdict(self.features.spec),
            "labels": self.params.labels.model_dump(),
            "clip_samples": self.params.audio.clip_samples,
            "epoch": epoch,
            "scores": scores,
            "seed": self.params.seed,
            "evaluate": self.params.evaluate.model_dump(),
            "positive_word": self.params.collect.positive_word,
        }
        with atomic_file(path) as handle:
            torch.save(state, handle)


def train(params: Params) -> dict:
    device = resolve_device(params.train.device)
    dist_info = init_distributed(device)
    seed_everything(params.seed + dist_info.rank)
    torch.manual_seed(params.seed)  # identical initial weights on every rank
    trainer = Trainer(params, dist_info, device)
    from rich.progress import Progress

    history, best = [], None
    started = time.perf_counter()
    with Progress(disable=not dist_info.is_main, transient=True) as progress:
        for epoch in range(trainer.profile.epochs):
            train_loss = trainer.train_epoch(epoch, progress)
            row = {"epoch": epoch + 1, "train_loss": train_loss, **trainer.score_dev()}
            history.append(row)
            if dist_info.is_main:
                log.info("epoch %d: %s", epoch + 1, ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "epoch"))
                trainer.checkpoint(MODEL_DIR / "last.pt", epoch + 1, row)
                if best is None or row["dev_f1"] > best["dev_f1"]:  # frame F1: what detection needs
                    best = row
                    trainer.checkpoint(MODEL_DIR / "model.pt", epoch + 1, row)
    summary = {
        "family": "lecture",
        "device": device.type,
        "world_size": dist_info.world_size,
        "profile": trainer.profile.model_dump(),
        "seconds": round(time.perf_counter() - started, 1),
        "best_epoch": best["epoch"] if best else None,
        **({k: v for k, v in best.items() if k != "epoch"} if best else {}),
    }
    if dist_info.is_main:
        write_history(history, summary)
    if dist_info.enabled:
        torch.distributed.destroy_process_group()
    return summary


def write_history(history: list[dict], summary: dict) -> None:
    columns = list(history[0])
    lines = ["\t".join(columns)] + [
        "\t".join(f"{row[c]:.6g}" if isinstance(row[c], float) else str(row[c]) for c in columns) for row in history
    ]
    write_text(HISTORY, "\n".join(lines) + "\n")
    write_json(METRICS, summary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    params = load_params(args.params)
    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    if params.model.family == "embedding":
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            raise DataError("model.family: embedding trains its small head in one process; run it without torchrun")
        summary, history = train_head(params, MODEL_DIR)
        write_history(history, summary)
    else:
        summary = train(params)
    log.info(
        "trained on %s in %.0f s; best dev F1 %.3f at epoch %s",
        summary["device"],
        summary["seconds"],
        summary.get("dev_f1", float("nan")),
        summary["best_epoch"],
    )


if __name__ == "__main__":
    run_stage(main, "train")
