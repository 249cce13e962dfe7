"""Prefect artifacts for one stage: a markdown summary, a metrics table with deltas, report links."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from flows import dvc

# Stages whose output is a self-contained HTML report worth a link in the UI.
REPORTS = {"validate": "reports/validation/index.html", "error_analysis": "reports/error_analysis/index.html"}


@dataclass
class StageRun:
    """What happened to one stage in a flow run."""

    stage: str
    outcome: str  # ran | cached (restored from DVC's run cache) | skipped (up to date)
    seconds: float = 0.0  # 0 when unknown: `dvc exp run` runs every stage in one command
    changes: dict[str, Any] = field(default_factory=dict)  # `dvc status`: why it was stale
    command: str = ""  # the dvc command that ran it


Metrics = tuple[dict[str, Any], dict[str, dict[str, Any]] | None]  # (dvc metrics show, dvc metrics diff)


def stage_metrics(root: Path, stages: list[str]) -> dict[str, Metrics]:
    """Every stage's metrics and deltas vs HEAD from one `dvc metrics show` and one `dvc metrics diff` over all
    their files: what an up-to-date stage's artifacts show, without two dvc calls per stage."""
    files = {stage: dvc.metric_files(root, stage) for stage in stages}
    every = sorted({f for fs in files.values() for f in fs})
    values, deltas = dvc.metrics(root, every), dvc.metrics_diff(root, every)

    def of(found: dict[str, Any], names: list[str]) -> dict[str, Any]:
        return {key: value for key, value in found.items() if key.split(":", 1)[0] in names}

    return {stage: (of(values, fs), None if deltas is None else of(deltas, fs)) for stage, fs in files.items()}


def publish(root: Path, run: StageRun, known: Metrics | None = None) -> None:
    """The stage's artifacts; `known` are its metrics read before the run, used unless the stage just ran."""
    if known is None or run.outcome in ("ran", "cached"):
        files = dvc.metric_files(root, run.stage)
        known = dvc.metrics(root, files), dvc.metrics_diff(root, files)
    values, deltas = known
    key = re.sub(r"[^a-z0-9]+", "-", run.stage.lower())  # artifact keys allow lowercase letters, digits and dashes
    create_markdown_artifact(
        key=f"{key}-summary", markdown=summary(root, run, values, deltas), description=f"{run.stage}: {run.outcome}"
    )
    if values:
        create_table_artifact(
            key=f"{key}-metrics",
            table=metric_rows(values, deltas),
            description=f"{run.stage} metrics (dvc metrics show) and deltas vs HEAD (dvc metrics diff)",
        )
    report = REPORTS.get(run.stage)
    if report and (root / report).exists():
        create_link_artifact(
            key=f"{key}-report",
            link=(root / report).resolve().as_uri(),
            link_text=f"{run.stage} report ({report})",
            description=f"{run.stage} HTML report",
        )


def metric_rows(values: dict[str, Any], deltas: dict[str, dict[str, Any]] | None) -> list[dict[str, Any]]:
    """One row per metric; a metric missing from `dvc metrics diff` is unchanged since HEAD."""
    rows = []
    for name, value in values.items():
        path, metric = name.split(":", 1)
        row = {"metric": metric, "value": _cell(value), "HEAD": None, "delta": None, "file": path}
        if deltas is not None:
            change = deltas.get(name, {"old": value, "diff": 0})
            row.update({"HEAD": _cell(change.get("old")), "delta": _cell(change.get("diff"))})
        rows.append(row)
    return rows


def summary(root: Path, run: StageRun, values: dict[str, Any], deltas: dict[str, dict[str, Any]] | None) -> str:
    heading = {
        "ran": f"ran in {run.seconds:.1f} s" if run.seconds else "ran",
        "cached": "restored from the DVC run cache",
        "skipped": "up to date (dvc status): skipped",
    }
    lines = [f"## {run.stage}: {heading[run.outcome]}", "", f"Project: `{root}`", ""]
    if run.command:
        lines += [f"Command: `{run.command}`", ""]
    for kind, changed in run.changes.items():
        items = ", ".join(f"`{k}` ({_change(v)})" for k, v in changed.items()) if isinstance(changed, dict) else ""
        lines.append(f"- **{kind}** {items}")
    lines += ["", "Outputs: " + ", ".join(f"`{o}`" for o in dvc.outs(root, run.stage)), ""]
    if deltas is None:
        lines.append(f"{len(values)} metrics (no commit yet to compare with).")
        deltas = {}
    else:
        lines.append(f"{len(values)} metrics, {len(deltas)} changed since the last commit" + (":" if deltas else "."))
    lines += [
        f"- `{k.split(':', 1)[1]}`: {_cell(v.get('old'))} → {_cell(v.get('new'))}" for k, v in list(deltas.items())[:15]
    ]
    if run.stage in REPORTS:
        lines += ["", f"Report: `{(root / REPORTS[run.stage]).resolve()}`"]
    return "\n".join(lines)


def _change(value: Any) -> str:
    """`dvc status` says 'modified', or for a params file {'synthesise.snr_db': 'modified', ...}."""
    return ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)


def _cell(value: Any) -> Any:
    """Table cells must be scalars: lists and mappings become JSON text, floats are rounded."""
    if isinstance(value, float):
        return round(value, 6)
    return json.dumps(value) if isinstance(value, (list, dict)) else value
