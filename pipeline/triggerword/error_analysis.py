"""error_analysis stage: predictions x recipes -> where the trigger-word model fails, and what to add.

    python -m pipeline.triggerword.error_analysis [--params params.yaml] [--worst 8]

Reads data/predictions/ (written by evaluate: each split's clips followed by its negatives-only stream, as
evaluate counts them), the recipes and the catalog; writes
reports/error_analysis/ (index.html with findings, slice tables and the worst mistakes as cards
with audio and figures; static, opens offline) and reports/error_analysis_tables.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.catalog import load_bank
from pipeline.common.io import DataError, atomic_dir, run_stage, write_json
from pipeline.common.params import Params, load_params
from pipeline.triggerword.analysis.error_findings import Finding, Rules, confirm, findings, flag, quiet_sentence
from pipeline.triggerword.analysis.error_plots import Curves, Span, det_figure, mistake_figure, write_wav
from pipeline.triggerword.analysis.error_slices import (
    BLOCKED,
    EARLY,
    OTHER,
    SplitEvents,
    Timing,
    cause_table,
    negative_source_table,
    reason_table,
    slice_tables,
    split_events,
    table_json,
)
from pipeline.triggerword.analysis.report_page import Card, SplitView, definitions, page
from pipeline.triggerword.analysis.targets import targets_html, targets_on_test
from pipeline.triggerword.analysis.voice_report import voices_html
from pipeline.triggerword.datasets import AUDIT_DIR, SynthData, read_recipes, renderer
from pipeline.triggerword.evaluate import STREAM_OF, event_spec
from synth.triggerword.labels import label_matrix
from synth.triggerword.recipes import Recipes

log = logging.getLogger("datasynth.error_analysis")
PREDICTIONS = Path("data/predictions")
EVALUATE_METRICS = Path("reports/metrics/evaluate.json")
MINE_METRICS = Path("reports/metrics/mine.json")
DET_DIR = Path("reports/evaluate")
REPORT = Path("reports/error_analysis")
TABLES = Path("reports/error_analysis_tables.json")  # slice tables as numbers, for scripts
SPLITS = ("test", "dev")  # the first is the headline split
TABLE_ORDER = (
    "positive_speaker",
    "false_accept_cause",
    "negative_source",
    "snr",
    "background_source",
    "position",
    "inserts",
    "reverb",
    "positive_source",
    "positive_audit",
    "miss_reason",
)
AUDIT_NAMES = {"own": "its own text", "other": "another text", "nothing": "nothing", "unchecked": "not checked"}


@dataclass(frozen=True)
class SplitResult:
    name: str
    recipes: Recipes
    probabilities: np.ndarray
    events: SplitEvents
    tables: list
    findings: list[Finding]
    ones_after_end: int  # label steps after a positive's end, in the model's steps


def timing(params: Params, ty: int) -> Timing:
    return Timing(params.audio.clip_samples, params.audio.clip_seconds, ty, params.evaluate.match_seconds)


def read_predictions(path: Path, recipes: Recipes) -> tuple[np.ndarray, np.ndarray, float, int]:
    """(recipe rows, probabilities (n, steps) float32, threshold, label steps after an end) of one predictions file."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found; run the evaluate stage first (dvc repro evaluate)")
    with np.load(path) as npz:
        missing = {"example_id", "probabilities", "threshold", "ones_after_end"} - set(npz.files)
        if missing:
            raise DataError(f"{path}: missing arrays {sorted(missing)}; re-run evaluate")
        ids, probs, threshold = npz["example_id"], npz["probabilities"].astype(np.float32), float(npz["threshold"])
        ones = int(npz["ones_after_end"])
    if probs.ndim != 2 or len(probs) != len(ids) or probs.shape[1] < 2:
        raise DataError(
            f"{path}: probabilities have shape {probs.shape}, expected ({len(ids)}, steps); re-run evaluate"
        )
    rows = pd.Index(recipes.example_id).get_indexer(ids)
    if np.any(rows < 0):
        raise DataError(
            f"{path}: {int(np.sum(rows < 0))} example ids are not in the recipes (e.g. "
            f"{int(ids[rows < 0][0])}); re-run evaluate"
        )
    return rows, probs, threshold, ones


