"""Face items for the identity encoders: identity folders (the LFW layout) and fetching LFW itself.

    <root>/<person>/<photo>.jpg      one folder per identity, any number of photos

Every photo becomes one aligned face chip (synth.identity.faces.FaceAligner). Errors are FaceError with the
file (or folder) named; photos without a detectable face are skipped or errors (`on_no_face`).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from pipeline.common.io import atomic_dir, atomic_file
from pipeline.common.progress import progress
from synth.identity.faces import FaceAligner, FaceError, FaceNotFound, read_rgb

log = logging.getLogger("datasynth")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
ON_NO_FACE = ("skip", "error")
URL_SCHEMES = ("http", "https", "file")


def load_identity_folders(
    root: str | Path,
    aligner: FaceAligner,
    *,
    min_items: int = 2,
    max_items: int = 0,
    on_no_face: str = "skip",
    small_identities: str = "error",
    extensions: Sequence[str] = IMAGE_EXTENSIONS,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Items (item_id "person/file.jpg", identity, source = absolute path), sorted by identity then file,
    and their aligned chips uint8 (N, size, size, 3) in the same order.

    `max_items` > 0 keeps the first photos of each identity in name order. Each identity needs
    `min_items` usable photos: an error, or with small_identities="skip" the identity is left out
    (LFW: most of its 5 749 people have a single photo). The item ids of photos skipped for having no
    face are in `items.attrs["no_face"]`.
    """
    if on_no_face not in ON_NO_FACE:
        raise ValueError(f"on_no_face: {on_no_face!r} is not one of {list(ON_NO_FACE)}")
    if min_items < 1 or max_items < 0 or 0 < max_items < min_items:
        raise ValueError(
            f"min_items = {min_items}, max_items = {max_items}: need min_items >= 1 and "
            "max_items = 0 (all) or >= min_items"
        )
    skip_small = small_identities == "skip"
    photos = _identity_photos(Path(root), tuple(e.lower() for e in extensions), min_items, max_items, skip_small)
    # Filled in place: all of LFW is ~0.9 GB of chips, a list plus np.stack would need twice that.
    chips = np.empty((len(photos), aligner.size, aligner.size, 3), np.uint8)
    rows, no_face = [], []
    for identity, path in progress(photos, "faces", unit="photo"):
        item_id = f"{identity}/{path.name}"
        try:
            chips[len(rows)] = aligner.align(read_rgb(path), str(path))
        except FaceNotFound:
            if on_no_face == "error":
                raise
            log.warning("%s: no face found; skipped", path)
            no_face.append(item_id)
            continue
        rows.append((item_id, identity, str(path)))
    items = pd.DataFrame(rows, columns=["item_id", "identity", "source"])
    if skip_small:
        keep = (items.identity.map(items.identity.value_counts()) >= min_items).to_numpy()
        items, chips, rows = items[keep].reset_index(drop=True), chips[: len(rows)][keep], items[keep].values.tolist()
    _check_usable(items, no_face, Path(root), min_items)
    items.attrs["no_face"] = no_face
    log.info(
        "faces: %d photos of %d identities from %s (%d without a face skipped)",
        len(items),
        items.identity.nunique(),
        root,
        len(no_face),
    )
    return items, chips if len(rows) == len(chips) else chips[: len(rows)].copy()


def _identity_photos(
    root: Path, extensions: tuple[str, ...], min_items: int, max_items: int, skip_small: bool = False
) -> list[tuple[str, Path]]:
    """(identity, absolute path) of every photo to load, in a fixed order (not the file system's)."""
    if not root.is_dir():
        raise FaceError(f"{root}: no such folder (expected identity folders <root>/<person>/*.jpg)")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise FaceError(f"{root}: no identity folders (expected <root>/<person>/*.jpg)")
    photos = []
    for folder in folders:
        files = sorted(
            p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in extensions
        )
        if len(files) < min_items and skip_small:
            continue
        if len(files) < min_items:  # checked before aligning anything: fail in seconds, not minutes
            raise FaceError(_too_few(folder, len(files), min_items, "") + f" (extensions {list(extensions)})")
        photos += [(folder.name, p.absolute()) for p in files[: max_items or None]]
    return photos


