"""The `rebuild` flow: the DVC pipeline stage by stage, one Prefect task per stage.

    python -m flows.rebuild [--target STAGE] [--force STAGE ...]          # dvc repro, stage by stage
    python -m flows.rebuild --set synthesise.examples.train=2000 [--name EXP]   # a tracked `dvc exp run`

DVC decides what is stale: one `dvc status --json` for the whole pipeline before the first stage, so an
up-to-date pipeline costs what `dvc status` costs. A stage runs (`dvc repro --single-item`, so dvc.lock is
updated) when it was stale then or when a stage it reads from has just run; in the second case DVC looks
again and skips it if its inputs came out the same. Prefect shows what ran, streams the logs and keeps each
stage's summary and metrics as artifacts.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.runtime import flow_run
from prefect.states import Completed, State

from flows import dvc
from flows.artifacts import Metrics, StageRun, publish, stage_metrics
from flows.server import ServerError, api_server

# collect reads TTS engines, Debian packages and archive URLs: a transient failure is worth a retry.
# The other stages are deterministic functions of their inputs; a retry would fail the same way.
RETRIES = {"collect": 2}
CACHED = re.compile(r"Stage '(?P<stage>[^']+)' is cached")
UNCHANGED = re.compile(r"Stage '(?P<stage>[^']+)' didn't change, skipping")
RAN = re.compile(r"Running stage '(?P<stage>[^']+)'")


def _state(run: StageRun) -> State[StageRun]:
    """A completed state named after the outcome, so the UI shows 'Skipped' for up-to-date stages."""
    name = {"skipped": "Skipped", "cached": "Cached"}.get(run.outcome, "Completed")
    return Completed(name=name, message=f"{run.stage}: {run.outcome}", data=run)


@task(task_run_name="{stage}", retry_delay_seconds=10)
def run_stage(
    project_dir: str, stage: str, changes: dict, force: bool = False, known: Metrics | None = None
) -> State[StageRun]:
    """Run one stage with `dvc repro --single-item`; `changes` ({} = up to date) is what made it a candidate,
    `known` its metrics as they were before the flow run."""
    root, log = Path(project_dir), get_run_logger()
    changes = {"forced": True} if force else changes
    if not changes:
        log.info("%s is up to date (dvc status): skipped", stage)
        run = StageRun(stage, "skipped")
    else:
        log.info("%s is stale: %s", stage, ", ".join(changes))
        args, start = ["repro", "--single-item", *(["--force"] if force else []), stage], time.monotonic()
        lines = dvc.stream(root, args, log)
        outcome = "ran"
        if any(CACHED.search(line) for line in lines):
            outcome = "cached"
        elif any(UNCHANGED.search(line) for line in lines):
            outcome = "skipped"
        run = StageRun(stage, outcome, time.monotonic() - start, changes, "dvc " + " ".join(args))
    publish(root, run, known)
    return _state(run)


def plan(root: Path, target: str | None) -> dict:
    """What DVC says before any stage runs: the stages in order, what each reads from, what is stale (one
    `dvc dag`, one `dvc status`). JSON, so `main` can ask while the temporary server starts and pass it in."""
    order, needs = dvc.graph(root, target)
    return {"order": order, "needs": {s: sorted(n) for s, n in needs.items()}, "stale": dvc.stale(root)}


def rebuild_stages(root: Path, planned: dict, force: set[str]) -> list[StageRun]:
    """Every stage in order: what one `dvc status` found stale, and whatever reads from a stage that ran."""
    order, stale, ran, runs = planned["order"], planned["stale"], set(), []
    needs = {stage: set(upstream) for stage, upstream in planned["needs"].items()}
    known = stage_metrics(root, order)
    for stage in order:
        changes = stale.get(stage) or ({"upstream ran": sorted(needs[stage] & ran)} if needs[stage] & ran else {})
        runner = run_stage.with_options(retries=RETRIES.get(stage, 0))
        run = runner(str(root), stage, changes, stage in force, known[stage], return_state=True).result()
        if run.outcome in ("ran", "cached"):  # its outputs may be new: its dependants are asked again
            ran.add(stage)
        runs.append(run)
    return runs


def exp_run_args(overrides: list[str], target: str | None, name: str | None) -> list[str]:
    return [
        "exp",
        "run",
        *(f"-S{o}" for o in overrides),
        *(["--name", name] if name else []),
        *([target] if target else []),
    ]


@task(task_run_name="dvc exp run {name}")
def run_experiment(project_dir: str, overrides: list[str], target: str | None, name: str | None) -> dict[str, str]:
    """`dvc exp run -S ...`: the (target's) pipeline as one DVC experiment; returns {stage: ran | cached}."""
    lines = dvc.stream(Path(project_dir), exp_run_args(overrides, target, name), get_run_logger())
    ran = {m["stage"]: "ran" for line in lines if (m := RAN.search(line))}
    return ran | {m["stage"]: "cached" for line in lines if (m := CACHED.search(line))}


@task(task_run_name="{stage}")
def report_stage(project_dir: str, stage: str, outcome: str, command: str) -> State[StageRun]:
    """An experiment's stage: `dvc exp run` already ran it (or found it up to date); publish its results."""
    run = StageRun(stage, outcome, command=command if outcome != "skipped" else "")
    publish(Path(project_dir), run)
    return _state(run)


def experiment_overrides(
    set_params: dict[str, str] | None, examples_train: int | None, epochs: int | None
) -> list[str]:
    """Flow parameters as `dvc exp run -S` overrides (key=value, params.yaml keys)."""
    overrides = dict(set_params or {})
    if examples_train is not None:
        overrides["synthesise.examples.train"] = str(examples_train)
    if epochs is not None:  # both families: the lecture profile is picked by device (set both), the head's is one
        overrides |= {f"train.profiles.{device}.epochs": str(epochs) for device in ("cpu", "cuda")}
        overrides["train.head.epochs"] = str(epochs)
    return [f"{key}={value}" for key, value in overrides.items()]


@flow(name="rebuild")
def rebuild(
    project_dir: str = ".",
    target: str | None = None,
    force: list[str] | None = None,
    set_params: dict[str, str] | None = None,
    examples_train: int | None = None,
    epochs: int | None = None,
    experiment_name: str | None = None,
    planned: dict | None = None,
) -> list[StageRun]:
    """Bring the pipeline (or `target` and its upstream stages) up to date.

    With `set_params`, `examples_train` or `epochs` the run is a DVC experiment (`dvc exp run -S`), listed
    by `dvc exp show` under `experiment_name` (default: this flow run's name). `planned` is `plan(project_dir,
    target)` asked before the flow started (None: asked now)."""
    root = Path(project_dir).resolve()
    planned = planned or plan(root, target)
    order = planned["order"]
    if unknown := set(force or ()) - set(order):
        raise ValueError(f"force: {sorted(unknown)} are not among the stages to run {order}")
    overrides = experiment_overrides(set_params, examples_train, epochs)
    if not overrides:
        return rebuild_stages(root, planned, set(force or ()))
    if force:
        raise ValueError("force is for plain rebuilds; an experiment reruns what its params make stale")
    if not dvc.has_commit(root):
        raise ValueError(f"{root}: DVC experiments need a git commit to branch from (git commit first)")
    name = experiment_name or flow_run.get_name()  # links the DVC experiment to this flow run
    ran = run_experiment(str(root), overrides, target, name)
    command = "dvc " + " ".join(exp_run_args(overrides, target, name))
    return [
        report_stage(str(root), stage, ran.get(stage, "skipped"), command, return_state=True).result()
        for stage in order
    ]


def parse_set(items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--set expects key=value, got {item!r}")
        pairs[key] = value
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", default=".", help="the repository root (default: .)")
    parser.add_argument("--target", help="stop after this stage (it and its upstream stages only)")
    parser.add_argument("--force", nargs="+", default=[], metavar="STAGE", help="rerun these even if up to date")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="param override, e.g. synthesise.examples.train=2000: runs a DVC experiment",
    )
    parser.add_argument("--name", help="the DVC experiment's name (with --set)")
    args = parser.parse_args(argv)
    set_params = parse_set(args.set) or None
    try:
        with ThreadPoolExecutor(1) as pool:  # DVC is asked while the temporary server starts
            planned = None if set_params else pool.submit(plan, Path(args.project_dir).resolve(), args.target)
            with api_server():
                state = rebuild(
                    project_dir=args.project_dir,
                    target=args.target,
                    force=args.force,
                    set_params=set_params,
                    experiment_name=args.name,
                    planned=planned.result() if planned else None,
                    return_state=True,
                )
    except (ServerError, dvc.DvcError) as exc:
        print(f"rebuild: {exc}", file=sys.stderr)
        return 2
    if not state.is_completed():
        print(f"rebuild: {state.name}: {state.message}", file=sys.stderr)
        return 1
    for run in state.result():
        print(f"{run.stage:<16} {run.outcome:<8} {run.seconds:7.1f} s")
    print(f"flow run {state.state_details.flow_run_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
