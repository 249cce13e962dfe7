"""A tiny synthetic dataset on disk, laid out like the pipeline's: data/catalog/ (catalog.parquet +
int16 WAVs) and data/synth/ (recipes.parquet, clip_splits.parquet), plus params.yaml.

Tests change `Dataset` fields (catalog rows, recipe arrays, clip splits) and call `save()` to
inject one defect; the recipes' catalog hash is refreshed so read_recipes accepts the edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import soundfile as sf

from pipeline.common.catalog import file_sha256
from pipeline.common.params import Params, load_params
from pipeline.triggerword.synthesise import recipe_table, synthesise
from synth.common.catalog import CATALOG_COLUMNS, clip_peak, clip_rms, to_pcm16
from synth.triggerword.recipes import Recipes
from tests.helpers.project import full_params

# 1 s clips at 8 kHz with short words: every stage of the data path in milliseconds.
TINY_PARAMS = """\
seed: 7
audio: {sample_rate: 8000, clip_seconds: 1.0}
collect: {positive_word: activate, negative_words: [kitchen, lion], min_word_seconds: 0.05,
  max_word_seconds: 0.15, max_phrase_seconds: 0.15}
synthesise: {examples: {train: 60, dev: 30, test: 30}, positives: [0, 2], negatives: [0, 1],
  min_gap_seconds: 0.05, end_guard_seconds: 0.1, reverb_irs: 4, reverb_rt60_seconds: [0.05, 0.1],
  reverb_probability: 0.25, stream: {hours: 0.01, mining_hours: 0.01, dev_hours: 0.01, negatives: [0, 1],
  conversation: {hours: 0.0, mining_hours: 0.0, dev_hours: 0.0}}}   # TTS only: no recorded speech to talk
labels: {ty: 21, ones_after_end: 3}   # the default model maps 1 s at 8 kHz to 21 steps
validate: {positive_share: [0.4, 0.95], rendered_sample: 8}
studies: {audio_rate: {rates: [8000]}}
"""  # merged over the project's params.yaml


@dataclass
class Dataset:
    root: Path
    params: Params
    catalog: pd.DataFrame
    recipes: Recipes
    clip_splits: pd.DataFrame

    @property
    def catalog_dir(self) -> Path:
        return self.root / "data" / "catalog"

    @property
    def synth_dir(self) -> Path:
        return self.root / "data" / "synth"

    def save(self) -> None:
        """Write catalog, recipes (stamped with the catalog's hash) and clip splits."""
        self.catalog.to_parquet(self.catalog_dir / "catalog.parquet", index=False)
        table = recipe_table(self.params, self.recipes, file_sha256(self.catalog_dir / "catalog.parquet"))
        self.synth_dir.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, self.synth_dir / "recipes.parquet")
        self.clip_splits.to_parquet(self.synth_dir / "clip_splits.parquet", index=False)

    def redraw(self, params: Params) -> None:
        """Recipes drawn with other params (validated against self.params)."""
        self.recipes, _, _ = synthesise(params, self.catalog)


def _word(rng: np.random.Generator, seconds: float, sample_rate: int) -> np.ndarray:
    """A tone burst peak-normalised to -1 dBFS, like a trimmed, normalised word."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    tone = np.sin(2 * np.pi * rng.uniform(200, 1200) * t) * np.hanning(len(t))
    return tone / np.abs(tone).max() * 10 ** (-1 / 20)


def _clip_row(catalog_dir: Path, pcm: np.ndarray, sample_rate: int, **fields) -> dict:
    path = Path("clips") / f"{fields['clip_id']}.wav"
    sf.write(catalog_dir / path, pcm, sample_rate, subtype="PCM_16")
    return {
        "origin": "tests",
        "licence": "CC0-1.0",
        "language": "en",
        "text": fields.get("word", ""),
        **fields,
        "path": str(path),
        "sample_rate": sample_rate,
        "num_samples": len(pcm),
        "duration_s": len(pcm) / sample_rate,
        "rms": clip_rms(pcm),
        "peak": clip_peak(pcm),
        "sha256": file_sha256(catalog_dir / path),
    }


def make_catalog(
    catalog_dir: Path,
    params: Params,
    speakers: int = 6,
    takes: int = 1,
    recordings: int = 3,
    windows: int = 2,
    seed: int = 0,
) -> pd.DataFrame:
    """Each speaker says the positive word `takes` times and each negative word once; each
    background recording gives `windows` noise windows of 1.25 clip lengths."""
    rng = np.random.default_rng(seed)
    sr, c = params.audio.sample_rate, params.collect
    (catalog_dir / "clips").mkdir(parents=True, exist_ok=True)
    rows = []
    for s in range(speakers):
        speaker = f"tts:voice{s}"
        words = [c.positive_word] * takes + list(c.negative_words)
        for j, word in enumerate(words):
            kind = "positive" if word == c.positive_word else "negative"
            seconds = rng.uniform(c.min_word_seconds, c.max_word_seconds)
            rows.append(
                _clip_row(
                    catalog_dir,
                    to_pcm16(_word(rng, seconds, sr)),
                    sr,
                    clip_id=f"{speaker}:{word}:{j}",
                    kind=kind,
                    word=word,
                    source="tts:test",
                    speaker=speaker,
                    split_group=speaker,
                )
            )
    for b in range(recordings):
        for w in range(windows):
            noise = rng.standard_normal(int(1.25 * params.audio.clip_samples)) * 0.1
            rows.append(
                _clip_row(
                    catalog_dir,
                    to_pcm16(np.clip(noise, -1, 1)),
                    sr,
                    clip_id=f"bg{b}:{w}",
                    kind="background",
                    word="",
                    source="noise",
                    speaker=f"bg{b}",
                    split_group=f"bg{b}",
                    language="",
                )
            )
    frame = pd.DataFrame(rows)
    frame.insert(0, "clip_index", np.arange(len(frame)))
    return frame[list(CATALOG_COLUMNS)].astype({k: v[0] for k, v in CATALOG_COLUMNS.items()})


def make_dataset(root: Path, params_text: str = TINY_PARAMS, **catalog_args) -> Dataset:
    """params.yaml + catalog + recipes under `root`, as collect and synthesise would leave them."""
    (root / "params.yaml").write_text(full_params(params_text))
    params = load_params(root / "params.yaml")
    catalog = make_catalog(root / "data" / "catalog", params, **catalog_args)
    recipes, _, clip_split = synthesise(params, catalog)
    splits = pd.DataFrame(
        {
            "clip_index": catalog["clip_index"],
            "clip_id": catalog["clip_id"],
            "kind": catalog["kind"],
            "split_group": catalog["split_group"],
            "split": clip_split,
        }
    )
    dataset = Dataset(root, params, catalog, recipes, splits)
    dataset.save()
    return dataset


def with_params(params: Params, **synthesise_changes) -> Params:
    return params.replace(synthesise=params.synthesise.replace(**synthesise_changes))
