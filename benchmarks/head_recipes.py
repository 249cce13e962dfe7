"""Whole head recipes side by side, several seeds each, judged as the ablation judges an arm.

    python benchmarks/head_recipes.py [--seeds 0 1 2] [--recipe NAME KEY=VALUE [KEY=VALUE ...]] ... [--alone]

The ablation changes one param per arm; this compares recipes that differ in several (e.g. the default
against the previous default), on the same cached embeddings and mined clips (`dvc repro mine` first).
Each recipe is the default params with its KEY=VALUE changes (values parsed as YAML, each validated like
params.yaml), trained once per seed and scored by `ablate.score_model`. Without --recipe: the default
against the previous default (no input noise, weight decay 1e-4). Prints mean and spread per measure and
the ablation's verdict on the unseen-engine FRR; writes reports/reference/head_recipes.json. With --alone:
the default only, for its seed spread on the data as it is (e.g. before and after a change of the data).
With --baseline-runs FILE the default's runs are read from an earlier record (`reports/metrics/ablate.json`
or this script's own) instead of trained again: only valid while the data and the default are unchanged
(same dvc.lock hashes for data/embeddings and data/mined), which the script cannot check for you.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.common.io import write_json  # noqa: E402
from pipeline.common.params import ParamsError, load_params, with_change  # noqa: E402
from pipeline.triggerword.studies.ablate import BASELINE, HEADLINE, cached_data, score_arm, summarise  # noqa: E402

OUT = Path("reports/reference/head_recipes.json")
PREVIOUS_DEFAULT = ["train.head.input_noise=0.0", "train.head.weight_decay=0.0001"]
SHOWN = [HEADLINE, "test_fa_per_hour", "test_5fa_unseen_engine_frr", "test_point_unseen_engine_frr"]
SHOWN += ["test_frr", "test_unseen_voice_frr", "seen_voice_frr", "dev_unseen_engine_frr"]


def recipe_params(base, changes: list[str], name: str):
    params = base
    for change in changes:
        key, sep, value = change.partition("=")
        if not sep:
            raise SystemExit(f"--recipe {name}: {change!r} is not KEY=VALUE")
        try:
            params = with_change(params, key, yaml.safe_load(value), f"--recipe {name}")
        except ParamsError as error:
            raise SystemExit(str(error)) from None
    return params


def recorded_baseline(path: Path, seeds: list[int]) -> list[dict]:
    """The default's runs for `seeds` from an earlier record (the ablation's or this script's)."""
    record = json.loads(path.read_text())
    runs = [r for r in record.get("runs", []) if r.get("arm") == BASELINE and r.get("seed") in seeds]
    if sorted(r["seed"] for r in runs) != sorted(seeds):
        raise SystemExit(f"--baseline-runs {path}: no default run for every seed of {seeds}")
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--recipe", nargs="+", action="append", metavar=("NAME", "KEY=VALUE"), default=None)
    parser.add_argument("--alone", action="store_true", help="the default recipe only")
    parser.add_argument("--baseline-runs", type=Path, help="a record whose default runs stand in for training it")
    args = parser.parse_args()
    base = load_params(args.params)
    others = [] if args.alone else args.recipe or [["previous_default", *PREVIOUS_DEFAULT]]
    recipes = {BASELINE: []} | {r[0]: r[1:] for r in others}
    data = cached_data(base)
    runs = [] if args.baseline_runs is None else recorded_baseline(args.baseline_runs, args.seeds)
    for name, changes in recipes.items():
        params = recipe_params(base, changes, name)
        for seed in args.seeds if not (name == BASELINE and runs) else []:
            started = time.perf_counter()
            runs.append({"arm": name, **score_arm(params, seed, data), "seconds": time.perf_counter() - started})
            print(f"{name} seed {seed}: unseen-engine FRR {runs[-1][HEADLINE]:.3f}", flush=True)
    rows = summarise(pd.DataFrame(runs), {n: ", ".join(c) or "default params.yaml" for n, c in recipes.items()})
    table = pd.DataFrame(rows).set_index("arm")
    print(table[[c for m in SHOWN for c in (m, f"{m}_spread")] + ["verdict"]].T.to_string())
    if len(args.seeds) < 2:
        print("one seed: every spread is 0, so no verdict is callable (give --seeds 0 1 2)")
    write_json(OUT, {"seeds": args.seeds, "recipes": rows, "runs": runs})


if __name__ == "__main__":
    main()