def with_audit(catalog: pd.DataFrame, audit_dir: Path = AUDIT_DIR) -> pd.DataFrame:
    """The catalog with what the speech audit heard in each clip (the `audit` column), when it ran."""
    path = audit_dir / "audit.parquet"
    if not path.exists():
        return catalog
    heard = pd.read_parquet(path, columns=["clip_id", "outcome"]).set_index("clip_id")["outcome"]
    return catalog.assign(audit=catalog["clip_id"].map(heard).map(AUDIT_NAMES).fillna("not checked"))


def analyse_split(name: str, params: Params, data: SynthData, rules: Rules) -> SplitResult | None:
    path = PREDICTIONS / f"{name}.npz"
    if name != SPLITS[0] and not path.exists():
        return None
    rows, probs, threshold, ones = read_predictions(path, data.recipes)
    recipes, ty = data.recipes.take(rows), probs.shape[1]
    stream_path = PREDICTIONS / f"{STREAM_OF[name]}.npz"
    if stream_path.exists():  # the split's negatives-only stream counts with it, as in evaluate
        streams = read_recipes(name="stream.parquet").recipes
        stream_rows, stream_probs, _, _ = read_predictions(stream_path, streams)
        recipes = Recipes.concat([recipes, streams.take(stream_rows)], widen=True)
        probs = np.concatenate([probs, stream_probs])
    events = split_events(recipes, data.catalog, probs, threshold, event_spec(params, ty), timing(params, ty))
    tables = [
        flag(t, events.overall, rules)
        for t in [
            *slice_tables(events, timing(params, ty)),
            cause_table(events),
            negative_source_table(events),
            reason_table(events),
        ]
    ]
    tables.sort(key=lambda t: TABLE_ORDER.index(t.key))
    return SplitResult(name, recipes, probs, events, tables, findings(tables, events.overall, rules), ones)


