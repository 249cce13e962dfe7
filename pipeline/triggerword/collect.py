"""DVC stage `collect`: gather words and backgrounds from the sources in params.yaml into
data/catalog/ (16-bit WAV clips, catalog.parquet, NOTICE.md) and reports/metrics/collect.json.
Clips people rejected on the listening page (collect.review_verdicts) are left out and listed,
with the reason, in data/catalog/rejected.parquet.

    python -m pipeline.triggerword.collect [--params params.yaml]
"""

from __future__ import annotations

import argparse
import logging
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from pipeline.common.io import DataError, atomic_dir, run_stage, write_json, write_text
from pipeline.common.params import Params, load_params
from pipeline.common.progress import progress
from pipeline.triggerword.sources.base import Skipped, SourceIter

CATALOG_DIR = Path("data/catalog")
METRICS_PATH = Path("reports/metrics/collect.json")
QUIET_REASONS = {"contains the positive word", "too long (phrase)", "too short"}  # routine: one summary line per source
log = logging.getLogger("datasynth.collect")


class Collected(NamedTuple):
    table: pd.DataFrame  # the catalog
    skipped: Counter  # (source, reason) -> clips skipped
    left_out: pd.DataFrame  # clips people rejected: clip_id, source, speaker, reason
    near_misses: dict[str, int]  # computed near-miss text -> phoneme distance from the positive word


def plan_sources(params: Params) -> list[tuple[str, Callable[[], SourceIter]]]:
    """(label, generator factory) for every source params.yaml enables, in a fixed order."""
    from pipeline.triggerword.sources.archives import archive_clips
    from pipeline.triggerword.sources.backgrounds import background_clips
    from pipeline.triggerword.sources.folders import folder_clips
    from pipeline.triggerword.sources.packages import speech_package_clips
    from pipeline.triggerword.sources.tts import tts_clips

    c, word = params.collect, params.collect.positive_word
    plan: list[tuple[str, Callable[[], SourceIter]]] = []
    if c.tts.engines:
        plan.append(("tts", lambda: tts_clips(c, params.seed)))
    plan += [(name, lambda name=name: speech_package_clips(name, c)) for name in c.speech_packages]
    plan += [(f"folder {root}", lambda root=root: folder_clips(root, word)) for root in c.folders]
    plan += [(f"archive {i}", lambda entry=entry: archive_clips(entry, word)) for i, entry in enumerate(c.archives)]
    plan += [
        (name, lambda name=name: background_clips(name, c, params.audio.sample_rate, params.seed))
        for name in c.backgrounds
    ]
    return plan


def collect(params: Params, out_dir: Path) -> Collected:
    """Run every source, prepare and write its clips. Near misses of the positive word join the
    negative words when TTS engines say them; clips people rejected are left out."""
    from pipeline.common.review_verdicts import read_verdicts, rejected
    from pipeline.triggerword.sources.near_misses import find_near_misses, with_near_misses
    from pipeline.triggerword.sources.prepare import ClipRejected, prepare
    from pipeline.triggerword.sources.writer import CatalogWriter

    near = find_near_misses(params.collect) if params.collect.tts.engines else []
    params = params.replace(collect=with_near_misses(params.collect, near))
    writer = CatalogWriter(out_dir)
    skipped: Counter = Counter()
    reject = rejected(read_verdicts(params.collect.review_verdicts))
    left_out: list[dict] = []
    for label, make in plan_sources(params):
        start, before = time.monotonic(), len(writer.rows)
        for item in progress(make(), f"collect {label}", unit="clip"):
            if isinstance(item, Skipped):
                skipped[(item.source, item.reason)] += 1
                (log.warning if item.warn else log.debug)("skipped %s: %s", item.origin, item.detail or item.reason)
                continue
            try:
                prepared = prepare(item, params.audio, params.collect)
            except ClipRejected as exc:
                if item.strict:
                    raise
                skipped[(item.source, exc.reason)] += 1
                (log.debug if exc.reason in QUIET_REASONS else log.warning)("skipped %s", exc)
                continue
            for clip in prepared:
                if clip.clip_id in reject:
                    skipped[(item.source, "rejected by review")] += 1
                    left_out.append(_left_out(clip, reject[clip.clip_id]))
                    continue
                writer.add(clip)
        log.info("%s: %d clips in %.1f s", label, len(writer.rows) - before, time.monotonic() - start)
    for (source, reason), n in sorted(skipped.items()):
        log.info("%s: skipped %d clip(s): %s", source, n, reason)
    table = writer.table()
    _check_catalog(table, params)
    unknown = sorted(set(reject) - {row["clip_id"] for row in left_out})
    if unknown:
        log.warning(
            "%s: %d rejected clip id(s) not in the catalog, e.g. %s",
            params.collect.review_verdicts,
            len(unknown),
            unknown[0],
        )
    left_out_table = pd.DataFrame(left_out, columns=["clip_id", "source", "speaker", "reason"])
    return Collected(table, skipped, left_out_table, {m.text: m.distance for m in near})


