"""Day/night image core: checks, square crops, seeded albumentations pipelines, source-disjoint splits.

Pure functions on numpy arrays and plain data (no file I/O), so the stage and the tests share them.
Images are RGB uint8 arrays of shape (H, W, 3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import albumentations as A
import cv2
import numpy as np

SPLITS = ("train", "dev", "test")


class ImageError(ValueError):
    """An image that cannot be used as it is (the caller adds the file name)."""


def check_rgb(image: np.ndarray | None, min_side: int) -> np.ndarray:
    """A usable colour photo, or ImageError. Grey-scale is refused, not converted: the night
    synthesis and the model both rely on colour (blue shift), and a silently converted grey
    photo would form an easy, misleading slice."""
    if image is None or image.size == 0:
        raise ImageError("unreadable or empty image")
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        raise ImageError("grey-scale image (one channel); datasynth needs colour photos")
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ImageError(f"unexpected image shape {image.shape}")
    image = np.ascontiguousarray(image[:, :, :3])
    if image.dtype != np.uint8:
        raise ImageError(f"unsupported pixel type {image.dtype} (8-bit images only)")
    sample = image[:: max(1, image.shape[0] // 64), :: max(1, image.shape[1] // 64)].astype(np.int16)
    if np.abs(sample[..., 0] - sample[..., 1]).max() <= 2 and np.abs(sample[..., 1] - sample[..., 2]).max() <= 2:
        raise ImageError("grey-scale image (all channels equal); datasynth needs colour photos")
    if min(image.shape[:2]) < min_side:
        raise ImageError(f"too small: {image.shape[1]}x{image.shape[0]} px, need >= {min_side} px")
    return image


def square_resize(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square, then resize to size x size (area filter when shrinking)."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = image[top : top + side, left : left + side]
    interp = cv2.INTER_AREA if side >= size else cv2.INTER_CUBIC
    return cv2.resize(crop, (size, size), interpolation=interp)


def mean_brightness(image: np.ndarray) -> float:
    """Mean luma (0..1), the slice the error analysis bins by."""
    return float(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).mean() / 255.0)


def build_pipeline(spec: dict) -> A.Compose:
    """An albumentations pipeline from its serialised form (params.yaml holds `A.to_dict` output)."""
    spec = dict(spec)
    spec.setdefault("__version__", A.__version__)
    transform = A.from_dict(spec)
    if not isinstance(transform, A.Compose):
        transform = A.Compose([transform])
    return transform


def image_seed(seed: int, index: int, variant: int) -> int:
    """Per image seed from SeedSequence, so a variant does not depend on what was drawn before it."""
    return int(np.random.SeedSequence([seed, index, variant]).generate_state(1)[0])


def augment(image: np.ndarray, spec: dict, seed: int) -> np.ndarray:
    """One variant of `image`; the same (spec, seed) gives byte-identical pixels."""
    transform = build_pipeline(spec)
    transform.set_random_seed(seed)
    return transform(image=image)["image"]


def recipe_json(kind: str, spec: dict, seed: int) -> str:
    """What the manifest records for a synthetic image: enough to redraw it."""
    return json.dumps({"pipeline": kind, "seed": seed, "transform": spec.get("transform", spec)}, sort_keys=True)


@dataclass(frozen=True)
class Variant:
    """One image to produce from a source photo."""

    label: str  # day | night
    kind: str  # original | day | night (which pipeline)
    number: int


def variant_plan(variants_per_class: int) -> list[Variant]:
    """Balanced classes per day photo: the original + (k-1) day variants, and k synthetic nights."""
    plan = [Variant("day", "original", 0)]
    plan += [Variant("day", "day", i) for i in range(1, variants_per_class)]
    plan += [Variant("night", "night", i) for i in range(variants_per_class)]
    return plan


def split_sources(sources: list[str], fractions: dict[str, float], seed: int) -> dict[str, str]:
    """Assign each source photo to train/dev/test (all its variants follow it): a seeded shuffle
    cut by `fractions`, with at least one photo in dev and test when there are three or more."""
    unique = sorted(set(sources))
    order = np.random.default_rng(np.random.SeedSequence([seed, 7])).permutation(len(unique))
    n = len(unique)
    n_dev = int(round(fractions["dev"] * n))
    n_test = int(round(fractions["test"] * n))
    if n >= 3:
        n_dev, n_test = max(1, n_dev), max(1, n_test)
    n_train = max(0, n - n_dev - n_test)
    cuts = {"train": n_train, "dev": n_train + n_dev}
    assign = {}
    for rank, i in enumerate(order):
        assign[unique[i]] = "train" if rank < cuts["train"] else "dev" if rank < cuts["dev"] else "test"
    return assign
