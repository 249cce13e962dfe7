"""Speech Commands-style archives (collect.archives; off by default).

An entry is a URL (http, https, file) or a local path to a .tar.gz laid out as

    <word>/<speaker>_nohash_<n>.wav      one folder per word
    _background_noise_/*.wav             long background recordings

or a mapping {url: ..., sha256: ..., licence: ..., name: ..., language: ...}. URLs are downloaded
once into data/cache/archives/; a given sha256 is checked for downloads and local files alike.
The positive word's folder gives positives, every other word negatives (words containing the
positive word are excluded), _background_noise_ backgrounds. Clips are strict.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pipeline.common.audio_files import read_audio
from pipeline.common.io import DataError, atomic_file
from pipeline.triggerword.sources.base import RawClip, Skipped, SourceIter, contains_word

CACHE_DIR = Path("data/cache/archives")
BACKGROUND_FOLDER = "_background_noise_"
SPEC_KEYS = {"url", "sha256", "licence", "name", "language"}


@dataclass(frozen=True)
class ArchiveSpec:
    url: str  # http(s)://, file:// or a local path
    sha256: str = ""
    licence: str = "see the archive's own licence"
    name: str = ""  # id prefix; default: the file name without .tar.gz
    language: str = "und"

    @property
    def label(self) -> str:
        base = PurePosixPath(self.url.split("?", 1)[0]).name
        return self.name or base.removesuffix(".gz").removesuffix(".tgz").removesuffix(".tar")


def parse_spec(entry: str | dict[str, Any]) -> ArchiveSpec:
    """A params.yaml collect.archives entry -> ArchiveSpec (DataError on a malformed entry)."""
    if isinstance(entry, str):
        return ArchiveSpec(url=entry)
    if isinstance(entry, dict) and "url" in entry and not set(entry) - SPEC_KEYS:
        return ArchiveSpec(**{k: str(v) for k, v in entry.items()})
    raise DataError(
        f"params.yaml collect.archives: {entry!r} is neither a URL/path nor a mapping "
        f"with 'url' and optional {sorted(SPEC_KEYS - {'url'})}"
    )


def fetch(spec: ArchiveSpec, cache_dir: Path = CACHE_DIR) -> Path:
    """Local path of the archive: downloaded (once) for URLs, checked against sha256 if given."""
    if "://" not in spec.url:
        path = Path(spec.url)
        if not path.is_file():
            raise DataError(f"{path}: archive not found (params.yaml collect.archives)")
    else:
        key = hashlib.sha256(spec.url.encode()).hexdigest()[:16]
        path = cache_dir / f"{key}-{PurePosixPath(spec.url.split('?', 1)[0]).name or 'archive'}"
        if not path.is_file() or (spec.sha256 and _sha256(path) != spec.sha256.lower()):
            _download(spec.url, path)
    if spec.sha256 and (digest := _sha256(path)) != spec.sha256.lower():
        raise DataError(
            f"{path}: sha256 is {digest}, but params.yaml collect.archives expects {spec.sha256} (from {spec.url})"
        )
    return path


def _download(url: str, path: Path) -> None:
    try:
        with urllib.request.urlopen(url, timeout=60) as response, atomic_file(path) as out:
            shutil.copyfileobj(response, out, length=1 << 20)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DataError(f"{url}: download failed ({exc}) (params.yaml collect.archives)") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_clips(entry: str | dict[str, Any], positive_word: str, cache_dir: Path = CACHE_DIR) -> SourceIter:
    """Clips of one archive, streamed in archive order (gzip cannot seek back cheaply)."""
    spec = parse_spec(entry)
    path = fetch(spec, cache_dir)
    source = f"archive:{spec.label}"
    positive = positive_word.strip().lower()
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                item = _member_clip(tar, member, spec, source, positive)
                if item is not None:
                    yield item
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataError(f"{path}: not a readable tar archive ({exc}) (from {spec.url})") from None


def _member_clip(
    tar: tarfile.TarFile, member: tarfile.TarInfo, spec: ArchiveSpec, source: str, positive: str
) -> RawClip | Skipped | None:
    parts = PurePosixPath(member.name.removeprefix("./")).parts
    if not member.isfile() or len(parts) < 2 or not parts[-1].lower().endswith(".wav"):
        return None
    folder, file_name = parts[-2], parts[-1]
    origin = f"{spec.url}:{member.name}"
    if folder == BACKGROUND_FOLDER:
        kind, word = "background", ""
    elif folder.lower() == positive:
        kind, word = "positive", positive
    elif contains_word(folder, positive):
        return Skipped(source, origin, "contains the positive word")
    else:
        kind, word = "negative", folder.lower().replace("_", " ")
    handle = tar.extractfile(member)
    audio, sr = read_audio(handle.read() if handle else b"", origin)
    stem = PurePosixPath(file_name).stem
    if kind == "background":
        speaker = f"{source}/{BACKGROUND_FOLDER}/{stem}"  # the recording
    else:
        speaker = f"{spec.label}:{stem.split('_nohash_', 1)[0]}"
    return RawClip(
        kind=kind,
        word=word,
        source=source,
        name=f"{folder}/{stem}",
        speaker=speaker,
        split_group=speaker,
        language="" if kind == "background" else spec.language,
        origin=origin,
        licence=spec.licence,
        audio=audio,
        sample_rate=sr,
        strict=True,
    )
