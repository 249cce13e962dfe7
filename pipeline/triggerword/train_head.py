"""Training the embedding family: a small head on cached speech embeddings (data/embeddings/).

Called by the train stage when params.yaml has model.family: embedding. The front-end is frozen, so
an epoch over thousands of clips takes seconds on a CPU; the checkpoint with the best dev frame F1 is kept.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import torch

from models.common.training import frame_scores, resolve_device, seed_everything
from models.triggerword.embedding_head import EmbeddingHead
from models.triggerword.speech_embedding import RATE, output_steps
from pipeline.common.io import DataError, atomic_file
from pipeline.common.params import Params
from pipeline.triggerword.datasets import read_recipes
from synth.triggerword.labels import label_matrix
from synth.triggerword.recipes import Recipes

log = logging.getLogger("datasynth.train")
EMBED_DIR = Path("data/embeddings")


def steps_per_clip(params: Params) -> int:
    """Head outputs per clip: one per whole 80 ms (125 for 10 s)."""
    return output_steps(int(round(params.audio.clip_samples * RATE / params.audio.sample_rate)))


def read_part(part: str, recipes: Recipes, embed_dir: Path = EMBED_DIR) -> tuple[np.ndarray, Recipes]:
    """One part's embeddings (memory-mapped) and the recipes they were rendered from, row for row."""
    path = embed_dir / f"{part}.npy"
    if not path.exists():
        raise DataError(f"{path}: not found; run the embed stage with model.family: embedding (dvc repro embed)")
    embeddings = np.load(path, mmap_mode="r")
    ids = np.load(embed_dir / f"{part}_ids.npy")
    rows = np.searchsorted(recipes.example_id, ids)
    if len(ids) != len(embeddings) or np.any(rows >= len(recipes)) or np.any(recipes.example_id[rows] != ids):
        raise DataError(f"{path}: its example ids do not match data/synth's recipes; re-run embed")
    return embeddings, recipes.take(rows)


def part_labels(params: Params, recipes: Recipes) -> np.ndarray:
    return label_matrix(
        recipes.insert_start,
        recipes.insert_length,
        recipes.insert_positive,
        params.audio.clip_samples,
        steps_per_clip(params),
        params.model.embedding.ones_after_end,
    )


class HeadTrainer:
    """The head, its optimiser and the cached train/dev embeddings with their labels."""

    def __init__(self, params: Params, device: torch.device, embed_dir: Path = EMBED_DIR):
        self.params, self.device = params, device
        recipes = read_recipes().recipes
        self.train_x, train_recipes = read_part("train", recipes, embed_dir)
        self.dev_x, dev_recipes = read_part("dev", recipes, embed_dir)
        self.train_y, self.dev_y = part_labels(params, train_recipes), part_labels(params, dev_recipes)
        self.head = EmbeddingHead(params.model.embedding).to(device)
        t, profile = params.train, params.train.head
        self.optimizer = torch.optim.AdamW(self.head.parameters(), lr=t.learning_rate, weight_decay=t.weight_decay)
        steps = profile.epochs * -(-len(self.train_x) // profile.batch_size)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(self.optimizer, t.learning_rate, total_steps=steps)
        self.loss = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(t.positive_weight, device=device))

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(array, np.float32), device=self.device)

    def train_epoch(self, epoch: int) -> float:
        self.head.train()
        size = self.params.train.head.batch_size
        rng = np.random.default_rng(np.random.SeedSequence([self.params.seed, 0xE9, epoch]))
        order = rng.permutation(len(self.train_x))
        total = 0.0
        batches = [np.sort(order[i : i + size]) for i in range(0, len(order), size)]
        for rows in batches:
            loss = self.loss(self.head(self._tensor(self.train_x[rows])), self._tensor(self.train_y[rows]))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            total += float(loss.item())
        return total / max(len(batches), 1)

    @torch.no_grad()
    def score_dev(self) -> dict[str, float]:
        self.head.eval()
        logits = torch.cat([self.head(self._tensor(self.dev_x[i : i + 256])) for i in range(0, len(self.dev_x), 256)])
        loss = float(self.loss(logits, self._tensor(self.dev_y)))
        scores = frame_scores(torch.sigmoid(logits).cpu().numpy(), self.dev_y)
        return {"dev_loss": loss, **{f"dev_{k}": v for k, v in scores.items()}}

    def checkpoint(self, path: Path, epoch: int, scores: dict) -> None:
        p = self.params
        state = {
            "family": "embedding",
            "model": self.head.state_dict(),
            "model_spec": self.head.spec.model_dump(),
            "sample_rate": p.audio.sample_rate,
            "clip_samples": p.audio.clip_samples,
            "ty": steps_per_clip(p),
            "epoch": epoch,
            "scores": scores,
            "seed": p.seed,
            "evaluate": p.evaluate.model_dump(),
            "positive_word": p.collect.positive_word,
        }
        with atomic_file(path, "wb") as handle:
            torch.save(state, handle)


def train_head(params: Params, model_dir: Path) -> tuple[dict, list[dict]]:
    """Train the head; write model.pt (best dev frame F1) and last.pt. Returns (summary, history)."""
    device = resolve_device(params.train.device)
    seed_everything(params.seed)
    torch.manual_seed(params.seed)
    trainer = HeadTrainer(params, device)
    from rich.progress import track

    history, best, started = [], None, time.perf_counter()
    for epoch in track(range(params.train.head.epochs), description="training the head", transient=True):
        row = {"epoch": epoch + 1, "train_loss": trainer.train_epoch(epoch), **trainer.score_dev()}
        history.append(row)
        trainer.checkpoint(model_dir / "last.pt", epoch + 1, row)
        if best is None or row["dev_f1"] > best["dev_f1"]:
            best = row
            trainer.checkpoint(model_dir / "model.pt", epoch + 1, row)
    log.info("head: best dev frame F1 %.3f at epoch %d", best["dev_f1"], best["epoch"])
    summary = {
        "family": "embedding",
        "device": device.type,
        "profile": params.train.head.model_dump(),
        "train_clips": len(trainer.train_x),
        "seconds": round(time.perf_counter() - started, 1),
        "best_epoch": best["epoch"],
        **{k: v for k, v in best.items() if k != "epoch"},
    }
    return summary, history
