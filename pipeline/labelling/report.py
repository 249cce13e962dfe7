"""Human accuracy per ladder rung (resolution, sample rate), rater agreement, and the smallest rung
people still manage.

Recommendation rule: the reference is the highest rung with answers. A rung *holds* when its
accuracy is within `epsilon` of the reference accuracy, or its Wilson 95 % interval reaches the
reference accuracy (it is not significantly worse). The recommended rung is the smallest one from
which every higher rung holds too, among those with >= `min_n` answers (so one lucky low rung under
a failing middle one is not recommended). None without answers. `name` says what a rung is.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.io import write_json, write_text
from pipeline.labelling.report_page import report_html

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion: sane at 0 or n successes and for small n."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def per_level(answers: pd.DataFrame, name: str = "resolution") -> list[dict]:
    """One row per rung: {name: rung, n, accuracy, ci_low, ci_high, mean_seconds, mean_client_seconds}."""
    rows = []
    for level, group in answers.groupby("level"):
        n, right = len(group), int(group["correct"].sum())
        low, high = wilson(right, n)
        client = group["client_seconds"].dropna()
        rows.append(
            {
                name: int(level),
                "n": n,
                "accuracy": right / n,
                "ci_low": low,
                "ci_high": high,
                "mean_seconds": float(group["server_seconds"].mean()),
                "mean_client_seconds": float(client.mean()) if len(client) else None,
            }
        )
    return sorted(rows, key=lambda row: row[name])


def recommend(rows: list[dict], epsilon: float = 0.02, min_n: int = 1, name: str = "resolution") -> int | None:
    """The rule in this module's docstring; `rows` as from per_level."""
    if not rows:
        return None
    reference = rows[-1]["accuracy"]
    best = None
    for row in reversed(rows):  # walk down from the reference until a rung fails
        holds = row["accuracy"] >= reference - epsilon or row["ci_high"] >= reference
        if not holds:
            break
        if row["n"] >= min_n:
            best = row[name]
    return best


def fleiss_kappa(answers: pd.DataFrame) -> float | None:
    """Fleiss' kappa over items (item, rung) answered by >= 2 raters (raters may vary per item).

    P_i = (sum_j n_ij^2 - n_i) / (n_i (n_i - 1)); P_e from the pooled answer proportions. None when
    no item has two raters or all answers are the same class (kappa is undefined).
    """
    counts = answers.groupby(["item_id", "level", "answer"]).size().unstack(fill_value=0)
    counts = counts[counts.sum(axis=1) >= 2]
    if counts.empty:
        return None
    n_i = counts.sum(axis=1).to_numpy(float)
    agree = ((counts.to_numpy(float) ** 2).sum(axis=1) - n_i) / (n_i * (n_i - 1))
    shares = counts.to_numpy(float).sum(axis=0) / n_i.sum()
    expected = float((shares**2).sum())
    if expected >= 1.0:
        return None
    return float((agree.mean() - expected) / (1 - expected))


def summarise(answers: pd.DataFrame, epsilon: float = 0.02, min_n: int = 1, name: str = "resolution") -> dict:
    rows = per_level(answers, name)
    return {
        "study": name,
        f"per_{name}": rows,
        f"recommended_{name}": recommend(rows, epsilon, min_n, name),
        f"full_{name}": rows[-1][name] if rows else None,
        f"full_{name}_accuracy": rows[-1]["accuracy"] if rows else None,
        "raters": int(answers["rater"].nunique()),
        "agreement": fleiss_kappa(answers),
        "agreement_measure": f"Fleiss' kappa over (item, {name}) pairs seen by >= 2 raters",
        "answers": len(answers),
        "rule": {
            "epsilon": epsilon,
            "min_n": min_n,
            "text": f"smallest {name} from which every higher one has accuracy >= reference - epsilon "
            f"or a Wilson 95% upper bound >= reference (reference: highest {name})",
        },
    }


def write_report(
    answers: pd.DataFrame,
    metrics: str | Path,
    html_path: str | Path,
    epsilon: float = 0.02,
    min_n: int = 1,
    name: str = "resolution",
    model: list[dict] | None = None,
) -> dict:
    """Metrics JSON and HTML page; `model` (rows with name, accuracy, ci_low, ci_high) is the model's
    own ladder, shown beside the people's."""
    summary = summarise(answers, epsilon, min_n, name)
    if model is not None:
        summary["model"] = model
    write_json(metrics, _finite(summary))
    write_text(html_path, report_html(summary))
    return summary


def _finite(value):
    """JSON has no NaN: report an undefined number as null."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return None
    return value
