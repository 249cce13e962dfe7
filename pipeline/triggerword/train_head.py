"""Training the embedding family: a small head on cached speech embeddings (data/embeddings/).

Used by the train stage (model.family: embedding) and by every round of the mine stage. The front-end
is frozen, so an epoch over thousands of clips takes seconds on a CPU; the epoch with the best dev frame
F1 is kept. Mined hard negatives (clips of the mining pool the detector fired on) join the training
clips with loss weight mine.weight.
"""

from __future__ import annotations

import copy
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from models.common.training import frame_scores, native_bfloat16, resolve_device, seed_everything
from models.triggerword.embedding_head import EmbeddingHead
from models.triggerword.peak_loss import DEV_TARGETS, LOSSES
from models.triggerword.speech_embedding import RATE, output_steps
from pipeline.common.io import DataError, atomic_file
from pipeline.common.params import Params
from pipeline.common.progress import progress
from pipeline.triggerword.datasets import read_recipes
from synth.triggerword.crops import crop, crop_starts
from synth.triggerword.labels import label_matrix
from synth.triggerword.recipes import Recipes

log = logging.getLogger("datasynth.train")
EMBED_DIR = Path("data/embeddings")
MINED = Path("data/mined/manifest.parquet")


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


def loss_mask(params: Params, recipes: Recipes) -> np.ndarray | None:
    """1 where a step's label counts, 0 for the model.embedding.ignore_after_ones steps after each positive's
    ones (the whole word is still in the window there: neither clearly a detection nor clearly not one).
    None when nothing is ignored."""
    e = params.model.embedding
    if e.ignore_after_ones == 0:
        return None
    wide = label_matrix(
        recipes.insert_start,
        recipes.insert_length,
        recipes.insert_positive,
        params.audio.clip_samples,
        steps_per_clip(params),
        e.ones_after_end + e.ignore_after_ones,
    )
    return (1.0 - (wide - part_labels(params, recipes))).astype(np.float32)


def mined_rows(pool_ids: np.ndarray, manifest: pd.DataFrame) -> np.ndarray:
    """Rows of the mining pool's embeddings that were mined (each clip once, in pool order)."""
    return np.flatnonzero(np.isin(pool_ids, manifest["example_id"].to_numpy()))


def noise_std(input_noise: float, train_x: np.ndarray) -> float:
    """train.head.input_noise in embedding units: times the std of (the first 512 of) the training clips,
    taken in float32 (the cached float16 embeddings overflow a float16 sum of squares)."""
    if input_noise == 0:
        return 0.0
    return input_noise * float(np.std(np.asarray(train_x[: min(len(train_x), 512)], np.float32)))


def jitter(x: torch.Tensor, std: float, generator: torch.Generator) -> torch.Tensor:
    """train.head.input_noise: every embedding value moved by Gaussian noise of `std` (a voice is a region of
    embedding space, not a point); x itself when std is 0."""
    if std == 0:
        return x
    return x + std * torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def uses_bfloat16(precision: str, device: torch.device) -> bool:
    """train.head.precision as it can run here: bfloat16 only where the hardware has it (else float32, said)."""
    if precision != "bfloat16":
        return False
    if not native_bfloat16(device):
        log.warning("train.head.precision bfloat16: this CPU has no bfloat16 matmul (AVX512-BF16, AMX): float32")
        return False
    return True


