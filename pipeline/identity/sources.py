"""Items with identities for the encoders: recorded speakers, spoken words, or face photos.

Every source returns (items, data): a table with item_id, identity, source (the file) and
utterance (the unit kept within one split), and an array with one row per item: int16 audio of
identity.clip_seconds, or uint8 aligned face chips.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.audio_files import read_audio, source_rng
from pipeline.common.io import DataError
from pipeline.common.params.identity import IdentityParams
from pipeline.common.progress import progress
from pipeline.identity.packages import package_speakers
from synth.common.audio import loop_to_length, resample, to_mono, trim_silence
from synth.common.catalog import to_pcm16

log = logging.getLogger("datasynth")
AUDIO_SUFFIXES = (".wav", ".gsm", ".flac", ".ogg", ".mp3")  # asterisk's French and Colombian prompts are raw GSM
TRIM_DB = 35.0


def fixed_length(audio: np.ndarray, sr: int, params: IdentityParams) -> np.ndarray | None:
    """Speech without its silent ends, cut or repeated to clip_seconds; None if too little speech.

    Repeating rather than zero-padding: with silence padding, every short word looked alike to
    the encoder (mostly silence) and their embeddings collapsed onto one point.
    """
    speech = trim_silence(audio, sr, TRIM_DB)
    if len(speech) < params.min_speech_seconds * sr:
        return None
    return loop_to_length(speech, params.clip_samples)


def audio_file_item(path: Path, sample_rate: int, params: IdentityParams) -> np.ndarray | None:
    """One recording as an item: mono, at `sample_rate`, speech cut or repeated to clip_seconds."""
    audio, sr = read_audio(path, str(path))
    return fixed_length(resample(to_mono(audio), sr, sample_rate), sample_rate, params)


def speaker_items(params: IdentityParams, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """identity.speakers (and speaker_packages): {name: [folders]}; up to max_items clips per speaker,
    drawn at random."""
    rows, clips = [], []
    speakers = package_speakers(params.speaker_packages)
    speakers |= {name: _speaker_files(name, folders) for name, folders in sorted(params.speakers.items())}
    for identity, files in sorted(speakers.items()):
        order = source_rng(seed, f"identity:{identity}").permutation(len(files))
        kept = 0
        for i in progress(order, f"speaker {identity}", unit="clip"):
            if params.max_items and kept >= params.max_items:
                break
            path, root = files[i]
            clip = audio_file_item(path, params.sample_rate, params)
            if clip is None:
                continue
            utterance = path.relative_to(root).with_suffix("").as_posix()
            rows.append((f"{identity}/{utterance}", identity, str(path), utterance))
            clips.append(to_pcm16(clip))
            kept += 1
        log.info("identity: speaker %s: %d clips from %d files", identity, kept, len(files))
    return _table(rows), _stack(clips, (0, params.clip_samples), np.int16)


def _speaker_files(identity: str, folders) -> list[tuple[Path, Path]]:
    files = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise DataError(
                f"{folder}: not a folder, but params.yaml identity.speakers.{identity} lists it "
                "(the default speakers come from the asterisk-core-sounds-*-wav and asterisk-prompt-* "
                "Debian packages: ./setup.sh installs them)"
            )
        files += [(p, folder) for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES]
    return files


def word_items(params: IdentityParams, sample_rate: int, catalog_dir: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Spoken words of the trigger-word catalog: identity = word, utterance = the voice that said it,
    so a test word is heard in voices the encoder never trained on."""
    from pipeline.common.catalog import load_bank, read_catalog

    catalog = read_catalog(catalog_dir)
    words = catalog[catalog.kind.isin(["positive", "negative"])]
    counts = words.word.value_counts()
    keep = words[words.word.map(counts) >= params.min_items]
    if keep.word.nunique() < 2:
        raise DataError(f"{catalog_dir}: fewer than 2 words have identity.min_items = {params.min_items} clips")
    log.info(
        "identity: words: %d words with >= %d clips (%d rarer words left out)",
        keep.word.nunique(),
        params.min_items,
        words.word.nunique() - keep.word.nunique(),
    )
    bank = load_bank(catalog, catalog_dir, rows=keep.index.to_numpy())
    rows, clips = [], []
    for index, row in (
        keep.sort_values(["word", "clip_id"]).groupby("word", sort=True).head(params.max_items or None).iterrows()
    ):
        audio = bank.clip(index).astype(np.float32) / 32768.0
        clip = fixed_length(resample(audio, sample_rate, params.sample_rate), params.sample_rate, params)
        if clip is not None:
            rows.append((f"{row.word}/{row.clip_id}", row.word, str(row.path), row.split_group))
            clips.append(to_pcm16(clip))
    items = _table(rows)
    usable = (items.identity.map(items.identity.value_counts()) >= params.min_items).to_numpy()
    return items[usable].reset_index(drop=True), _stack(clips, (0, params.clip_samples), np.int16)[usable]


def face_items(params: IdentityParams, cache_dir: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Identity folders (or an LFW archive): detected, aligned and cropped faces; one photo = one utterance."""
    from pipeline.identity.faces import fetch_lfw, load_identity_folders
    from synth.identity.faces import FaceAligner, FaceError

    faces = params.faces
    try:
        root = Path(faces.root) if faces.root else fetch_lfw(faces.lfw, cache_dir)
        items, chips = load_identity_folders(
            root,
            FaceAligner(size=faces.size),
            min_items=params.min_items,
            max_items=params.max_items,
            on_no_face=faces.on_no_face,
            small_identities=faces.small_identities,
        )
    except FaceError as exc:  # a stage error names the file; no traceback from deep in dlib
        raise DataError(str(exc)) from None
    items = items.assign(utterance=items.item_id)
    return items[["item_id", "identity", "source", "utterance"]], chips


def _table(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["item_id", "identity", "source", "utterance"])


def _stack(arrays: list[np.ndarray], empty_shape: tuple, dtype) -> np.ndarray:
    return np.stack(arrays).astype(dtype) if arrays else np.zeros(empty_shape, dtype)
