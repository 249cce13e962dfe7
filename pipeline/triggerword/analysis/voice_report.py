"""The error-analysis report's voice-group section: peak scores of positives per group, and the stress set.

One picture answers "does it hear a voice it never heard?": a histogram of the peak score each positive
reached, for voices it learnt from, unseen voices of a trained engine, and an engine never heard, with the
dev-chosen threshold drawn across it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.html import esc
from pipeline.triggerword.analysis.error_findings import pct, rate_h

STRESS_METRICS = Path("reports/metrics/stress.json")
ORDER = ("train/seen voice", "dev/unseen voice", "dev/unseen engine", "test/unseen voice", "test/unseen engine")
COLOURS = {"seen voice": "#2b8a3e", "unseen voice": "#1c7ed6", "unseen engine": "#e8590c"}


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def peaks_figure(path: Path, positives: pd.DataFrame, threshold: float) -> None:
    """Histograms on a logit axis: the operating points of a confident detector all lie above 0.99."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = positives["part"] + "/" + positives["group"]
    shown = [k for k in ORDER if (keys == k).any()]
    fig, axes = plt.subplots(len(shown), 1, figsize=(6.4, 1.25 * len(shown) + 0.6), dpi=90, sharex=True)
    bins = np.linspace(_logit(1e-4), _logit(1 - 1e-4), 49)
    ticks = np.array([0.01, 0.1, 0.5, 0.9, 0.99, 0.999])
    for ax, key in zip(np.atleast_1d(axes), shown):
        peaks = positives.loc[keys == key, "peak"].to_numpy(np.float64)
        weights = np.full(len(peaks), 100.0 / len(peaks))
        ax.hist(_logit(peaks), bins=bins, weights=weights, color=COLOURS[key.split("/")[1]], alpha=0.85)
        ax.axvline(_logit(threshold), color="#c92a2a", lw=1.2, ls="--")
        ax.set_ylabel("%", fontsize=8)
        ax.set_title(f"{key}: {len(peaks)} positives, {np.mean(peaks < threshold) * 100:.0f} % below", fontsize=9)
        ax.tick_params(labelsize=8)
    last = np.atleast_1d(axes)[-1]
    last.set_xticks(_logit(ticks), [f"{t:g}" for t in ticks])
    last.set_xlabel("peak smoothed score in the match window, logit scale (dashed: threshold)", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def _group_rows(voice_groups: dict) -> str:
    groups = voice_groups.get("groups", {})
    at_point = voice_groups.get("test_operating_point", {}).get("frr", {})
    rows = []
    for key in ORDER:
        if key not in groups:
            continue
        g, q = groups[key], groups[key]["peak_quantiles"]
        rows.append(
            f"<tr><td>{esc(key)}</td><td>{esc(', '.join(g['sources']))}</td><td class='n'>{g['positives']:,}</td>"
            f"<td class='n'>{pct(g['frr'])}</td><td class='n'>{pct(at_point[key]) if key in at_point else ''}</td>"
            f"<td class='n'>{q['q10']:.2f} / {q['q50']:.2f} / {q['q90']:.2f}</td></tr>"
        )
    return "".join(rows)


def _stress_rows(stress: dict) -> str:
    rows = []
    for name in ("project_threshold", "threshold_0.5"):
        m = stress.get(name)
        if m:
            rows.append(
                f"<tr><td>{m['threshold']:.3f}</td><td class='n'>{m['positives']}</td><td class='n'>{pct(m['frr'])}"
                f"</td><td class='n'>{rate_h(m['fa_per_hour'])}</td><td class='n'>{pct(m['frr_word_alone'])}</td>"
                f"<td>{esc(', '.join(f'{band}: {pct(v)}' for band, v in m['frr_by_snr_db'].items()))}</td></tr>"
            )
    return "".join(rows)


def _real_positives(stress: dict) -> str:
    """The only people saying the word the project has, one row each (the stress stage's detect run)."""
    real = stress.get("real_positives") or {}
    if not real.get("lines"):
        return ""
    rows = "".join(
        f"<tr><td>{esc(line['text'])}</td><td>{esc(line['source'])}</td><td class='n'>{line['peak']:.3f}</td>"
        f"<td>{'found' if line['found'] else 'missed'}</td><td><code>{esc(line['origin'])}</code></td></tr>"
        for line in real["lines"]
    )
    return (
        f"<h3>Real people saying the word: {real['found']} of {real['takes']} found at the project's threshold</h3>"
        "<p>Package recordings whose transcript says it (never negatives), each alone in a file, scored with "
        "<code>datasynth detect</code>; peak: the highest smoothed score in the file.</p>"
        f"<table><tr><th>says</th><th>source</th><th>peak</th><th>at the threshold</th><th>file</th></tr>{rows}</table>"
    )


def voice_section(evaluate: dict, image: str | None, stress: dict | None) -> str:
    """HTML of the voice-group table, the peak histograms and the stress set's scores."""
    voice_groups = evaluate.get("voice_groups")
    if not voice_groups:
        return ""
    point = voice_groups.get("test_operating_point", {})
    stress_html = ""
    if stress and stress.get("project_threshold"):
        stress_html = (
            f"<h3>Stress set: {esc(stress['voice'])}, backgrounds heard nowhere else, {stress['hours']:.2f} h, "
            "scored with <code>datasynth detect</code></h3><table><tr><th>threshold</th><th>positives</th>"
            "<th>FRR</th><th>false accepts/h</th><th>FRR, word alone</th><th>FRR by SNR (dB)</th></tr>"
            f"{_stress_rows(stress)}</table>{_real_positives(stress)}"
        )
    img = f'<img src="{esc(image)}" alt="peak scores by voice group" width="576">' if image else ""
    return (
        '<section id="voices"><h2>Voices it never heard</h2>'
        "<p>Every positive's peak score in its match window, by voice group: voices the head learnt from "
        "(training clips), unseen voices of an engine it learnt from, and an engine it never heard "
        "(<code>synthesise.holdout</code>). FRR at the dev-chosen threshold, and at the threshold where the "
        f"pooled test set meets the FA/h target ({rate_h(point.get('fa_per_hour', 0))}; chosen on test, so "
        "what the group could reach).</p>"
        "<table><tr><th>group</th><th>sources</th><th>positives</th><th>FRR</th><th>FRR at test target</th>"
        f"<th>peak q10 / median / q90</th></tr>{_group_rows(voice_groups)}</table>{img}{stress_html}</section>"
    )


def voices_html(out: Path, evaluate: dict, predictions: Path) -> str:
    """The section from predictions/positives.parquet (evaluate) and the stress metrics; '' without them."""
    path = predictions / "positives.parquet"
    if not path.exists() or "test" not in evaluate:
        return ""
    positives = pd.read_parquet(path)
    image = None
    if len(positives):
        peaks_figure(out / "img" / "voice_groups.png", positives, evaluate["test"]["threshold"])
        image = "img/voice_groups.png"
    stress = json.loads(STRESS_METRICS.read_text()) if STRESS_METRICS.exists() else None
    return voice_section(evaluate, image, stress)
