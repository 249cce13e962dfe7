"""Tux Paint's spoken stamp descriptions on disk (Debian tuxpaint-stamps-default), read by the trigger word
(negatives) and the identity encoders (one speaker per language).

Each stamp may have `<stamp>_desc.ogg` (English) and `<stamp>_desc_<lang>.ogg` beside its `<stamp>.txt`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

STAMPS_DIR = Path("/usr/share/tuxpaint/stamps")
APT_PACKAGE = "tuxpaint-stamps-default"
DESCRIPTION = re.compile(r"_desc(?:_([a-z]{2,3}(?:_[A-Z]{2})?))?\.ogg$")


def descriptions(root: Path) -> Iterator[tuple[Path, Path, str | None]]:
    """(audio file, its stamp's .txt, language or None for English) of every description, in path order."""
    for path in sorted(root.rglob("*_desc*.ogg")):
        found = DESCRIPTION.search(path.name)
        if found:
            yield path, path.with_name(path.name[: found.start()] + ".txt"), found[1]