def worst(result: SplitResult, count: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `count` misses with the lowest peak and false accepts with the highest, one per clip."""
    misses = result.events.positives[~result.events.positives["hit"]]
    misses = misses.sort_values("peak", kind="stable").drop_duplicates("row").head(count)
    fas = result.events.false_accepts.sort_values("peak", ascending=False, kind="stable")
    return misses, fas.drop_duplicates("row").head(count)


def render_rows(params: Params, data: SynthData, recipes: Recipes) -> tuple[np.ndarray, np.ndarray]:
    """Waveforms (n, samples) and model features (n, F, frames) of a few recipes."""
    import torch

    from synth.common.features import Features, FeatureSpec

    used = np.unique(np.concatenate([recipes.background_clip, recipes.insert_clip[recipes.insert_mask]]))
    audio = renderer(params, load_bank(data.catalog, rows=used)).render(recipes)
    f = params.features
    features = Features(FeatureSpec(params.audio.sample_rate, f.n_fft, f.hop_length, f.kind, f.n_mels, False)).eval()
    with torch.no_grad():
        spec = features(torch.from_numpy(audio)).numpy()
    return audio, spec


def _inserts(result: SplitResult, row: int) -> list[dict]:
    ev = result.events
    fa_slots = set(ev.false_accepts.loc[ev.false_accepts["row"] == row, "cause_slot"])
    parts = []
    for frame, kind in ((ev.positives, "positive"), (ev.negatives, "negative")):
        for _, r in frame[frame["row"] == row].iterrows():
            outcome = _outcome(r) if kind == "positive" else ("false accept" if r["slot"] in fa_slots else "")
            parts.append(
                {
                    "kind": kind,
                    "word": r["word"],
                    "speaker": r["speaker"],
                    "start_s": r["start_s"],
                    "end_s": r["end_s"],
                    "snr_db": r["snr_db"],
                    "outcome": outcome,
                    "slot": r["slot"],
                }
            )
    return sorted(parts, key=lambda p: p["slot"])


def _outcome(r: pd.Series) -> str:
    if r["hit"]:
        return "hit"
    return f"missed (peak {r['peak']:.2f}{', no new detection' if r['reason'] == BLOCKED else ''})"


def _clip_facts(result: SplitResult, row: int) -> list[tuple[str, str]]:
    clip = result.events.clips.iloc[row]
    return [
        ("example", str(int(clip["example_id"]))),
        ("background", f"{clip['background_source']} · {clip['background_clip_id']}"),
        ("reverb", "yes" if clip["reverb"] == "reverb" else "no"),
    ]


def _miss_card(result: SplitResult, r: pd.Series, files: tuple[str, str]) -> Card:
    title = f"Missed “{r['word']}” by {r['speaker']} at {r['end_s']:.2f} s"
    facts = [
        ("peak in window", f"{r['peak']:.2f} (threshold {result.events.overall.threshold:.2f})"),
        ("SNR", f"{r['snr_db']:.1f} dB"),
        *_clip_facts(result, int(r["row"])),
    ]
    return Card("miss", title, facts, files[0], files[1], _inserts(result, int(r["row"])))


def _fa_card(result: SplitResult, r: pd.Series, files: tuple[str, str]) -> Card:
    cause = r["cause"]
    after = "away from any word" if cause == OTHER else ("on a positive word" if cause == EARLY else f"after “{cause}”")
    title = f"False accept at {r['time_s']:.2f} s, {after}"
    facts = [("peak", f"{r['peak']:.2f} (threshold {result.events.overall.threshold:.2f})")]
    neg = result.events.negatives
    said = neg[(neg["row"] == r["row"]) & (neg["slot"] == r["cause_slot"])]
    if len(said):
        facts.append(("word said by", f"{said['speaker'].iat[0]}, SNR {said['snr_db'].iat[0]:.1f} dB"))
    facts += _clip_facts(result, int(r["row"]))
    return Card("fa", title, facts, files[0], files[1], _inserts(result, int(r["row"])))


def _curves(result: SplitResult, row: int, params: Params) -> Curves:
    recipes, ev = result.recipes, result.events
    label = label_matrix(
        recipes.insert_start[row : row + 1],
        recipes.insert_length[row : row + 1],
        recipes.insert_positive[row : row + 1],
        params.audio.clip_samples,
        result.probabilities.shape[1],
        result.ones_after_end,
    )[0]
    dets = ev.detections[ev.detections["row"] == row]
    return Curves(
        result.probabilities[row],
        ev.smoothed[row],
        label,
        ev.overall.threshold,
        dets["time_s"].to_numpy(),
        dets["false_accept"].to_numpy(),
    )


def _spans(result: SplitResult, row: int) -> list[Span]:
    return [Span(p["kind"] == "positive", p["word"], p["start_s"], p["end_s"]) for p in _inserts(result, row)]


def _focus(kind: str, r: pd.Series, params: Params) -> tuple[float, float]:
    """The span outlined on the figure: a miss's match window, or around a false accept."""
    match_s, seconds = params.evaluate.match_seconds, params.audio.clip_seconds
    if kind == "miss":
        return r["end_s"], min(r["end_s"] + match_s, seconds)
    return max(r["time_s"] - match_s / 2, 0.0), min(r["time_s"] + match_s / 2, seconds)


def cards(result: SplitResult, params: Params, data: SynthData, out: Path, count: int) -> tuple[list, list]:
    """Renders the worst mistakes of one split into out/audio, out/img; returns their cards."""
    misses, fas = worst(result, count)
    rows = np.concatenate([misses["row"].to_numpy(), fas["row"].to_numpy()]).astype(np.int64)
    if len(rows) == 0:
        return [], []
    audio, spec = render_rows(params, data, result.recipes.take(rows))
    sr, seconds = params.audio.sample_rate, params.audio.clip_seconds
    top, unit = (sr / 2000, "kHz") if params.features.kind == "spectrogram" else (params.features.n_mels, "mel band")
    made: dict[str, list] = {"miss": [], "fa": []}
    for k, (kind, r) in enumerate([("miss", r) for _, r in misses.iterrows()] + [("fa", r) for _, r in fas.iterrows()]):
        row = int(r["row"])
        stem = f"{result.name}-{kind}-{len(made[kind]) + 1}-ex{int(r['example_id'])}"
        write_wav(out / "audio" / f"{stem}.wav", audio[k], sr)
        mistake_figure(
            out / "img" / f"{stem}.png",
            spec[k],
            top,
            unit,
            _curves(result, row, params),
            _spans(result, row),
            _focus(kind, r, params),
            seconds,
        )
        files = (f"audio/{stem}.wav", f"img/{stem}.png")
        made[kind].append(_miss_card(result, r, files) if kind == "miss" else _fa_card(result, r, files))
    return made["miss"], made["fa"]


def read_evaluate() -> dict:
    return json.loads(EVALUATE_METRICS.read_text()) if EVALUATE_METRICS.exists() else {}


def read_mine() -> dict:
    return json.loads(MINE_METRICS.read_text()) if MINE_METRICS.exists() else {}


def check_against_evaluate(result: SplitResult, evaluate: dict) -> None:
    m, o = evaluate.get(result.name), result.events.overall
    if m and (m.get("misses"), m.get("false_accepts")) != (o.misses, o.false_accepts):
        log.warning(
            "%s: %d misses / %d false accepts here vs %s / %s in %s (predictions from another evaluate run, "
            "or stored as float16 by an older one; re-run evaluate)",
            result.name,
            o.misses,
            o.false_accepts,
            m.get("misses"),
            m.get("false_accepts"),
            EVALUATE_METRICS,
        )


def det_image(out: Path, threshold: float) -> str | None:
    curves = {s: pd.read_csv(DET_DIR / f"det_{s}.csv") for s in ("dev", "test") if (DET_DIR / f"det_{s}.csv").exists()}
    if not curves:
        return None
    det_figure(out / "img" / "det.png", curves, threshold)
    return "img/det.png"


def metrics(results: list[SplitResult], rules: Rules) -> dict:
    out: dict = {"rules": asdict(rules)}
    for r in results:
        tables = {}
        for t in r.tables:
            frame = t.frame.copy()
            for p, name in (("p_miss", "flagged_miss"), ("p_fa", "flagged_fa")):
                if p in frame:
                    frame[name] = np.isfinite(frame.pop(p).to_numpy(float))
            tables[t.key] = table_json(type(t)(t.key, t.title, frame))
        out[r.name] = {
            "overall": r.events.overall.as_dict(),
            "tables": tables,
            "findings": [f.as_dict() for f in r.findings],
        }
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--worst", type=int, default=8, help="worst misses and false accepts shown for test")
    parser.add_argument("--worst-dev", type=int, default=4, help="... and for dev")
    parser.add_argument(
        "--min-positives",
        type=int,
        default=Rules.min_positives,
        help="positives a slice needs before a finding names it",
    )
    args = parser.parse_args(argv)
    params = load_params(args.params)
    rules = Rules(min_positives=args.min_positives)
    data = read_recipes()
    data = SynthData(data.recipes, data.metadata, with_audit(data.catalog))
    results = [r for r in (analyse_split(s, params, data, rules) for s in SPLITS) if r is not None]
    if len(results) > 1:
        results[0] = _confirmed(results[0], results[1])
    evaluate = read_evaluate()
    for result in results:
        check_against_evaluate(result, evaluate)
    gaps = targets_on_test(params, results[0], data.catalog, timing, evaluate) if results[0].name == "test" else []
    with atomic_dir(REPORT) as out:
        (out / "audio").mkdir()
        (out / "img").mkdir()
        views = []
        for result, count in zip(results, (args.worst, args.worst_dev)):
            misses, fas = cards(result, params, data, out, count)
            views.append(SplitView(result.name, result.events.overall, result.findings, result.tables, misses, fas))
        det = det_image(out, results[0].events.overall.threshold)
        quiet = {r.name: quiet_sentence(r.events.overall, rules) for r in results}
        (out / "index.html").write_text(
            page(
                params.collect.positive_word,
                evaluate,
                views,
                det,
                quiet,
                definitions(params, rules),
                read_mine(),
                voices_html(out, evaluate, PREDICTIONS),
                targets_html(gaps),
            ),
            encoding="utf-8",
        )
    write_json(TABLES, {**metrics(results, rules), "targets": gaps})
    head = results[0]
    log.info(
        "%s: %d of %d positives missed, %d false accepts; %d findings; report: %s/index.html",
        head.name,
        head.events.overall.misses,
        head.events.overall.positives,
        head.events.overall.false_accepts,
        len(head.findings),
        REPORT,
    )
    for finding in head.findings:
        log.info("  %s", finding.text)
    for target in gaps:
        log.info("  target: %s", target["text"])


def _confirmed(primary: SplitResult, other: SplitResult) -> SplitResult:
    return dataclasses.replace(primary, findings=confirm(primary.findings, other.findings, other.name))


if __name__ == "__main__":
    run_stage(main, "error_analysis")
