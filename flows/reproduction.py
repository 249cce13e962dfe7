"""Did this run reproduce the committed one? The data outputs of dvc.lock against the last commit's.

    python -m flows.reproduction [--root .] [--ref HEAD]      (right after `dvc repro`: it reads dvc.lock)

`./setup.sh` prints this after `dvc repro`. The data stages are byte-identical on machines of the same CPU
kind, and on AVX-512 CPUs of two generations since OpenBLAS's kernels are pinned (pipeline/__init__.py); float
kernels differ between other kinds (README, *Set up*), so there the first stage whose data differs is usually
`collect` or `embed`, and everything after it moves by about the seed spread. This says which
stages reproduced, the first that did not, how the headline metrics moved, and which CPU ran it.
Only outputs under data/ are compared: metrics and reports also record seconds, which always differ.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from flows import dvc

DATA_PREFIX = "data/"
HEADLINE = {  # metric key (as `dvc metrics diff` names it) -> what it is
    "reports/metrics/evaluate.json:test.frr": "test FRR",
    "reports/metrics/evaluate.json:test.unseen_voice_frr": "test FRR, unseen voices",
    "reports/metrics/evaluate.json:test.unseen_engine_frr": "test FRR, unseen engine",
    "reports/metrics/evaluate.json:test.fa_per_hour": "test false accepts per hour",
    "reports/metrics/evaluate.json:dev.frr": "dev FRR",
}
CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "avx512_vp2intersect", "avx_vnni", "amx_tile")


class Comparison(NamedTuple):
    same: list[str]  # stages whose data outputs hash as committed
    differ: dict[str, list[str]]  # stage -> its data outputs that do not
    new: list[str]  # stages the committed lock does not have


def data_outputs(lock: dict) -> dict[str, dict[str, str]]:
    """stage -> {data output path: md5}, in the lock's stage order (stages without data outputs left out)."""
    found: dict[str, dict[str, str]] = {}
    for stage, entry in (lock.get("stages") or {}).items():
        outs = {o["path"]: o.get("md5", "") for o in entry.get("outs", []) if o["path"].startswith(DATA_PREFIX)}
        if outs:
            found[stage] = outs
    return found


def compare(committed: dict, current: dict, order: list[str] | None = None) -> Comparison:
    """The current lock's data outputs against the committed lock's, stage by stage, upstream first
    (`order`: the pipeline's stages in run order; the lock's own order is not)."""
    before, after = data_outputs(committed), data_outputs(current)
    rank = {stage: i for i, stage in enumerate(order or [])}
    same, differ, new = [], {}, []
    for stage in sorted(after, key=lambda name: rank.get(name, len(rank))):
        outs = after[stage]
        if stage not in before:
            new.append(stage)
            continue
        changed = [path for path, md5 in outs.items() if before[stage].get(path) != md5]
        if changed:
            differ[stage] = changed
        else:
            same.append(stage)
    return Comparison(same, differ, new)


def committed_lock(root: Path, ref: str, name: str = "dvc.lock") -> dict | None:
    """`name` as commit `ref` has it; None when there is no such commit or file."""
    try:
        shown = subprocess.run(["git", "show", f"{ref}:{name}"], cwd=root, capture_output=True, text=True)
    except FileNotFoundError:  # no git: an unpacked archive of the project
        return None
    return yaml.safe_load(shown.stdout) if shown.returncode == 0 else None


def stage_blas_kernels() -> str:
    """The OpenBLAS kernel set a stage process asks for (pipeline/__init__.py pins it on AVX-512 CPUs); what a
    process loaded is pipeline.triggerword.render_index.blas_kernels."""
    import pipeline  # noqa: F401  (sets OPENBLAS_CORETYPE as a stage's import does)

    return os.environ.get("OPENBLAS_CORETYPE", "OpenBLAS's own choice")


def cpu() -> str:
    """The CPU in words: model name, family/model, the vector extensions that decide float kernels, and the
    OpenBLAS kernels the stages use."""
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or platform.machine()
    flags = set(info.get("flags", "").split())
    has = ", ".join(flag for flag in CPU_FLAGS if flag in flags) or "none of " + "/".join(CPU_FLAGS)
    return (
        f"{info.get('model name', '?')} (family {info.get('cpu family', '?')}, model {info.get('model', '?')}; {has};"
        f" OpenBLAS kernels: {stage_blas_kernels()})"
    )


def headline(changes: dict[str, dict[str, Any]]) -> list[str]:
    """'what: old -> new' for each headline metric that moved."""
    lines = []
    for key, what in HEADLINE.items():
        if key in changes:
            old, new = changes[key].get("old"), changes[key].get("new")
            lines.append(f"{what}: {_number(old)} -> {_number(new)}")
    return lines


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def report(comparison: Comparison, moved: list[str], machine: str, ref: str) -> str:
    lines = [f"Reproduction against {ref}, on {machine}:"]
    if not comparison.differ:
        lines.append(f"  every data output of dvc.lock hashes as committed ({len(comparison.same)} stages)")
    else:
        first = next(iter(comparison.differ))
        lines.append(f"  data outputs as committed: {', '.join(comparison.same) or 'none'}")
        lines += [f"  differ: {stage} ({', '.join(paths)})" for stage, paths in comparison.differ.items()]
        lines.append(
            f"  the first to differ is {first}'s; on another CPU kind float kernels round differently, so a"
            " front-end or a head that moves is expected there (README, Set up)"
        )
    if comparison.new:
        lines.append(f"  not in the committed lock: {', '.join(comparison.new)}")
    if moved:
        lines.append("  headline metrics, committed -> this run:")
        lines += [f"    {line}" for line in moved]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="project directory (default: .)")
    parser.add_argument("--ref", default="HEAD", help="git commit to compare with (default: HEAD)")
    args = parser.parse_args(argv)
    committed = committed_lock(args.root, args.ref)
    current_path = args.root / "dvc.lock"
    if committed is None or not current_path.is_file():
        print(f"Reproduction: nothing to compare (no dvc.lock at {args.ref} or in {args.root})")
        return 0
    try:
        order, _ = dvc.graph(args.root)
        files = sorted({key.split(":")[0] for key in HEADLINE if (args.root / key.split(":")[0]).is_file()})
        moved = headline(dvc.metrics_diff(args.root, files, args.ref) or {})
    except dvc.DvcError as exc:
        print(f"Reproduction: dvc could not read the pipeline: {str(exc).splitlines()[0]}")
        return 1
    comparison = compare(committed, yaml.safe_load(current_path.read_text()), order)
    print(report(comparison, moved, cpu(), args.ref))
    return 0


if __name__ == "__main__":
    sys.exit(main())
