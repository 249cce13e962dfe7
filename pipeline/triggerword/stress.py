"""stress stage: the stress set scored with `datasynth detect` on its files, as a user would -> metrics.

    python -m pipeline.triggerword.stress [--params params.yaml]

`datasynth detect --json` runs once at the project's threshold (chosen on dev by evaluate) and once at
0.5, one after the other (each detect process uses both cores' torch threads: side by side they took 2.5 min
against 1.6). A detection from one 80 ms step before a positive's end to
evaluate.match_seconds after it is a hit (each positive takes one); every other detection is a false
accept. FRR per kind of take (the word alone, in a phrase) and per SNR band show where an unheard voice is
lost. The real-human takes (real/) are listed one by one with their peak score and whether the project's
threshold finds them.
-> reports/metrics/stress.json, data/stress_detections/ (detect's JSON per threshold)
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from models.triggerword.events import match
from pipeline.common.io import DataError, atomic_dir, run_stage, write_json
from pipeline.common.params import Params, load_params
from pipeline.triggerword.deploy.detect import MODEL, default_threshold
from pipeline.triggerword.stress_set import STRESS_DIR

log = logging.getLogger("datasynth.stress")
METRICS = Path("reports/metrics/stress.json")
DETECTIONS = Path("data/stress_detections")
STEP_SECONDS = 0.08
SNR_BANDS = (-30.0, 0.0, 10.0, 20.0, 60.0)


def run_detect(files: list[str], threshold: float, model: Path = MODEL) -> dict:
    """`datasynth detect --json` over `files` in one process; its JSON document."""
    command = [sys.executable, "-m", "pipeline.common.cli", "detect", "--json", "--threshold", f"{threshold:.6f}"]
    result = subprocess.run([*command, "--model", str(model), *files], capture_output=True, text=True)
    if result.returncode != 0:
        raise DataError(f"datasynth detect failed ({result.returncode}): {result.stderr.strip()[-400:]}")
    return json.loads(result.stdout)


def outcomes(takes: pd.DataFrame, detections: dict, match_seconds: float) -> tuple[pd.DataFrame, int]:
    """(positive takes with a `hit` column, false accepts) of one detect run."""
    times = {Path(f["path"]).name: np.array([d["time"] for d in f["detections"]]) for f in detections["files"]}
    positives, false_accepts, hits = takes[takes["kind"] == "positive"], 0, {}
    for path, rows in takes.groupby("path"):
        ends = rows.loc[rows["kind"] == "positive", "end_s"]
        hit, fa = match(times[Path(path).name] + STEP_SECONDS, ends.to_numpy(), match_seconds + STEP_SECONDS)
        hits.update(zip(ends.index, hit))
        false_accepts += int(fa.sum())
    return positives.assign(hit=positives.index.map(hits).astype(bool)), false_accepts


def summary(positives: pd.DataFrame, false_accepts: int, hours: float, threshold: float) -> dict:
    word = positives["text"].str.split().str.len() == 1
    bands = pd.cut(positives["snr_db"], SNR_BANDS)
    return {
        "threshold": round(threshold, 6),
        "frr": round(float(1 - positives["hit"].mean()), 4),
        "positives": int(len(positives)),
        "misses": int((~positives["hit"]).sum()),
        "false_accepts": false_accepts,
        "fa_per_hour": round(false_accepts / hours, 3),
        "frr_word_alone": round(float(1 - positives.loc[word, "hit"].mean()), 4),
        "frr_in_phrase": round(float(1 - positives.loc[~word, "hit"].mean()), 4) if (~word).any() else None,
        "frr_by_snr_db": {
            str(band): round(float(1 - rows["hit"].mean()), 4) for band, rows in positives.groupby(bands, observed=True)
        },
    }


def score(params: Params, root: Path = STRESS_DIR) -> tuple[dict, dict]:
    takes = pd.read_parquet(root / "takes.parquet")
    files = sorted(str(root / p) for p in takes["path"].unique())
    hours = params.stress.files * params.stress.file_seconds / 3600
    out, raw = {"voice": f"kokoro:{params.stress.voice}", "hours": round(hours, 4)}, {}
    for name, threshold in (("project_threshold", default_threshold()), ("threshold_0.5", 0.5)):
        raw[name] = run_detect(files, threshold)
        out[name] = summary(*outcomes(takes, raw[name], params.evaluate.match_seconds), hours, threshold)
        log.info("stress set at %.3f: %s", threshold, out[name])
    out["real_positives"], raw["real_positives"] = real_positive_scores(root, default_threshold())
    log.info("real-human takes: %d of %d found", out["real_positives"]["found"], out["real_positives"]["takes"])
    return out, raw


def real_positive_scores(root: Path, threshold: float) -> tuple[dict, dict]:
    """({found, takes, lines: [source, text, origin, peak, found]}, detect's JSON) of the real-human takes."""
    path = root / "real_positives.parquet"
    real = pd.read_parquet(path) if path.exists() else pd.DataFrame(columns=["path"])
    if real.empty:
        return {"takes": 0, "found": 0, "lines": []}, {}
    document = run_detect([str(root / p) for p in real["path"]], threshold)
    by_name = {Path(f["path"]).name: f for f in document["files"]}
    lines = []
    for row in real.itertuples():
        result = by_name[Path(row.path).name]
        found = bool(result["detections"])  # the take is alone in its file: any detection is it
        lines.append(
            {"source": row.source, "text": row.text, "origin": row.origin, "peak": result["peak"], "found": found}
        )
    lines.sort(key=lambda line: -line["peak"])
    return {"takes": len(lines), "found": sum(line["found"] for line in lines), "lines": lines}, document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    params = load_params(args.params)
    metrics, raw = score(params)
    with atomic_dir(DETECTIONS) as out:
        for name, document in raw.items():
            (out / f"{name}.json").write_text(json.dumps(document, indent=1) + "\n")
    write_json(METRICS, metrics)


if __name__ == "__main__":
    run_stage(main, "stress")
