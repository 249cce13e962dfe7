"""DVC stage `audit`: an independent recogniser listens to every speech clip it can judge.

catalog -> data/audit/audit.parquet (per clip: heard, confidence, outcome, verdict, reason),
data/audit/review.parquet (the unsure clips people are asked about: `datasynth label --study review`),
reports/metrics/audit.json (per source and voice) and reports/audit/index.html.
`synthesise` leaves out the clips marked drop when audit.apply is true.

    python -m pipeline.triggerword.audit [--params params.yaml]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.catalog import CATALOG_DIR, read_catalog
from pipeline.common.io import atomic_dir, run_stage, write_json, write_text
from pipeline.common.params import Params, load_params
from pipeline.common.progress import progress
from pipeline.triggerword.datasets import AUDIT_DIR
from synth.triggerword.audit import AuditRules, decide, outcome, rates, review_list

METRICS = Path("reports/metrics/audit.json")
REPORT = Path("reports/audit/index.html")
COLUMNS = ["clip_id", "kind", "source", "speaker", "language", "text", "heard", "confidence", "outcome"]
log = logging.getLogger("datasynth.audit")


def rules(params: Params) -> AuditRules:
    a = params.audit
    return AuditRules(
        positive_word=params.collect.positive_word,
        min_confidence=a.min_confidence,
        min_source_rate=a.min_source_rate,
        min_voice_rate=a.min_voice_rate,
        review_per_voice=a.review_per_voice,
        review_max=a.review_max,
    )


def checkable(catalog: pd.DataFrame, params: Params) -> np.ndarray:
    """Speech clips of an audited source in an audited language."""
    in_language = named_by(catalog["language"], params.audit.languages)
    in_source = named_by(catalog["source"], params.audit.sources, ":")  # "tts" covers every tts:<engine>
    speech = catalog["kind"].isin(["positive", "negative"]).to_numpy()
    return speech & in_source & in_language


def named_by(values: pd.Series, names: list[str], separator: str = "") -> np.ndarray:
    """Where a value is one of `names` or starts with one of them followed by `separator`."""
    values, found = values.astype(str), np.zeros(len(values), bool)
    for name in names:
        found |= ((values == name) | values.str.startswith(name + separator)).to_numpy()
    return found


def listen(catalog: pd.DataFrame, mask: np.ndarray, catalog_dir: Path, workers: int = 1) -> pd.DataFrame:
    """What the recogniser hears in each speech clip (unchecked rows: outside `mask` or unknown words).
    Clips are decoded CHUNK at a time, each chunk by a fresh decoder (a decoder carries its feature
    normalisation from clip to clip), so the table is the same whichever process decodes which chunk:
    workers > 1 processes decode chunks side by side."""
    from models.triggerword.recogniser import Recogniser, normalise

    speech = catalog[catalog["kind"].isin(["positive", "negative"])].reset_index(drop=True)
    mask = mask[catalog["kind"].isin(["positive", "negative"]).to_numpy()]
    texts = speech["text"].map(normalise)
    grammar = sorted(set(texts[mask]))
    knows = Recogniser(grammar).knows if mask.any() else None
    rows = [i for i in np.flatnonzero(mask) if knows(texts[i])]
    files = [(str(catalog_dir / speech["path"][i]), speech["clip_id"][i]) for i in rows]
    chunks = [(grammar, files[k : k + CHUNK]) for k in range(0, len(files), CHUNK)]
    heard, confidence, checked = [""] * len(speech), np.zeros(len(speech)), np.zeros(len(speech), bool)
    if workers > 1 and len(chunks) > 1:
        context = multiprocessing.get_context("spawn")  # no fork of a process holding a decoder
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = list(progress(pool.map(_hear, chunks), "audit: recognising", len(chunks), "batch"))
    else:
        results = [_hear(chunk) for chunk in progress(chunks, "audit: recognising", unit="batch")]
    for i, (text, conf) in zip(rows, (r for chunk in results for r in chunk), strict=True):
        heard[i], confidence[i], checked[i] = text, conf, True
    table = speech.assign(text=texts, heard=heard, confidence=confidence)
    table["outcome"] = [outcome(t, h, c) for t, h, c in zip(texts, heard, checked, strict=True)]
    return table[COLUMNS]


CHUNK = 64  # clips a fresh decoder hears in turn (~0.1 s to build one)


def _hear(chunk: tuple[list[str], list[tuple[str, str]]]) -> list[tuple[str, float]]:
    """(text heard, confidence) of each (path, clip id) of a chunk, by a fresh decoder of `grammar`."""
    from models.triggerword.recogniser import Recogniser
    from pipeline.common.audio_files import read_audio

    grammar, files = chunk
    recognise = Recogniser(grammar)
    out = []
    for path, clip_id in files:
        result = recognise(*read_audio(Path(path), clip_id))
        out.append((result.text, result.confidence))
    return out


def summary(decided: pd.DataFrame, review: pd.DataFrame) -> dict:
    """Deterministic counts and rates for reports/metrics/audit.json (no timings: DVC diffs these)."""
    checked = decided[decided["outcome"] != "unchecked"]
    per = {by: rates(decided, by).round(4).reset_index().to_dict("records") for by in ("source", "speaker")}
    return {
        "clips": len(decided),
        "checked": len(checked),
        "outcomes": {k: int(n) for k, n in decided["outcome"].value_counts().sort_index().items()},
        "heard_own_rate": round(float((checked["outcome"] == "own").mean()), 4) if len(checked) else None,
        "verdicts": {k: int(n) for k, n in decided["verdict"].value_counts().sort_index().items()},
        "dropped_by_reason": _reasons(decided[decided["verdict"] == "drop"]),
        "to_review": len(review),
        "per_source": per["source"],
        "per_voice": per["speaker"],
    }


def _reasons(dropped: pd.DataFrame) -> dict[str, int]:
    """Reasons with the heard word folded ("heard 'relate'" -> "heard another text") for counting."""
    folded = dropped["reason"].str.replace(r"^heard '.*'$", "heard another text", regex=True)
    folded = folded.str.replace(r"^voice heard right in .*$", "voice heard right too rarely", regex=True)
    return {k: int(n) for k, n in folded.value_counts().sort_index().items()}


def main(argv: list[str] | None = None) -> None:
    from pipeline.triggerword.analysis.audit_report import audit_html

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--params", default="params.yaml", help="parameters file (default: params.yaml)")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    started = time.monotonic()
    catalog = read_catalog(CATALOG_DIR)
    heard = listen(catalog, checkable(catalog, params), CATALOG_DIR, params.audit.workers)
    decided = decide(heard, rules(params))
    review = review_list(decided, rules(params), params.seed)
    stats = summary(decided, review)
    with atomic_dir(AUDIT_DIR) as out:
        decided.to_parquet(out / "audit.parquet", index=False)
        review.to_parquet(out / "review.parquet", index=False)
    write_json(METRICS, stats)
    rejected = _rejected(CATALOG_DIR)
    write_text(REPORT, audit_html(decided, stats, rejected, catalog, CATALOG_DIR, params.audit.apply))
    log.info(
        "audit: %d of %d speech clips checked, %.0f %% heard as their own text; %s; %d to review; %.0f s",
        stats["checked"],
        stats["clips"],
        100 * (stats["heard_own_rate"] or 0),
        stats["verdicts"],
        len(review),
        time.monotonic() - started,
    )


def _rejected(catalog_dir: Path) -> pd.DataFrame:
    path = catalog_dir / "rejected.parquet"
    return pd.read_parquet(path) if path.exists() else pd.DataFrame(columns=["clip_id", "source", "speaker", "reason"])


if __name__ == "__main__":
    run_stage(main, "audit")
