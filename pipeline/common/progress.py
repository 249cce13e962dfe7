"""Progress of a long loop: a bar on a terminal, and a log line every so often when there is none
(`./setup.sh > log`, CI, a Prefect task), so a stage that runs for minutes is never silent."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger("datasynth.progress")
EVERY_SECONDS = 30.0  # between log lines when stderr is not a terminal


def progress(
    items: Iterable[T], label: str, total: int | None = None, unit: str = "item", every: float = EVERY_SECONDS
) -> Iterator[T]:
    """Yield `items`, showing how far the loop has come: a tqdm bar on a terminal, else a log line every
    `every` seconds ("embedding train: 480/2400 items (20 %), 2.0 min, ~8.0 min left") and one at the end."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(items, desc=label, total=total, unit=unit, leave=False)
        return
    start = last = time.monotonic()
    done = 0
    for item in items:
        yield item
        done += 1
        if (now := time.monotonic()) - last >= every:
            last = now
            log.info(progress_line(label, done, total, unit, now - start))
    if done and time.monotonic() - start >= every:
        log.info(progress_line(label, done, total, unit, time.monotonic() - start))


def progress_line(label: str, done: int, total: int | None, unit: str, seconds: float) -> str:
    line = f"{label}: {done}" + (f"/{total}" if total else "") + f" {_plural(unit)}"
    if total:
        line += f" ({100 * done / total:.0f} %)"
    line += f", {_minutes(seconds)}"
    if total and done < total:
        line += f", ~{_minutes(seconds / done * (total - done))} left"
    return line


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


IRREGULAR_PLURALS = {"batch": "batches"}  # the loops' units: clip, batch, epoch, photo, step, item


def _plural(unit: str) -> str:
    return IRREGULAR_PLURALS.get(unit, unit + "s")
