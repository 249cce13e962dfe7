"""`datasynth label`: serve a labelling study, write its report, or export review verdicts.

datasynth label --study resolution [--manifest data/daynight/images.parquet] [--port 8765]
datasynth label --study review        # the audit's unsure clips (data/audit/review.parquet)
datasynth label --study sample-rate   # test word clips at each rate of studies.audio_rate.rates
datasynth label --report [--study resolution|sample-rate]
datasynth label --export-verdicts     # review answers -> data/reviews/speech.csv (then dvc repro)
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
from urllib.parse import quote

from pipeline.common.io import DataError

log = logging.getLogger("datasynth.label")
DEFAULT_LADDER = [16, 32, 64, 128, 256]
STUDIES = ("resolution", "review", "sample-rate")
REPORTS = {  # study -> (metrics, html) written by --report
    "resolution": ("reports/metrics/human_study.json", "reports/human_study/index.html"),
    "sample-rate": ("reports/metrics/human_sample_rate.json", "reports/human_sample_rate/index.html"),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="datasynth label", description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--study", choices=STUDIES, help="serve this study's labelling page")
    mode.add_argument(
        "--report",
        nargs="?",
        const="resolution",
        choices=list(REPORTS),
        metavar="STUDY",
        help="write a study's metrics and HTML report (resolution or sample-rate)",
    )
    mode.add_argument("--export-verdicts", action="store_true", help="write the review's verdicts for collect")
    parser.add_argument("--manifest", default="data/daynight/images.parquet")
    parser.add_argument("--splits", nargs="+", default=["test", "real_night"], help="manifest splits shown")
    parser.add_argument("--catalog", default="data/catalog", help="the trigger-word catalog (audio studies)")
    parser.add_argument("--review-list", default="data/audit/review.parquet", help="clips the review asks about")
    parser.add_argument("--clip-splits", default="data/synth/clip_splits.parquet", help="each clip's split")
    parser.add_argument("--clips", type=int, default=40, help="test clips of the sample-rate study")
    parser.add_argument("--model-ladder", default="reports/audio_rate/rate.tsv", help="the model's rate ladder")
    parser.add_argument("--verdicts", default="data/reviews/speech.csv", help="--export-verdicts writes this")
    parser.add_argument("--min-raters", type=int, default=1, help="raters a clip needs for a verdict")
    parser.add_argument("--db", default=None, help="SQLite file of the answers (default data/labels/<study>.sqlite)")
    parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--ladder",
        type=int,
        nargs="+",
        default=None,
        help="resolutions (px) or sample rates (Hz); default: 16..256 px, studies.audio_rate.rates",
    )
    parser.add_argument("--rater", help="pre-fill the rater name in the printed link")
    parser.add_argument("--seed", type=int, default=0, help="seed of the per-rater item order")
    parser.add_argument("--epsilon", type=float, default=0.02, help="accuracy drop still counted as full")
    parser.add_argument("--min-n", type=int, default=20, help="answers a rung needs to be recommended")
    parser.add_argument("--metrics", default=None, help="report metrics JSON (default per study)")
    parser.add_argument("--html", default=None, help="report HTML page (default per study)")
    args = parser.parse_args(argv)
    args.name = args.study or (args.report if args.report else "review")
    args.db = args.db or f"data/labels/{args.name}.sqlite"
    if args.ladder is None:
        args.ladder = DEFAULT_LADDER if args.name == "resolution" else _rates()
    floor = 4 if args.name == "resolution" else 1000
    if any(level < floor for level in args.ladder):
        parser.error(f"--ladder: rungs must be at least {floor} ({'px' if floor == 4 else 'Hz'})")
    args.ladder = sorted(set(args.ladder))
    return args


def _rates() -> list[int]:
    """The model's ladder (params.yaml studies.audio_rate.rates): people and model hear the same rates."""
    from pipeline.common.params import load_params

    return list(load_params().studies.audio_rate.rates)


def bind_host(host: str | None) -> str:
    """Loopback unless asked: answers carry rater names, and the server has no authentication."""
    if host is None:
        return "127.0.0.1"
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        log.warning("binding to %s: anyone who can reach this address can read the items and add answers", host)
    return host


def make_task(args: argparse.Namespace):
    from pipeline.labelling.audio_tasks import review_task, sample_rate_task
    from pipeline.labelling.tasks import image_task

    if args.study == "resolution":
        return image_task(args.manifest, tuple(args.splits), args.ladder)
    if args.study == "review":
        return review_task(args.review_list, args.catalog)
    from pipeline.common.params import load_params

    word = load_params().collect.positive_word
    return sample_rate_task(args.catalog, args.clip_splits, args.ladder, word, args.clips, args.seed)


def serve(args: argparse.Namespace) -> None:
    from pipeline.labelling.server import Study, make_server
    from pipeline.labelling.store import Store

    task = make_task(args)
    store = Store(args.db)
    server = make_server(Study(task, store, args.seed), bind_host(args.host), args.port)
    host, port = server.server_address[:2]
    link = f"http://{host}:{port}/" + (f"?rater={quote(args.rater)}" if args.rater else "")
    log.info("%d items x %d rungs; answers go to %s", len(task.items), len(task.levels), args.db)
    log.info("open %s  (Ctrl-C stops; answers are saved as they come)", link)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        store.close()


def report(args: argparse.Namespace) -> None:
    from pipeline.labelling.report import write_report
    from pipeline.labelling.store import read_answers

    answers = read_answers(args.db)
    if answers.empty:
        raise DataError(f"{args.db}: no answers yet")
    name = args.report.replace("-", "_")
    metrics, html = args.metrics or REPORTS[args.report][0], args.html or REPORTS[args.report][1]
    model = model_ladder(args.model_ladder) if name == "sample_rate" else None
    summary = write_report(answers, metrics, html, args.epsilon, args.min_n, name, model)
    log.info(
        "%d answers from %d raters; recommended %s: %s; wrote %s and %s",
        summary["answers"],
        summary["raters"],
        name,
        summary[f"recommended_{name}"],
        metrics,
        html,
    )


def model_ladder(path: str) -> list[dict] | None:
    """The model's accuracy per rate (the audio_rate_study stage's TSV), or None if it has not run."""
    import pandas as pd

    try:
        table = pd.read_csv(path, sep="\t")
    except FileNotFoundError:
        log.warning("%s: not found; the report shows people only (dvc repro audio_rate_study)", path)
        return None
    missing = {"sample_rate", "accuracy", "ci_low", "ci_high"} - set(table.columns)
    if missing:
        raise DataError(f"{path}: missing columns {sorted(missing)}")
    return table[["sample_rate", "accuracy", "ci_low", "ci_high"]].to_dict("records")


def export_verdicts(args: argparse.Namespace) -> None:
    from pipeline.common.review_verdicts import write_verdicts
    from pipeline.labelling.store import read_answers
    from pipeline.labelling.verdicts import review_verdicts

    verdicts = review_verdicts(read_answers(args.db), args.min_raters)
    write_verdicts(verdicts, args.verdicts)
    counts = verdicts["verdict"].value_counts().to_dict()
    log.info("%s: %d verdicts %s; `dvc repro` leaves the rejected clips out", args.verdicts, len(verdicts), counts)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.report:
        report(args)
    elif args.export_verdicts:
        export_verdicts(args)
    else:
        serve(args)


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "label")
