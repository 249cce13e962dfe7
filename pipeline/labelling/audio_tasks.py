"""The two listening studies: review the audit's unsure clips, and hear test clips at each sample rate."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.io import DataError
from pipeline.labelling.tasks import Choice, Item, Task

REVIEW_CHOICES = (
    Choice("says", "Says it", "y"),
    Choice("other", "Something else", "n"),
    Choice("unsure", "Can't tell", "u"),
)


def wav_at_rate(path: Path, rate: int) -> bytes:
    """The clip band-limited to `rate` (down and back up) and played at its own rate, so the file
    itself never tells the rung; rate 0 or >= the clip's rate plays it as it is."""
    import soundfile as sf

    from pipeline.common.audio_files import read_audio
    from synth.common.audio import resample, to_mono

    audio, own = read_audio(path, str(path))
    audio = to_mono(audio)
    if 0 < rate < own:
        audio = resample(resample(audio, own, rate), rate, own)[: len(audio)]
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio, -1.0, 1.0), own, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def review_task(review: str | Path, catalog_dir: str | Path) -> Task:
    """The audit's unsure clips (data/audit/review.parquet): does the clip say its text?"""
    catalog = _catalog(catalog_dir)
    table = _read(review, ["clip_id", "text"], "run the audit stage first (dvc repro audit)")
    missing = sorted(set(table["clip_id"]) - set(catalog.index))
    if missing:
        raise DataError(f"{review}: clip {missing[0]!r} is not in {catalog_dir}; the review list is stale (dvc repro)")
    items = {
        row.clip_id: Item(row.clip_id, Path(catalog_dir) / catalog.at[row.clip_id, "path"], "says", f"“{row.text}”")
        for row in table.itertuples()
    }
    return Task(
        name="review",
        title="Does it say the words?",
        instructions="Each clip should say the words shown above it. Listen (press Space to replay) and "
        "answer whether it says them, says something else, or you can't tell.",
        media="audio",
        choices=REVIEW_CHOICES,
        levels=[0],
        level_name="level",
        items=_checked(items),
        render=lambda item, level: wav_at_rate(item.path, 0),
    )


def sample_rate_task(
    catalog_dir: str | Path, clip_splits: str | Path, ladder: list[int], word: str, n: int, seed: int
) -> Task:
    """Test-split word clips, half of them the trigger word, heard at each rate of the ladder."""
    catalog = _catalog(catalog_dir)
    splits = _read(clip_splits, ["clip_id", "split", "kind"], "run the synthesise stage first (dvc repro synthesise)")
    test = splits[(splits["split"] == "test") & splits["kind"].isin(["positive", "negative"])]
    test = test[test["clip_id"].isin(catalog.index)]
    rng = np.random.default_rng(seed)
    chosen = []
    for kind in ("positive", "negative"):
        pool = sorted(test.loc[test["kind"] == kind, "clip_id"])
        if tts := [c for c in pool if str(catalog.at[c, "source"]).startswith("tts:")]:
            pool = tts  # near-miss words are spoken by TTS voices; recordings of other languages are too easy
        chosen += list(rng.choice(pool, size=min(n // 2, len(pool)), replace=False)) if pool else []
    if not chosen:
        raise DataError(f"{clip_splits}: no test-split word clips to play")
    items = {
        c: Item(c, Path(catalog_dir) / catalog.at[c, "path"], "yes" if catalog.at[c, "kind"] == "positive" else "no")
        for c in sorted(chosen)
    }
    return Task(
        name="sample-rate",
        title=f"Did you hear “{word}”?",
        instructions=f"Some clips say “{word}”, others say another word. Some sound muffled: answer anyway, "
        "with your best guess. Space replays a clip.",
        media="audio",
        choices=(Choice("yes", f"Heard “{word}”", "y"), Choice("no", "Not heard", "n")),
        levels=ladder,
        level_name="sample_rate",
        items=_checked(items),
        render=lambda item, level: wav_at_rate(item.path, level),
    )


def _catalog(catalog_dir: str | Path) -> pd.DataFrame:
    from pipeline.common.catalog import read_catalog

    return read_catalog(catalog_dir).set_index("clip_id")


def _read(path: str | Path, columns: list[str], hint: str) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found ({hint})")
    table = pd.read_parquet(path)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing columns {missing}")
    if table.empty:
        raise DataError(f"{path}: no rows")
    return table


def _checked(items: dict[str, Item]) -> dict[str, Item]:
    for item in items.values():
        if not item.path.is_file():
            raise DataError(f"clip {item.item_id!r}: no file {item.path}")
    return items
