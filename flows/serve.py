"""Serve the `rebuild` flow as the `rebuild/nightly` deployment on a cron schedule.

    prefect server start --host 127.0.0.1                          # in another terminal
    PREFECT_API_URL=http://127.0.0.1:4200/api python -m flows.serve [--cron "0 2 * * *"] [--force collect]

The process runs the scheduled runs (and runs started from the UI) until stopped with Ctrl-C / SIGTERM;
stop it before the server, or it waits for the server forever.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from prefect.settings import get_current_settings

from flows.rebuild import rebuild
from flows.server import ServerError, api_server

NIGHTLY = "0 2 * * *"  # 02:00 every night, in the server's time zone (UTC unless set)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", default=".", help="the repository the runs rebuild (default: .)")
    parser.add_argument("--name", default="nightly", help="deployment name (default: nightly)")
    parser.add_argument("--cron", default=NIGHTLY, help=f"schedule (default: {NIGHTLY!r})")
    # Re-collecting picks up new recordings (collect.folders, archives); DVC then re-synthesises and retrains
    # only if the catalog changed. Add synthesise/train to force those too.
    parser.add_argument(
        "--force",
        nargs="*",
        default=["collect"],
        metavar="STAGE",
        help="stages each scheduled run reruns even if up to date (default: collect)",
    )
    args = parser.parse_args(argv)
    if not get_current_settings().api.url:
        print(
            "flows.serve: set PREFECT_API_URL to a running server, e.g. http://127.0.0.1:4200/api "
            "(prefect server start --host 127.0.0.1); a temporary server would vanish with the schedule",
            file=sys.stderr,
        )
        return 2
    try:
        with api_server():  # the named server must answer before the deployment is registered
            rebuild.serve(
                name=args.name,
                cron=args.cron,
                tags=["datasynth", "dvc"],
                parameters={"project_dir": str(Path(args.project_dir).resolve()), "force": args.force},
                description="Nightly: re-collect, then DVC reruns whatever that made stale "
                "(re-synthesise, validate, retrain, evaluate, error analysis).",
            )
    except ServerError as exc:
        print(f"flows.serve: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
