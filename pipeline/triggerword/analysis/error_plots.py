"""Images and audio of the error-analysis report: mistake figures, the DET plot, listening WAVs.

Everything is small on purpose: figures at ~860 px wide with the spectrogram averaged down to at
most MAX_COLUMNS time columns, WAVs resampled to at most 16 kHz, 16-bit.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("MPLCONFIGDIR", str(Path(tempfile.gettempdir()) / "datasynth-matplotlib"))
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LISTEN_RATE = 16000
MAX_COLUMNS = 640
POSITIVE, NEGATIVE, BAD, OK, CURVE = "#2e9e4f", "#e36a9a", "#c62828", "#2e7d32", "#1f5fbf"
plt.rcParams.update(
    {
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.family": "DejaVu Sans",
    }
)


@dataclass(frozen=True)
class Span:
    """An insert drawn on the figure."""

    positive: bool
    word: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Curves:
    """One clip's model outputs and label, all (ty,), plus its detections."""

    probabilities: np.ndarray
    smoothed: np.ndarray
    label: np.ndarray
    threshold: float
    detection_s: np.ndarray
    detection_fa: np.ndarray


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """Peak-normalised to -1 dBFS, resampled to at most 16 kHz, 16-bit PCM."""
    import soundfile as sf

    from synth.common.audio import resample

    audio, rate = np.asarray(audio, np.float32), sample_rate
    if sample_rate > LISTEN_RATE:  # the project's one resampler, as training and detection hear
        audio, rate = resample(audio, sample_rate, LISTEN_RATE), LISTEN_RATE
    peak = float(np.abs(audio).max(initial=0.0))
    if peak > 0:
        audio = audio * (10 ** (-1 / 20) / peak)
    sf.write(path, audio.astype(np.float32), rate, subtype="PCM_16")


def _pool_columns(features: np.ndarray, columns: int = MAX_COLUMNS) -> np.ndarray:
    """Average groups of adjacent frames so at most `columns` remain."""
    factor = max(1, int(np.ceil(features.shape[1] / columns)))
    usable = features.shape[1] // factor * factor
    return features[:, :usable].reshape(features.shape[0], -1, factor).mean(axis=2)


def _spectrogram(ax, features: np.ndarray, clip_seconds: float, top: float, unit: str) -> None:
    pooled = _pool_columns(features)
    low, high = np.percentile(pooled, [2, 99.8]) if pooled.size else (0.0, 1.0)
    ax.imshow(
        pooled,
        origin="lower",
        aspect="auto",
        cmap=plt.get_cmap("magma", 48),
        extent=(0, clip_seconds, 0, top),
        vmin=float(low),
        vmax=float(max(high, low + 1e-3)),
        interpolation="nearest",
    )
    ax.set_ylabel(unit)
    ax.tick_params(labelbottom=False)


def _spans(ax, spans: list[Span]) -> None:
    for span in spans:
        ax.axvspan(span.start_s, span.end_s, color=POSITIVE if span.positive else NEGATIVE, alpha=0.22, lw=0)


def _legend(ax, threshold: float) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(color="#9e9e9e", alpha=0.35, label="label"),
        Line2D([], [], color=CURVE, alpha=0.35, lw=0.8, label="output"),
        Line2D([], [], color=CURVE, lw=1.6, label="smoothed"),
        Line2D([], [], color=BAD, ls="--", lw=1, label=f"threshold {threshold:.2f}"),
        Line2D([], [], color=OK, marker="^", ls="none", label="hit"),
        Line2D([], [], color=BAD, marker="x", mew=2, ls="none", label="false accept"),
        Patch(color=POSITIVE, alpha=0.3, label="positive word"),
        Patch(color=NEGATIVE, alpha=0.3, label="negative word"),
        Patch(fill=False, ec=BAD, lw=1.5, label="this mistake"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.12), fontsize=8, frameon=False)


def _save(fig, path: Path) -> None:
    """Palette PNG (the spectrogram uses 48 colours, so 256 keep every line colour): ~4x smaller."""
    from PIL import Image

    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    Image.fromarray(rgb).quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)
    plt.close(fig)


def _curves(ax, curves: Curves, clip_seconds: float) -> None:
    ty = len(curves.probabilities)
    t = (np.arange(ty) + 0.5) * clip_seconds / ty
    ax.fill_between(t, 0, curves.label, step="mid", color="#9e9e9e", alpha=0.35, lw=0)
    ax.plot(t, curves.probabilities, color=CURVE, alpha=0.35, lw=0.8)
    ax.plot(t, curves.smoothed, color=CURVE, lw=1.6)
    ax.axhline(curves.threshold, color=BAD, ls="--", lw=1)
    for at, fa in zip(curves.detection_s, curves.detection_fa):
        ax.plot([at], [curves.threshold], marker="x" if fa else "^", ms=8, mew=2, color=BAD if fa else OK, ls="none")
    ax.set_ylim(-0.03, 1.05)
    ax.set_xlim(0, clip_seconds)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("P(trigger)")
    _legend(ax, curves.threshold)


def mistake_figure(
    path: Path,
    features: np.ndarray,
    feature_top: float,
    feature_unit: str,
    curves: Curves,
    spans: list[Span],
    focus: tuple[float, float],
    clip_seconds: float,
) -> None:
    """Spectrogram over the output curve, inserts shaded, the mistake's window outlined."""
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(9.6, 4.3), dpi=90, sharex=True, gridspec_kw={"height_ratios": [1.0, 1.05], "hspace": 0.12}
    )
    _spectrogram(top, features, clip_seconds, feature_top, feature_unit)
    for span in spans:
        colour = POSITIVE if span.positive else NEGATIVE
        top.axvspan(span.start_s, span.end_s, ymin=1.01, ymax=1.07, color=colour, clip_on=False, lw=0)
        top.text(
            (span.start_s + span.end_s) / 2,
            1.09,
            span.word,
            transform=top.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=8,
            fontweight="bold",
            color=colour,
        )
        for at in (span.start_s, span.end_s):
            top.axvline(at, color="white", lw=0.8, ls=(0, (2, 2)), alpha=0.8)
    _spans(bottom, spans)
    _curves(bottom, curves, clip_seconds)
    bottom.axvspan(*focus, ymin=0, ymax=1, fill=False, ec=BAD, lw=1.5, ls="-")
    fig.subplots_adjust(left=0.075, right=0.835, top=0.92, bottom=0.12)
    _save(fig, path)


def det_figure(path: Path, curves: dict[str, pd.DataFrame], threshold: float | None) -> None:
    """False-reject rate vs false accepts/h per split, the operating threshold marked."""
    fig, ax = plt.subplots(figsize=(4.6, 3.2), dpi=90)
    colours = {"dev": "#8e8e8e", "test": CURVE}
    for split, det in curves.items():
        det = det.sort_values("fa_per_hour")
        ax.plot(
            det["fa_per_hour"],
            100 * det["frr"],
            color=colours.get(split, "#555"),
            lw=1.6,
            label=split,
            marker=".",
            ms=3,
        )
        if threshold is not None and len(det):
            at = det.iloc[int(np.argmin(np.abs(det["threshold"].to_numpy() - threshold)))]
            ax.plot([at["fa_per_hour"]], [100 * at["frr"]], "o", ms=7, mfc="none", mew=1.8, color=BAD)
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlabel("false accepts per hour")
    ax.set_ylabel("false-reject rate (%)")
    ax.grid(True, color="#e0e0e0", lw=0.6)
    ax.legend(frameon=False, title="o = threshold" if threshold is not None else None, title_fontsize=8)
    fig.tight_layout()
    _save(fig, path)