def _check_usable(items: pd.DataFrame, no_face: list[str], root: Path, min_items: int) -> None:
    counts = items.identity.value_counts()
    for identity in sorted({i.split("/", 1)[0] for i in no_face}):
        if counts.get(identity, 0) < min_items:
            lost = sum(i.startswith(f"{identity}/") for i in no_face)
            raise FaceError(
                _too_few(root / identity, counts.get(identity, 0), min_items, "usable ")
                + f" ({lost} without a detectable face)"
            )


def _too_few(folder: Path, count: int, min_items: int, kind: str) -> str:
    noun = "image" if count == 1 else "images"
    return (
        f"{folder}: identity {folder.name!r} has {count} {kind}{noun}; min_items asks for at least "
        f"{min_items} per identity (triplets need at least 2)"
    )


def fetch_lfw(source: str, cache_dir: str | Path) -> Path:
    """The identity-folder root of LFW (or any archive in its layout).

    `source`: an http(s):// or file:// URL (downloaded once into cache_dir/downloads), a local
    .tgz / .tar.gz / .zip archive, or a folder already in the layout (returned as it is). Archives
    are extracted once into cache_dir; a single top-level folder (LFW's `lfw/`) is the root.
    """
    cache_dir = Path(cache_dir)
    if not source:
        raise FaceError("no LFW source given: a URL, an archive (.tgz, .tar.gz, .zip) or a folder")
    if urllib.parse.urlsplit(source).scheme.lower() in URL_SCHEMES:
        archive = _download(source, cache_dir / "downloads")
    else:
        archive = Path(source)
        if archive.is_dir():
            return archive
        if not archive.is_file():
            raise FaceError(f"{archive}: no such archive or folder (LFW source)")
    return _identity_root(_extract(archive, cache_dir))


def _download(url: str, folder: Path) -> Path:
    """The downloaded file (reused when already there); written to a temp name, renamed when complete."""
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    name = PurePosixPath(urllib.parse.urlsplit(url).path).name or "archive"
    path = folder / f"{key}-{name}"
    if path.is_file():
        return path
    log.info("faces: downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, atomic_file(path) as out:
            shutil.copyfileobj(response, out, length=1 << 20)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FaceError(f"{url}: download failed ({exc})") from None
    return path


def _extract(archive: Path, cache_dir: Path) -> Path:
    """Folder with the archive's contents; keyed by path, size and mtime so a changed archive is re-extracted."""
    stat = archive.stat()
    key = hashlib.sha256(f"{archive.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    stem = archive.name.removesuffix(".gz").removesuffix(".tgz").removesuffix(".tar").removesuffix(".zip")
    target = cache_dir / f"{stem}-{key}"
    if target.is_dir():
        return target
    log.info("faces: extracting %s into %s", archive, target)
    with atomic_dir(target) as tmp:  # a failed or unsafe archive leaves nothing behind
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, tmp)
        elif tarfile.is_tarfile(archive):
            _extract_tar(archive, tmp)
        else:
            raise FaceError(f"{archive}: not a .tgz, .tar.gz or .zip archive")
    return target


def _safe_name(archive: Path, name: str) -> None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise FaceError(f"{archive}: unsafe member {name!r} (absolute path or '..'); refusing to extract")


def _extract_tar(archive: Path, dest: Path) -> None:
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:  # one pass: a .tgz cannot seek back cheaply
                _safe_name(archive, member.name)
                if member.isfile() or member.isdir():  # links and devices are never photos
                    tar.extract(member, dest, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise FaceError(f"{archive}: not a readable tar archive ({exc})") from None


def _extract_zip(archive: Path, dest: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                _safe_name(archive, name)
            zf.extractall(dest)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FaceError(f"{archive}: not a readable zip archive ({exc})") from None


def _identity_root(folder: Path) -> Path:
    """A lone top-level folder that holds folders (LFW's `lfw/`) is the root; otherwise `folder` is."""
    entries = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir() and any(p.is_dir() for p in entries[0].iterdir()):
        return entries[0]
    return folder
