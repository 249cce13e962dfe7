"""The synthesise stage fanned out by shard over a Dask cluster, byte-identical to the stage
(`python -m pipeline.triggerword.synthesise`).

    python -m flows.synthesise_dask [--project-dir .] [--workers 2] [--processes]  # a LocalCluster
    python -m flows.synthesise_dask --address tcp://scheduler:8786                  # an existing cluster

Each shard is seeded by (seed, split, shard) alone (synth.triggerword.recipes.shard_rng), so where a shard runs cannot
change it; the shards are concatenated in shard order and written as the stage writes them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect_dask import DaskTaskRunner

from flows.server import ServerError, api_server
from pipeline.common.catalog import CATALOG_DIR, read_catalog
from pipeline.common.params import load_params
from pipeline.triggerword.datasets import AUDIT_DIR, clip_stats, dropped_clips
from pipeline.triggerword.synthesise import (
    assign_splits,
    draw_streams,
    recorded_speech,
    split_pools,
    split_spec,
    write_outputs,
)
from synth.common.splits import SPLITS
from synth.triggerword.recipes import ClipStats, Pools, Recipes, RecipeSpec, check_pools, draw_shard


# NO_CACHE: the inputs are arrays Prefect need not hash, and a shard is cheaper to draw than to look up.
@task(task_run_name="{split}-shard-{shard}", cache_policy=NO_CACHE)
def shard_task(
    split: str,
    shard: int,
    n: int,
    pools: Pools,
    stats: ClipStats,
    spec: RecipeSpec,
    seed: int,
    shard_size: int,
    first_id: int,
) -> Recipes:
    return draw_shard(split, shard, n, pools, stats, spec, seed, shard_size, first_id)


@flow(name="synthesise-shards")
def synthesise_shards(project_dir: str = ".", params_file: str = "params.yaml") -> dict[str, int]:
    """Draw every shard as a task on the flow's task runner; returns the number of examples per split."""
    root = Path(project_dir).resolve()
    params = load_params(root / params_file)
    catalog = read_catalog(root / CATALOG_DIR)
    clip_split = assign_splits(params, catalog)
    dropped = dropped_clips(params, catalog, root / AUDIT_DIR)
    pools, stats = split_pools(catalog, clip_split, dropped), clip_stats(catalog)
    futures, first_id, size = [], 0, params.synthesise.shard_size
    for split in SPLITS:
        n, spec = params.synthesise.examples[split], split_spec(params, split)
        check_pools(pools[split], spec, split)  # the same clear error as the single-process stage
        futures += [
            shard_task.submit(split, shard, n, pools[split], stats, spec, params.seed, size, first_id)
            for shard in range(max(1, -(-n // size)))
        ]  # as many shards as synth.triggerword.recipes.draw_split
        first_id += n
    get_run_logger().info("drawing %d shards of up to %d recipes", len(futures), size)
    recipes = Recipes.concat([future.result() for future in futures])  # shard order, not finishing order
    stream = draw_streams(params, pools, stats, recorded_speech(catalog))  # small: drawn here
    write_outputs(root, params, catalog, recipes, stream, clip_split, dropped)
    return {split: int(params.synthesise.examples[split]) for split in SPLITS}


def task_runner(address: str | None, workers: int, processes: bool) -> DaskTaskRunner:
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": processes})


@flow(name="synthesise-dask")
def synthesise_dask(
    project_dir: str = ".",
    params_file: str = "params.yaml",
    address: str | None = None,
    workers: int = 2,
    processes: bool = False,
) -> dict[str, int]:
    """Synthesise on a Dask cluster: `address` of a running scheduler, else a LocalCluster of `workers`."""
    runner = task_runner(address, workers, processes)
    return synthesise_shards.with_options(task_runner=runner)(project_dir, params_file)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", default=".")
    parser.add_argument("--params", default="params.yaml", help="params file, relative to the project dir")
    parser.add_argument("--address", help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster workers (without --address)")
    # Threads by default (lighter on a small machine); worker processes reach this run's Prefect server
    # through PREFECT_API_URL, which api_server() sets for them. Remote clusters always run processes.
    parser.add_argument("--processes", action="store_true", help="LocalCluster workers as processes")
    args = parser.parse_args(argv)
    try:
        with api_server():
            state = synthesise_dask(
                args.project_dir, args.params, args.address, args.workers, args.processes, return_state=True
            )
    except ServerError as exc:
        print(f"synthesise_dask: {exc}", file=sys.stderr)
        return 2
    if not state.is_completed():
        print(f"synthesise_dask: {state.name}: {state.message}", file=sys.stderr)
        return 1
    print(", ".join(f"{split}: {n}" for split, n in state.result().items()), "recipes written to data/synth")
    return 0


if __name__ == "__main__":
    sys.exit(main())
