"""What the Prefect rebuild flow costs on an up-to-date pipeline, beside `dvc status` itself.

    python benchmarks/rebuild_overhead.py [--project-dir .] [--repeats 1]

Run it after `dvc repro` (every stage up to date). Times `dvc status` and `python -m flows.rebuild` in the
project and prints both and their ratio: the flow asks DVC once for the whole pipeline, so the difference is
Prefect's own start-up (its temporary server, the flow and one task per stage). Refuses to time a pipeline
that is not up to date, since the flow would then run stages.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, default=ROOT)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    root = args.project_dir.resolve()
    status_s, out = timed(["dvc", "status"], root)
    if "up to date" not in out:
        raise SystemExit(f"{root}: the pipeline is not up to date (dvc status):\n{out}\nrun dvc repro first")
    statuses, rebuilds = [status_s], []
    for _ in range(args.repeats):
        rebuilds.append(timed([sys.executable, "-m", "flows.rebuild", "--project-dir", str(root)], ROOT)[0])
        statuses.append(timed(["dvc", "status"], root)[0])
    status, rebuild = min(statuses), min(rebuilds)
    print(f"{'dvc status':<34} {status:7.1f} s")
    print(f"{'python -m flows.rebuild (nothing to do)':<34} {rebuild:7.1f} s")
    print(f"{'ratio':<34} {rebuild / status:7.1f} x")


if __name__ == "__main__":
    main()
