"""Which audio a recipe renders to, remembered: recipe key -> the embedding cache's audio key.

The embedding cache finds a clip by its audio, so a clip had to be rendered before its embeddings could be
read back, and rendering (the WORLD vocoder above all) costs ~40 % of embedding. Re-runs that render known
recipes again (the data-value study's arms, a second `dvc repro` of embed) read them back without rendering.

A recipe key is the sha256 of everything that decides the rendered clip: the recipe's row (every field that
reaches the mix; insert fields for its inserts only), the catalog sha256 of each clip it reads, the render
params (params.seed, audio, synthesise), the source of the rendering code (every module under synth/, the
embed stage, the clip bank's loader and the resampler), the versions of the libraries it calls and the kernel
sets of the OpenBLAS libraries this process loaded (pipeline/__init__.py: the vocoder's last bits depend on
them; read from the libraries, not the environment, which a process that loaded numpy first did not follow).
Any change gives new keys, and those clips are rendered and looked up by their audio as before. Entries are
small text files holding the audio key, under the cache's folder (<store>/<fingerprint>/recipes/ab/<key>).
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

import numpy as np

import synth
from models.triggerword import speech_embedding as speech
from pipeline.common.io import atomic_file
from pipeline.common.params import Params
from synth.triggerword.recipes import Recipes

FORMAT = b"datasynth-render-index-v1"  # bump when what decides a rendered clip changes outside the code hashed
LIBRARIES = ("numpy", "scipy", "soxr", "pyworld", "audiomentations", "soundfile")
ROW_FIELDS = ("background_clip", "background_offset", "background_gain_db", "reverb_ir", "mix_gain_db")
ROW_FIELDS += ("channel_center_hz", "channel_bandwidth_hz", "channel_rolloff_db", "channel_clip_percentile")
INSERT_FIELDS = ("insert_clip", "insert_start", "insert_length", "insert_gain_db")
INSERT_FIELDS += ("insert_formant_ratio", "insert_pitch_range")


def render_fingerprint(params: Params) -> bytes:
    """What, besides a recipe and its clips, decides the audio it renders to."""
    digest = hashlib.sha256(FORMAT)
    settings = {"seed": params.seed, "audio": params.audio.model_dump(), "synthesise": params.synthesise.model_dump()}
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    here = Path(__file__).parent
    shared = [here / "embed.py", here / "datasets.py", here.parent / "common/catalog.py", Path(speech.__file__)]
    code = sorted(Path(synth.__file__).parent.rglob("*.py")) + shared
    for path in code:
        digest.update(path.name.encode() + path.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=absent".encode())
    digest.update(f"openblas={blas_kernels()}".encode())
    return digest.digest()


def blas_kernels() -> str:
    """The kernel sets of the OpenBLAS libraries numpy and scipy loaded, e.g. 'SkylakeX' (threadpoolctl)."""
    import scipy.linalg  # noqa: F401  (scipy's own OpenBLAS, loaded as rendering would load it)
    from threadpoolctl import threadpool_info

    return ",".join(sorted({str(i.get("architecture")) for i in threadpool_info() if i["internal_api"] == "openblas"}))


class RenderIndex:
    """recipe key -> audio key, stored under `root` (None: remembers nothing)."""

    def __init__(self, params: Params, clip_sha256: np.ndarray, root: Path | None):
        self.prefix, self.clip_sha256 = render_fingerprint(params), np.asarray(clip_sha256, str)
        self.root = None if root is None else Path(root) / "recipes"

    def key(self, recipes: Recipes, row: int) -> str:
        digest = hashlib.sha256(self.prefix)
        for name in ROW_FIELDS:
            digest.update(np.ascontiguousarray(getattr(recipes, name)[row]).tobytes())
        active = recipes.insert_clip[row] >= 0
        for name in INSERT_FIELDS:
            digest.update(np.ascontiguousarray(getattr(recipes, name)[row][active]).tobytes())
        clips = np.concatenate([[recipes.background_clip[row]], recipes.insert_clip[row][active]])
        digest.update("|".join(self.clip_sha256[clips]).encode())
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def audio_key(self, key: str) -> str | None:
        """The audio key remembered for a recipe key, or None."""
        if self.root is None:
            return None
        try:
            return self._path(key).read_text().strip() or None
        except OSError:
            return None

    def remember(self, key: str, audio_key: str) -> None:
        if self.root is not None:
            with atomic_file(self._path(key), "w") as handle:
                handle.write(audio_key)
