"""Thin wrappers of the DVC command line: DVC stays the single source of truth for what is stale.

Every call goes through the `dvc` CLI (its JSON output is DVC's stable interface) in the project
directory, so the flows behave exactly as a user typing the same commands would.
"""

from __future__ import annotations

import graphlib
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

EDGE = re.compile(r'^"(?P<a>[^"]+)" -> "(?P<b>[^"]+)";$')
NODE = re.compile(r'^"(?P<n>[^"]+)";$')


class DvcError(RuntimeError):
    """A dvc command failed; the message holds its output."""


def dvc_env() -> dict[str, str]:
    """The environment of an activated venv: the stages' `python -m ...` and `dvc` are this interpreter's,
    even when the flow was started as `.venv/bin/python -m flows.serve` without activating it."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}


def dvc(root: Path, *args: str) -> str:
    """Run `dvc ARGS` in `root` and return its stdout; raise DvcError with the output on failure."""
    done = subprocess.run(["dvc", *args], cwd=root, env=dvc_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise DvcError(f"dvc {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def stream(root: Path, args: list[str], log: logging.Logger | logging.LoggerAdapter) -> list[str]:
    """Run `dvc ARGS`, sending each output line to `log` as it comes (stages log to stderr); return the lines."""
    lines: list[str] = []
    with subprocess.Popen(
        ["dvc", *args], cwd=root, env=dvc_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as proc:
        for line in proc.stdout or ():
            if line := line.rstrip():
                log.info(line)
                lines.append(line)
    if proc.returncode != 0:
        raise DvcError(f"dvc {' '.join(args)} failed ({proc.returncode}):\n" + "\n".join(lines[-20:]))
    return lines


DEFAULT_PIPELINE = "dvc.yaml"  # what a plain `dvc repro` runs; studies/dvc.yaml only when named


def graph(root: Path, target: str | None = None) -> tuple[list[str], dict[str, set[str]]]:
    """(the stages `dvc repro [target]` would consider, upstream first with ties in dvc.yaml order,
    {stage: the stages it reads from directly}). No target: the default pipeline, as `dvc repro` runs it."""
    dot = dvc(root, "dag", "--dot", target or DEFAULT_PIPELINE)
    order: list[str] = []
    needs: dict[str, set[str]] = {}
    for line in map(str.strip, dot.splitlines()):
        if node := NODE.match(line):
            order.append(node["n"])
            needs.setdefault(node["n"], set())
        elif edge := EDGE.match(line):
            needs.setdefault(edge["b"], set()).add(edge["a"])
    sorter = graphlib.TopologicalSorter(needs)
    sorter.prepare()
    ranked: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=order.index)
        ranked += ready
        sorter.done(*ready)
    return ranked, needs


def stages(root: Path, target: str | None = None) -> list[str]:
    """The stages `dvc repro [target]` would consider, upstream first (ties in dvc.yaml order)."""
    return graph(root, target)[0]


def stale(root: Path) -> dict[str, dict[str, Any]]:
    """One `dvc status --json` for the whole pipeline: {stage: what DVC finds changed} for every stale stage
    (changed deps, outs, params, command); an up-to-date stage is absent."""
    found = json.loads(dvc(root, "status", "--json") or "{}")
    return {stage: _changes(entries) for stage, entries in found.items()}


def _changes(entries: list | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for entry in entries or ["changed"]:  # entries are {"changed deps": {...}} or "always changed"
        changes.update({entry: True} if isinstance(entry, str) else entry)
    return changes


def metric_files(root: Path, stage: str) -> list[str]:
    """The stage's metrics files as declared in dvc.yaml."""
    return _declared(root, stage, "metrics")


def outs(root: Path, stage: str) -> list[str]:
    return _declared(root, stage, "outs")


def _declared(root: Path, stage: str, kind: str) -> list[str]:
    """The `kind` paths of `stage` as DVC names it: 'train', 'daynight_resolution@16' (one instance of a foreach
    stage), 'studies/dvc.yaml:ablate' (a stage of another dvc.yaml; its paths are the root's: wdir ..)."""
    pipeline, _, stage = stage.rpartition(":")
    name, _, item = stage.partition("@")
    spec = yaml.safe_load((root / (pipeline or DEFAULT_PIPELINE)).read_text())["stages"][name]
    spec = spec.get("do", spec)  # a foreach stage declares its outputs in a template with ${item}
    paths = [next(iter(entry)) if isinstance(entry, dict) else entry for entry in spec.get(kind, [])]
    return [path.replace("${item}", item) for path in paths]


def metrics(root: Path, files: list[str]) -> dict[str, Any]:
    """`dvc metrics show --json FILES`, flattened to {"file:key.sub": value} as `dvc metrics diff` keys them."""
    if not files:
        return {}
    shown = json.loads(dvc(root, "metrics", "show", "--json", *files) or "{}")
    flat: dict[str, Any] = {}
    for revision in shown.values():
        for path, entry in revision.get("data", {}).items():
            flat.update({f"{path}:{key}": value for key, value in _flatten(entry.get("data", {})).items()})
    return flat


def metrics_diff(root: Path, files: list[str], ref: str = "HEAD") -> dict[str, dict[str, Any]] | None:
    """`dvc metrics diff REF --json FILES` against commit `ref` (the last by default): {"file:key": {"old",
    "new", "diff"}} for the metrics that changed; None when there is no such commit to compare with."""
    if not has_commit(root, ref):
        return None
    if not files:
        return {}
    diff = json.loads(dvc(root, "metrics", "diff", ref, "--json", "--targets", *files) or "{}")
    return {f"{path}:{key}": change for path, keys in diff.items() for key, change in keys.items()}


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: data}


def has_commit(root: Path, ref: str = "HEAD") -> bool:
    return subprocess.run(["git", "rev-parse", "--verify", "-q", ref], cwd=root, capture_output=True).returncode == 0
