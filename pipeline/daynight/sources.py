"""Where the day/night photos come from: Debian/PyPI packages and the user's day/ and night/ folders.

Each found photo is a `Photo` (path, source, licence, label). Package photos that are artwork are
dropped by the recorded `daynight.exclude` globs; real night/dusk ones are named by `daynight.night`.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.common.io import DataError
from pipeline.common.params.daynight import DayNightParams

log = logging.getLogger("datasynth.daynight")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


@dataclass(frozen=True)
class Photo:
    path: Path
    photo_id: str  # unique, stable: names the source photo every variant derives from
    source: str  # package name or folder:<root>
    licence: str
    label: str  # day | night
    user: bool  # from the user's folders: bad files are errors, not skips


def resolve_root(root: str) -> Path | None:
    """A filesystem root, or `python:pkg/sub/dir` inside an installed Python package."""
    if not root.startswith("python:"):
        return Path(root)
    module, _, sub = root[len("python:") :].partition("/")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / sub


def debian_licences(package: str) -> list[tuple[list[str], str]]:
    """(file globs, licence) stanzas of /usr/share/doc/<package>/copyright (DEP-5), in file order."""
    path = Path("/usr/share/doc") / package / "copyright"
    if not path.is_file():
        return []
    stanzas, files, licence = [], None, None
    for block in re.split(r"\n\s*\n", path.read_text(errors="replace")):
        files = re.search(r"^Files:\s*(.+?)(?=^\S|\Z)", block, re.M | re.S)
        licence = re.search(r"^License:\s*(.+)$", block, re.M)
        if files and licence:
            stanzas.append((files.group(1).split(), licence.group(1).strip()))
    return stanzas


def licence_for(path: Path, stanzas: list[tuple[list[str], str]]) -> str:
    """The most specific stanza whose glob matches the file (DEP-5: later stanzas override `*`)."""

    def hit(glob: str) -> bool:  # source-tree paths differ from installed ones: also match an exact file name
        name = Path(glob).name
        return (
            glob == "*"
            or fnmatch.fnmatch(str(path), f"*/{glob}")
            or ("*" not in name and "?" not in name and name == path.name)
        )

    found = "see /usr/share/doc copyright"
    for globs, licence in stanzas:
        if any(hit(g) for g in globs):
            found = licence
    return found


def _matches(path: Path, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(str(path), p) for p in patterns)


def _one_per_dir(files: list[Path], min_side: int) -> list[Path]:
    """Wallpaper packages ship one photo at many sizes (`WxH.jpg`): keep the smallest big enough."""
    by_dir: dict[Path, list[Path]] = {}
    for f in files:
        by_dir.setdefault(f.parent, []).append(f)

    def side(f: Path) -> int:
        m = re.match(r"(\d+)x(\d+)", f.stem)
        return min(int(m.group(1)), int(m.group(2))) if m else 10**6

    chosen = []
    for group in by_dir.values():
        big = [f for f in group if side(f) >= 2 * min_side] or group
        chosen.append(min(big, key=lambda f: (side(f), f.suffix != ".jpg", str(f))))
    return chosen


def package_photos(params: DayNightParams) -> tuple[list[Photo], dict[str, int]]:
    """Photos from the configured packages; a missing package is a logged, counted skip."""
    photos, skipped = [], {}
    for name, spec in params.sources.items():
        root = resolve_root(spec["root"])
        if root is None or not root.is_dir():
            log.warning("daynight: %s is not installed (%s); skipped", name, spec["root"])
            skipped[name] = skipped.get(name, 0) + 1
            continue
        files = sorted({f for g in spec["globs"] for f in root.glob(g) if f.suffix.lower() in IMAGE_SUFFIXES})
        files = [f for f in files if not _matches(f, params.exclude)]
        if spec.get("one_per_dir"):
            files = _one_per_dir(files, params.size)
        stanzas = debian_licences(name)
        for f in files:
            rel = f.parent.parent.parent.name if spec.get("one_per_dir") else f.stem
            photos.append(
                Photo(
                    path=f,
                    photo_id=f"{name}/{rel}",
                    source=name,
                    licence=spec.get("licence") or licence_for(f, stanzas),
                    label="night" if _matches(f, params.night) else "day",
                    user=False,
                )
            )
    if params.max_photos:
        photos = _cap(photos, params.max_photos)
    return photos, skipped


def _cap(photos: list[Photo], limit: int) -> list[Photo]:
    """At most `limit` day photos, taken round-robin over sources (keeps every night photo)."""
    nights = [p for p in photos if p.label == "night"]
    days: dict[str, list[Photo]] = {}
    for p in photos:
        if p.label == "day":
            days.setdefault(p.source, []).append(p)
    picked: list[Photo] = []
    while len(picked) < limit and any(days.values()):
        for queue in days.values():
            if queue and len(picked) < limit:
                picked.append(queue.pop(0))
    return picked + nights


def folder_photos(root: str | Path) -> list[Photo]:
    """The user's photos: `<root>/day/**` and `<root>/night/**`; a missing or empty class folder is an error."""
    root = Path(root)
    photos = []
    for label in ("day", "night"):
        folder = root / label
        if not folder.is_dir():
            raise DataError(f"{folder}: missing; a photo folder needs day/ and night/ sub-folders")
        files = sorted(f for f in folder.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DataError(f"{folder}: no .jpg/.jpeg/.png images in this class folder")
        for f in files:
            rel = f.relative_to(root).with_suffix("")
            photos.append(
                Photo(
                    path=f,
                    photo_id=f"folder:{root.name}/{rel.as_posix()}",
                    source=f"folder:{root.name}",
                    licence="user-supplied",
                    label=label,
                    user=True,
                )
            )
    return photos