class HeadTrainer:
    """The head, its optimiser and the cached embeddings it learns from: the training clips, plus the
    mined pool clips (negatives only, labels all 0) with a higher loss weight. `train` (embeddings and
    their recipes) replaces the embed stage's training clips (the audit's with/without comparison)."""

    def __init__(
        self,
        params: Params,
        device: torch.device,
        mined: np.ndarray | None = None,
        embed_dir=EMBED_DIR,
        train: tuple[np.ndarray, Recipes] | None = None,
        seed: int | None = None,
    ):
        self.params, self.device = params, device
        self.seed = params.seed if seed is None else seed  # the head's initialisation and batch order
        recipes = read_recipes().recipes
        train_x, train_recipes = train if train is not None else read_part("train", recipes, embed_dir)
        self.dev_x, dev_recipes = read_part("dev", recipes, embed_dir)
        self.dev_y, self.dev_mask = part_labels(params, dev_recipes), loss_mask(params, dev_recipes)
        train_y, weights = part_labels(params, train_recipes), np.ones(len(train_x), np.float32)
        mask = loss_mask(params, train_recipes)
        if mined is not None and len(mined):
            train_x = np.concatenate([train_x, mined])
            train_y = np.concatenate([train_y, np.zeros((len(mined), train_y.shape[1]), np.float32)])
            weights = np.concatenate([weights, np.full(len(mined), params.mine.weight, np.float32)])
            mask = None if mask is None else np.concatenate([mask, np.ones((len(mined), mask.shape[1]), np.float32)])
        self.train_x, self.train_y, self.weights, self.mask = train_x, train_y, weights, mask
        self.noise_std = noise_std(params.train.head.input_noise, train_x)
        torch.manual_seed(self.seed)  # the same initial head in every round
        self.head = EmbeddingHead(params.model.embedding).to(device)
        t, profile = params.train, params.train.head
        self.optimizer = torch.optim.AdamW(
            self.head.parameters(), lr=t.learning_rate, weight_decay=profile.weight_decay
        )
        steps = profile.epochs * -(-len(self.train_x) // profile.batch_size)
        self.scheduler = torch.optim.lr_scheduler.OneCycleLR(self.optimizer, t.learning_rate, total_steps=steps)
        self.pos_weight = torch.tensor(t.positive_weight, device=device)
        self.bfloat16 = uses_bfloat16(profile.precision, device)

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(array, np.float32), device=self.device)

    def _loss(
        self,
        logits: torch.Tensor,
        labels: torch.Tensor,
        weights: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        loss = LOSSES[self.params.train.head.loss](logits, labels, self.pos_weight, mask)  # per clip
        return (loss * weights).sum() / weights.sum() if weights is not None else loss.mean()

    def train_epoch(self, epoch: int) -> float:
        self.head.train()
        size = self.params.train.head.batch_size
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0xE9, epoch]))
        order = rng.permutation(len(self.train_x))
        batches = [np.sort(order[i : i + size]) for i in range(0, len(order), size)]
        noise = torch.Generator(device=self.device).manual_seed(int(rng.integers(2**63)))
        starts = self._crop_starts(epoch)
        total = 0.0
        for rows in batches:
            x, y, mask = self._batch(rows, starts)
            with self._autocast():
                logits = self.head(jitter(self._tensor(x), self.noise_std, noise)).float()
            mask = None if mask is None else self._tensor(mask)
            loss = self._loss(logits, self._tensor(y), self._tensor(self.weights[rows]), mask)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
            total += float(loss.item())
        return total / max(len(batches), 1)

    def _autocast(self):
        """The training forward pass under bfloat16 autocast (train.head.precision, where the hardware has
        it), or as it is."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bfloat16)

    def _crop_starts(self, epoch: int) -> np.ndarray | None:
        """This epoch's crop of every training clip (train.head.crop_steps), from its own generator; None
        when the head trains on whole clips."""
        steps = self.params.train.head.crop_steps
        if steps is None:
            return None
        return crop_starts(self.train_y, steps, np.random.default_rng(np.random.SeedSequence([self.seed, 0xC0, epoch])))

    def _batch(self, rows: np.ndarray, starts: np.ndarray | None) -> tuple:
        """The rows' embeddings, labels and loss mask: whole clips, or this epoch's crops of them."""
        x, y = self.train_x[rows], self.train_y[rows]
        mask = None if self.mask is None else self.mask[rows]
        if starts is None:
            return x, y, mask
        steps, window = self.params.train.head.crop_steps, self.params.model.embedding.window
        first = starts[rows]
        x, y = crop(x, first, steps + window - 1), crop(y, first, steps)
        return x, y, None if mask is None else crop(mask, first, steps)

    @torch.no_grad()
    def logits(self, embeddings: np.ndarray) -> torch.Tensor:
        self.head.eval()
        parts = [self.head(self._tensor(embeddings[i : i + 256])) for i in range(0, len(embeddings), 256)]
        return torch.cat(parts).cpu() if parts else torch.zeros((0, 0))

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        return torch.sigmoid(self.logits(embeddings)).numpy()

    def score_dev(self) -> dict[str, float]:
        """Dev loss and frame scores of the steps the loss trains: the counted steps (the training loss's
        mask), or under the peak loss each positive's peak and the counted negative steps."""
        logits = self.logits(self.dev_x)
        mask = None if self.dev_mask is None else self._tensor(self.dev_mask)
        loss = float(self._loss(logits.to(self.device), self._tensor(self.dev_y), mask=mask))
        dev_mask = None if self.dev_mask is None else torch.as_tensor(self.dev_mask)
        targets = DEV_TARGETS[self.params.train.head.loss]
        scores, labels = targets(torch.sigmoid(logits), torch.as_tensor(self.dev_y), dev_mask)
        return {"dev_loss": loss, **{f"dev_{k}": v for k, v in frame_scores(scores.numpy(), labels.numpy()).items()}}

    def fit(self, describe: str = "training the head", quiet: bool = False) -> tuple[list[dict], dict]:
        """Every epoch of train.head; the head is left at the epoch train.head.select picks: the best dev
        frame F1, the lowest dev loss, or the last. `quiet`: no progress bar (a worker among several)."""
        history, best, best_state = [], None, None
        epochs = range(self.params.train.head.epochs)
        for epoch in epochs if quiet else progress(epochs, describe, unit="epoch"):
            row = {"epoch": epoch + 1, "train_loss": self.train_epoch(epoch), **self.score_dev()}
            history.append(row)
            if best is None or self._better(row, best):
                best, best_state = row, copy.deepcopy(self.head.state_dict())
        self.head.load_state_dict(best_state)
        return history, best

    def _better(self, row: dict, best: dict) -> bool:
        select = self.params.train.head.select
        if select == "dev_loss":
            return row["dev_loss"] < best["dev_loss"]
        return select == "last" or row["dev_f1"] > best["dev_f1"]

    def checkpoint(self, path: Path, scores: dict) -> None:
        p = self.params
        state = {
            "family": "embedding",
            "model": self.head.state_dict(),
            "model_spec": self.head.spec.model_dump(),
            "sample_rate": p.audio.sample_rate,
            "clip_samples": p.audio.clip_samples,
            "ty": steps_per_clip(p),
            "epoch": scores["epoch"],
            "scores": scores,
            "seed": p.seed,
            "evaluate": p.evaluate.model_dump(),
            "positive_word": p.collect.positive_word,
            "front_end": "speech_embedding ONNX from openwakeword 0.5.1 (Apache-2.0)",
        }
        with atomic_file(path, "wb") as handle:
            torch.save(state, handle)


