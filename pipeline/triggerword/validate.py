"""validate stage: catalog + recipes -> Great Expectations suites -> HTML report + metrics.

    python -m pipeline.triggerword.validate [--params params.yaml]

Exits 1 (after writing both outputs) when any expectation fails, naming the failed ones.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from pipeline.common.catalog import CATALOG_DIR
from pipeline.common.io import run_stage, write_json, write_text
from pipeline.common.params import Params, load_params
from pipeline.triggerword.datasets import SYNTH_DIR, read_recipes
from pipeline.triggerword.validation.expectations import SuiteResult, all_suites, run_suites
from pipeline.triggerword.validation.validation_frames import build_frames, observations, read_clip_splits
from pipeline.triggerword.validation.validation_report import failure_summary, html_report, validation_metrics

log = logging.getLogger("datasynth.validate")
REPORT = Path("reports/validation/index.html")
METRICS = Path("reports/metrics/validate.json")


def run_validation(
    params: Params, catalog_dir: str | Path = CATALOG_DIR, synth_dir: str | Path = SYNTH_DIR
) -> tuple[list[SuiteResult], dict]:
    """Every suite's results plus the key observed numbers; writes nothing."""
    data = read_recipes(synth_dir, catalog_dir)
    frames = build_frames(params, data, read_clip_splits(synth_dir), catalog_dir)
    return run_suites(all_suites(params), frames), observations(frames)


def write_outputs(results: list[SuiteResult], observed: dict, report: Path = REPORT, metrics: Path = METRICS) -> None:
    import great_expectations as gx

    write_text(report, html_report(results, observed, gx.__version__))
    write_json(metrics, validation_metrics(results, observed))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    started = time.perf_counter()
    results, observed = run_validation(params)
    write_outputs(results, observed)
    failed = sum(len(r.failed) for r in results)
    log.info(
        "validated %d examples in %.1f s: %d suites, %d failed expectations; report: %s",
        observed["examples"],
        time.perf_counter() - started,
        len(results),
        failed,
        REPORT,
    )
    if failed:
        print(failure_summary(results, str(REPORT)), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    run_stage(main, "validate")
