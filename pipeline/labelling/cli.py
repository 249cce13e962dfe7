"""`datasynth label`: serve a labelling study, or write its report.

datasynth label --study resolution [--manifest data/daynight/images.parquet] [--port 8765]
datasynth label --report [--db data/labels/resolution.sqlite]
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
from urllib.parse import quote

from pipeline.common.io import DataError

log = logging.getLogger("datasynth.label")
DEFAULT_LADDER = [16, 32, 64, 128, 256]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="datasynth label", description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--study", choices=["resolution"], help="serve this study's labelling page")
    mode.add_argument("--report", action="store_true", help="write the study's metrics and HTML report")
    parser.add_argument("--manifest", default="data/daynight/images.parquet")
    parser.add_argument("--splits", nargs="+", default=["test", "real_night"], help="manifest splits shown")
    parser.add_argument("--db", default="data/labels/resolution.sqlite", help="SQLite file of the answers")
    parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--ladder", type=int, nargs="+", default=DEFAULT_LADDER, help="resolutions (px)")
    parser.add_argument("--rater", help="pre-fill the rater name in the printed link")
    parser.add_argument("--seed", type=int, default=0, help="seed of the per-rater item order")
    parser.add_argument("--epsilon", type=float, default=0.02, help="accuracy drop still counted as full")
    parser.add_argument("--min-n", type=int, default=20, help="answers a resolution needs to be recommended")
    parser.add_argument("--metrics", default="reports/metrics/human_study.json")
    parser.add_argument("--html", default="reports/human_study/index.html")
    args = parser.parse_args(argv)
    if any(res < 4 for res in args.ladder):
        parser.error("--ladder: resolutions must be at least 4 px")
    args.ladder = sorted(set(args.ladder))
    return args


def bind_host(host: str | None) -> str:
    """Loopback unless asked: answers carry rater names, and the server has no authentication."""
    if host is None:
        return "127.0.0.1"
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        log.warning("binding to %s: anyone who can reach this address can read images and add answers", host)
    return host


def serve(args: argparse.Namespace) -> None:
    from pipeline.labelling.items import load_manifest
    from pipeline.labelling.server import Study, make_server
    from pipeline.labelling.store import Store

    images = load_manifest(args.manifest, tuple(args.splits))
    store = Store(args.db)
    server = make_server(Study(images, args.ladder, store, args.seed), bind_host(args.host), args.port)
    host, port = server.server_address[:2]
    link = f"http://{host}:{port}/" + (f"?rater={quote(args.rater)}" if args.rater else "")
    log.info("%d images x %d resolutions; answers go to %s", len(images), len(args.ladder), args.db)
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
    summary = write_report(answers, args.metrics, args.html, args.epsilon, args.min_n)
    log.info(
        "%d answers from %d raters; recommended resolution: %s px; wrote %s and %s",
        summary["answers"],
        summary["raters"],
        summary["recommended_resolution"],
        args.metrics,
        args.html,
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report(args) if args.report else serve(args)


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "label")