def read_mined(params: Params, manifest_path: Path = MINED, embed_dir: Path = EMBED_DIR) -> np.ndarray | None:
    """The mining pool's embeddings (from `embed_dir`) of the clips the mine stage kept (None without a manifest)."""
    if not manifest_path.exists():
        return None
    manifest = pd.read_parquet(manifest_path)
    if manifest.empty:
        return None
    pool_x, pool = read_part("pool", read_recipes(name="stream.parquet").recipes, embed_dir)
    return np.asarray(pool_x[mined_rows(pool.example_id, manifest)])


def train_head(params: Params, model_dir: Path) -> tuple[dict, list[dict]]:
    """Train the head on the training clips and every mined clip; write model.pt. Returns (summary, history)."""
    device = resolve_device(params.train.device)
    seed_everything(params.seed)
    mined = read_mined(params)
    started = time.perf_counter()
    trainer = HeadTrainer(params, device, mined)
    history, best = trainer.fit()
    trainer.checkpoint(model_dir / "model.pt", best)
    log.info("head: best dev frame F1 %.3f at epoch %d", best["dev_f1"], best["epoch"])
    summary = {
        "family": "embedding",
        "device": device.type,
        "profile": params.train.head.model_dump(),
        "train_clips": int(len(trainer.train_x)),
        "mined_clips": 0 if mined is None else int(len(mined)),
        "seconds": round(time.perf_counter() - started, 1),
        "best_epoch": best["epoch"],
        **{k: v for k, v in best.items() if k != "epoch"},
    }
    return summary, history
