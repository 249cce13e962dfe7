"""Training an identity encoder with triplets: from a mined manifest (re-mined as the encoder
improves) or mined online inside P identities x K items batches (pytorch-metric-learning)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from models.common.training import autocast
from models.identity.encoder import triplet_loss
from synth.identity.triplets import Triplets, mine

log = logging.getLogger("datasynth")


@dataclass(frozen=True)
class TripletTrainConfig:
    """Built from params.yaml `identity` (pipeline/identity/train.py); no defaults of its own."""

    mining: str  # manifest | batch_hard | semihard
    strategy: str  # how the manifest is re-mined
    per_anchor: int
    remine_every: int
    epochs: int
    steps_per_epoch: int
    batch_p: int
    batch_k: int
    triplet_batch: int
    lr: float
    margin: float
    seed: int


def batch_tensor(
    data: np.ndarray,
    indices: np.ndarray,
    modality: str,
    device: torch.device,
    image_size: int = 112,
    train: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Rows of the item array as model input: float audio in [-1, 1], or images in [0, 1] at image_size.

    Training views are augmented: a random 75 % crop in time for audio (the encoder pools over
    time, so any length works), a random horizontal flip and brightness for faces.
    """
    x = torch.from_numpy(np.ascontiguousarray(data[indices])).to(device)
    if modality == "audio":
        x = x.float() / 32768.0
        if train:
            length = int(x.shape[1] * 0.75)
            start = int(torch.randint(0, x.shape[1] - length + 1, (1,), generator=generator))
            x = x[:, start : start + length]
        return x
    x = F.interpolate(
        x.permute(0, 3, 1, 2).float() / 255.0,
        size=(image_size, image_size),
        mode="bilinear",
        align_corners=False,
        antialias=True,
    )
    if train:
        flip = torch.rand(len(x), generator=generator) < 0.5
        x[flip.to(device)] = x[flip.to(device)].flip(-1)
        x = (x * (0.8 + 0.4 * torch.rand(len(x), 1, 1, 1, generator=generator).to(device))).clamp(0, 1)
    return x


@torch.no_grad()
def embed(
    encoder: torch.nn.Module,
    data: np.ndarray,
    modality: str,
    device: torch.device,
    image_size: int = 112,
    batch: int = 256,
) -> np.ndarray:
    """Embeddings of every row of `data`, in eval mode, as float32 numpy."""
    was_training = encoder.training
    encoder.eval()
    out = [
        encoder(batch_tensor(data, np.arange(i, min(i + batch, len(data))), modality, device, image_size)).float().cpu()
        for i in range(0, len(data), batch)
    ]
    encoder.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros((0, 0), np.float32)


def train_encoder(
    encoder: torch.nn.Module,
    data: np.ndarray,
    labels: np.ndarray,
    modality: str,
    config: TripletTrainConfig,
    device: torch.device,
    manifest: Triplets | None = None,
    image_size: int = 112,
) -> list[dict]:
    """Train in place; returns one record per epoch: loss, share of active triplets, triplets, seconds."""
    labels = np.asarray(labels)
    if config.mining == "manifest" and manifest is None:
        raise ValueError("train_encoder: mining 'manifest' needs the mined triplets")
    rng = np.random.default_rng([config.seed, 8101])
    generator = torch.Generator().manual_seed(config.seed)
    encoder.to(device).train()
    optimiser = torch.optim.AdamW(encoder.parameters(), lr=config.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=config.lr, total_steps=config.epochs * config.steps_per_epoch
    )
    history, triplets = [], manifest
    for epoch in range(config.epochs):
        started = time.perf_counter()
        if config.mining == "manifest" and epoch and config.remine_every and epoch % config.remine_every == 0:
            triplets = mine(
                embed(encoder, data, modality, device, image_size),
                labels,
                config.strategy,
                config.margin,
                config.per_anchor,
                rng,
            )
        if config.mining == "manifest" and len(triplets) == 0:
            log.info("identity: epoch %d: no informative triplets left; training stops", epoch + 1)
            break
        batches = (
            _manifest_batches(triplets, config, rng)
            if config.mining == "manifest"
            else _online_batches(labels, config, rng)
        )
        losses, active = [], []
        for items, (a, p, n) in batches:
            x = batch_tensor(data, items, modality, device, image_size, train=True, generator=generator)
            with autocast(device):
                emb = encoder(x)
            if a is None:  # online: mine inside the batch with the current embeddings
                a, p, n = _online_miner(config)(emb.detach().float(), torch.as_tensor(labels[items], device=device))
            loss, share = triplet_loss(emb.float(), a, p, n, config.margin)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
            active.append(share)
        history.append(
            {
                "epoch": epoch + 1,
                "loss": float(np.mean(losses)),
                "active_share": float(np.mean(active)),
                "triplets": len(triplets) if triplets is not None else None,
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
        log.info(
            "identity: epoch %d/%d loss %.4f active %.2f",
            epoch + 1,
            config.epochs,
            history[-1]["loss"],
            history[-1]["active_share"],
        )
    return history


def _manifest_batches(triplets: Triplets, config: TripletTrainConfig, rng: np.random.Generator):
    """Batches of manifest triplets; each item is encoded once even when it appears in several."""
    for _ in range(config.steps_per_epoch):
        pick = rng.choice(len(triplets), min(config.triplet_batch, len(triplets)), replace=False)
        rows = np.concatenate([triplets.anchor[pick], triplets.positive[pick], triplets.negative[pick]])
        items, inverse = np.unique(rows, return_inverse=True)
        a, p, n = torch.from_numpy(inverse.reshape(3, -1))
        yield items, (a, p, n)


def _online_batches(labels: np.ndarray, config: TripletTrainConfig, rng: np.random.Generator):
    """P identities x K items per batch (pytorch-metric-learning's MPerClassSampler)."""
    from pytorch_metric_learning.samplers import MPerClassSampler
    from pytorch_metric_learning.utils import common_functions

    size = min(config.batch_p, len(np.unique(labels))) * config.batch_k  # P cannot exceed the identities
    sampler = MPerClassSampler(
        labels, m=config.batch_k, batch_size=size, length_before_new_iter=size * config.steps_per_epoch
    )
    # The sampler draws from the library's module-level numpy RNG: point it at our seeded stream.
    library_rng = common_functions.NUMPY_RANDOM
    common_functions.NUMPY_RANDOM = np.random.RandomState(rng.integers(2**32))
    try:
        order = np.fromiter(iter(sampler), np.int64)
    finally:
        common_functions.NUMPY_RANDOM = library_rng
    for step in range(len(order) // size):
        yield order[step * size : (step + 1) * size], (None, None, None)


def _online_miner(config: TripletTrainConfig):
    """Batch-hard (hardest positive and negative per anchor) or all semi-hard triplets of the batch,
    on squared distances of the unit embeddings, as the loss uses."""
    from pytorch_metric_learning.distances import LpDistance
    from pytorch_metric_learning.miners import BatchHardMiner, TripletMarginMiner

    distance = LpDistance(normalize_embeddings=True, p=2, power=2)
    if config.mining == "batch_hard":
        return BatchHardMiner(distance=distance)
    return TripletMarginMiner(margin=config.margin, type_of_triplets="semihard", distance=distance)