def _left_out(prepared, reason: str) -> dict:
    clip = prepared.clip
    return {"clip_id": prepared.clip_id, "source": clip.source, "speaker": clip.speaker, "reason": reason}


def _check_catalog(table: pd.DataFrame, params: Params) -> None:
    kinds = set(table["kind"])
    if "positive" not in kinds:
        raise DataError(
            "no positive clips were collected: enable collect.tts.engines or add "
            "recordings of the positive word to collect.folders"
        )
    if "background" not in kinds:
        raise DataError(
            "no background clips were collected: enable collect.backgrounds "
            "(noise needs no packages) or add backgrounds/ to collect.folders"
        )
    if "negative" not in kinds:
        log.warning("no negative clips were collected; the model will never hear other words")


def metrics(table: pd.DataFrame, skipped: Counter, near_misses: dict[str, int]) -> dict:
    """Deterministic counts for reports/metrics/collect.json (no timings: DVC diffs these)."""
    by_kind = table.groupby("kind")
    skips: dict[str, dict[str, int]] = {}
    for (source, reason), n in sorted(skipped.items()):
        skips.setdefault(source, {})[reason] = n
    return {
        "clips": {kind: int(n) for kind, n in table["kind"].value_counts().sort_index().items()},
        "clips_per_source": {f"{k}/{s}": int(n) for (k, s), n in table.groupby(["kind", "source"]).size().items()},
        "speakers": {kind: int(g["speaker"].nunique()) for kind, g in by_kind if kind != "background"},
        "split_groups": {kind: int(g["split_group"].nunique()) for kind, g in by_kind},
        "words": {kind: int(g["word"].nunique()) for kind, g in by_kind if kind != "background"},
        "background_minutes": round(float(table.loc[table["kind"] == "background", "duration_s"].sum()) / 60, 3),
        "mean_word_seconds": {
            kind: round(float(g["duration_s"].mean()), 4) for kind, g in by_kind if kind != "background"
        },
        "skipped": skips,
        "skipped_total": int(sum(skipped.values())),
        "near_misses": near_misses,
    }


def main(argv: list[str] | None = None) -> None:
    from pipeline.triggerword.sources.writer import notice_markdown

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", default="params.yaml", help="parameters file (default: params.yaml)")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    started = time.monotonic()
    with atomic_dir(CATALOG_DIR) as out:
        found = collect(params, out)
        found.table.to_parquet(out / "catalog.parquet", index=False, engine="pyarrow")
        found.left_out.to_parquet(out / "rejected.parquet", index=False, engine="pyarrow")
        write_text(out / "NOTICE.md", notice_markdown(found.table))
    summary = metrics(found.table, found.skipped, found.near_misses)
    write_json(METRICS_PATH, summary)
    log.info(
        "collect: %s clips, %s background minutes -> %s in %.0f s",
        summary["clips"],
        summary["background_minutes"],
        CATALOG_DIR,
        time.monotonic() - started,
    )


if __name__ == "__main__":
    run_stage(main, "collect")
