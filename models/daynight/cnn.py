"""The day/night classifier: a shallow CNN with one sigmoid output trained with the logistic loss.

Two conv blocks (conv 3x3, BatchNorm, ReLU, max-pool), global average pooling and one linear unit:
small enough to train in seconds on a CPU, and resolution-agnostic, so the resolution study trains
the same network at every rung. GPU runs use bf16 autocast (AMP); CPU runs use float32.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from models.common.training import autocast, resolve_device


class DayNightNet(nn.Module):
    def __init__(self, width: int = 16, blocks: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for i in range(blocks):
            out = width * 2**i
            layers += [
                nn.Conv2d(channels, out, 3, padding=1, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of P(night); apply a sigmoid for the probability."""
        return self.head(self.features(x).mean(dim=(2, 3))).squeeze(1)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """(N, H, W, 3) uint8 -> (N, 3, H, W) float in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div_(255.0)


def flops_per_image(model: nn.Module, resolution: int) -> int:
    """Forward FLOPs for one image, counted by torch (multiply and add count as two)."""
    from torch.utils.flop_counter import FlopCounterMode

    model = model.eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, 3, resolution, resolution))
    return int(counter.get_total_flops())


@dataclass
class TrainConfig:
    """Built from params.yaml `daynight.train` (pipeline/daynight/train.py); no defaults of its own."""

    epochs: int
    batch_size: int
    learning_rate: float
    width: int
    blocks: int
    seed: int
    device: str
    weight_decay: float = 1e-4  # not a parameter: a fixed, light regulariser


@dataclass
class TrainResult:
    model: DayNightNet
    history: list[dict] = field(default_factory=list)  # epoch, train_loss, dev_loss, dev_accuracy
    seconds: float = 0.0
    device: str = "cpu"


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 256) -> np.ndarray:
    """P(night) for each image (N, 3, H, W)."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(images), batch_size):
        with autocast(device):
            logits = model(images[start : start + batch_size].to(device))
        out.append(torch.sigmoid(logits.float()).cpu())
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)


def _loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device) -> float:
    model.eval()
    with torch.no_grad(), autocast(device):
        logits = model(x.to(device)).float()
    return float(nn.functional.binary_cross_entropy_with_logits(logits, y.to(device)))


def train(
    x: torch.Tensor, y: torch.Tensor, x_dev: torch.Tensor, y_dev: torch.Tensor, config: TrainConfig
) -> TrainResult:
    """Mini-batch Adam on the logistic loss; keeps the epoch with the lowest dev loss."""
    torch.manual_seed(config.seed)
    device = resolve_device(config.device, "daynight.train.device")
    model = DayNightNet(config.width, config.blocks).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    gen = torch.Generator().manual_seed(config.seed)
    result = TrainResult(model=model, device=device.type)
    best, best_state = float("inf"), None
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        order, total = torch.randperm(len(x), generator=gen), 0.0
        for i in range(0, len(x), config.batch_size):
            idx = order[i : i + config.batch_size]
            xb, yb = x[idx].to(device), y[idx].to(device)
            with autocast(device):
                logits = model(xb).float()
            loss = nn.functional.binary_cross_entropy_with_logits(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        dev_loss = _loss(model, x_dev, y_dev, device) if len(x_dev) else float("nan")
        dev_hits = (predict(model, x_dev) >= 0.5) == y_dev.numpy().astype(bool)
        dev_acc = float(dev_hits.mean()) if len(x_dev) else float("nan")
        result.history.append(
            {"epoch": epoch, "train_loss": total / max(1, len(x)), "dev_loss": dev_loss, "dev_accuracy": dev_acc}
        )
        score = dev_loss if np.isfinite(dev_loss) else -epoch
        if score < best:
            best, best_state = score, {k: v.detach().clone() for k, v in model.state_dict().items()}
    if best_state is not None:
        model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - start
    return result


def seconds_per_image(model: nn.Module, images: torch.Tensor, repeats: int = 3) -> float:
    """Inference time per image on the model's device (best of a few runs, after a warm-up)."""
    if len(images) == 0:
        return float("nan")
    predict(model, images[:8])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(model, images)
        if images.is_cuda or next(model.parameters()).is_cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times) / len(images)
