"""Stage identity_report: reports/identity/index.html, one self-contained page (no external files).

Trained vs untrained vs baseline; training curve with the share of active triplets; ROC; the
hardest false accepts and false rejects side by side (audio players + spectrograms, or faces);
per-identity error rates; a 2-D projection of the test embeddings; the clustering sweep.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.html import CSS, audio_uri, esc, figure_uri, tile
from pipeline.common.io import run_stage, write_text
from pipeline.common.params import load_params
from pipeline.identity.data import read_items
from pipeline.identity.evaluate import EVAL_DIR, METRICS, ROC_CSV
from pipeline.identity.train import CURVE

REPORT = Path("reports/identity/index.html")
ENCODERS = ("trained", "untrained", "baseline", "resemblyzer")  # those evaluated, in this order


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def image_uri(chip: np.ndarray) -> str:
    import cv2

    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(chip, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode()


def spectrogram_uri(pcm16: np.ndarray, sample_rate: int) -> str:
    """A small log-power spectrogram as a PNG data URI (no axes: the player below gives the time)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2.6, 1.2), dpi=80)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.specgram(pcm16.astype(np.float32) / 32768.0 + 1e-6, Fs=sample_rate, NFFT=256, noverlap=192, cmap="magma")
    ax.set_axis_off()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def item_html(items, row: int) -> str:
    """One side of a pair: player + spectrogram for audio, the aligned face for images."""
    meta = items.items.iloc[row]
    caption = f'<p class="small"><b>{esc(meta.identity)}</b><br>{esc(meta.item_id)}</p>'
    if items.modality == "image":
        return f'<div><img src="{image_uri(items.data[row])}" alt="" style="width:150px">{caption}</div>'
    sr = items.meta["sample_rate"]
    return (
        f'<div><img src="{spectrogram_uri(items.data[row], sr)}" alt="" style="width:260px">'
        f'<audio controls preload="none" src="{audio_uri(items.data[row], sr)}"></audio>{caption}</div>'
    )


def worst_pairs(items, pairs: pd.DataFrame, test_rows: np.ndarray, threshold: float, worst: int) -> str:
    """False accepts (different identities, closest first) and false rejects (same, farthest first)."""
    parts = []
    for title, mask, ascending, css in (
        ("False accepts", ~pairs.same & (pairs.d_trained <= threshold), True, "fa"),
        ("False rejects", pairs.same & (pairs.d_trained > threshold), False, ""),
    ):
        errors = pairs[mask].sort_values("d_trained", ascending=ascending).head(worst)
        cards = [
            f'<div class="card {css}"><div class="body"><h4>distance {r.d_trained:.3f} '
            f'(threshold {threshold:.3f})</h4><div style="display:flex;gap:12px;flex-wrap:wrap">'
            f"{item_html(items, test_rows[int(r.i)])}{item_html(items, test_rows[int(r.j)])}</div></div></div>"
            for r in errors.itertuples()
        ]
        body = "".join(cards) or '<p class="muted">none at this threshold</p>'
        parts.append(
            f"<h3>{title} ({int(mask.sum())} of {int((pairs.same == (css == '')).sum())} pairs)</h3>"
            f'<div class="cards" style="grid-template-columns:repeat(auto-fill,minmax(560px,1fr))">{body}</div>'
        )
    return "".join(parts)


def example_html(items, row: int) -> str:
    """A small sample of an identity for the per-identity table: a face thumbnail or a player."""
    if items.modality == "image":
        return f'<img src="{image_uri(items.data[row])}" alt="" style="width:64px">'
    return f'<audio controls preload="none" src="{audio_uri(items.data[row], items.meta["sample_rate"])}"></audio>'


def per_identity(items, pairs: pd.DataFrame, test_rows: np.ndarray, threshold: float) -> str:
    names = items.items.identity.to_numpy()[test_rows]
    accepted = pairs.d_trained.to_numpy() <= threshold
    rows = []
    for name in sorted(set(names)):
        involved = (names[pairs.i] == name) | (names[pairs.j] == name)
        pos, neg = involved & pairs.same.to_numpy(), involved & ~pairs.same.to_numpy()
        frr = 1 - accepted[pos].mean() if pos.any() else float("nan")
        far = accepted[neg].mean() if neg.any() else float("nan")
        example = example_html(items, test_rows[int(np.flatnonzero(names == name)[0])])
        rows.append(
            f"<tr><td>{esc(name)}</td><td>{example}</td><td>{int((names == name).sum())}</td>"
            f"<td>{pct(frr)}</td><td>{pct(far)}</td></tr>"
        )
    return (
        "<table><tr><th>identity</th><th>example</th><th>test items</th><th>false reject rate</th>"
        "<th>false accept rate</th></tr>" + "".join(rows) + "</table>"
    )


def scored(metrics: dict) -> list[str]:
    """The encoders identity_evaluate scored (Resemblyzer is skipped when its wheel is absent)."""
    return [name for name in ENCODERS if "verification" in metrics.get(name, {})]


def interval(v: dict) -> str:
    band = v.get("eer_interval") or {}
    return f"{band['low']:.3f}–{band['high']:.3f}" if band.get("low") is not None else "–"


def per_source(metrics: dict) -> str:
    """EER on pairs inside each source package: a speaker encoder must not be a package detector."""
    names = scored(metrics)
    sources = sorted({s for n in names for s in metrics[n]["verification"].get("source_eers", {})})
    if not sources:
        return ""
    head = "".join(f"<th>{esc(n)}</th>" for n in names)
    rows = "".join(
        f"<tr><td>{esc(src)}</td>"
        + "".join(
            f"<td>{pct(metrics[n]['verification'].get('source_eers', {}).get(src, float('nan')))}</td>" for n in names
        )
        + "</tr>"
        for src in sources
    )
    return f"<h2>EER within each source package</h2><table><tr><th>source</th>{head}</tr>{rows}</table>"


def comparison(metrics: dict) -> str:
    far_key = next(k for k in metrics["trained"]["verification"] if k.startswith("tar_at_far_"))
    cols = [
        ("EER", "verification", "eer", True),
        (far_key.replace("tar_at_far_", "TAR @ FAR="), "verification", far_key, False),
        ("accuracy @ dev threshold", "verification", "accuracy", False),
        ("AUC", "verification", "auc", False),
        ("rank-1", "identification", "rank1", False),
        ("rank-5", "identification", "rank5", False),
        ("NMI (k by BIC)", "clustering", "nmi_at_bic_k", False),
        ("ARI (k by BIC)", "clustering", "ari_at_bic_k", False),
    ]
    head = "<th>EER 95 % interval</th>" + "".join(f"<th>{esc(c[0])}</th>" for c in cols[1:])
    head = f"<th>EER</th>{head}<th>k: elbow / BIC</th>"
    body = []
    for name in scored(metrics):
        m = metrics[name]
        cells = "".join(f"<td>{m[group][key]:.3f}</td>" for _, group, key, _ in cols[1:])
        body.append(
            f"<tr><td><b>{name}</b></td><td>{m['verification']['eer']:.3f}</td>"
            f"<td>{interval(m['verification'])}</td>{cells}<td>{m['clustering']['elbow_k']} / "
            f"{m['clustering']['bic_k']} (true {m['clustering']['identities']})</td></tr>"
        )
    return f"<table><tr><th>encoder</th>{head}</tr>{''.join(body)}</table>"


def plots(metrics: dict, embeddings: dict, labels: np.ndarray) -> str:
    roc = pd.read_csv(ROC_CSV)
    curve = pd.read_csv(CURVE) if Path(CURVE).exists() else pd.DataFrame()

    def draw_roc(ax):
        for name in scored(metrics):
            ax.plot(roc.far, roc[f"tar_{name}"], label=name)
        ax.set_xscale("log")
        ax.set_xlabel("false accept rate")
        ax.set_ylabel("true accept rate")
        ax.legend()

    def draw_curve(ax):
        if curve.empty:
            return
        ax.plot(curve.epoch, curve.loss, "o-", label="triplet loss")
        ax.plot(curve.epoch, curve.active_share, "s--", label="active triplets (share)")
        ax.set_xlabel("epoch")
        ax.legend()

    def draw_sweep(ax):
        c = metrics["trained"]["clustering"]
        ks = sorted(int(k) for k in c["inertia"])
        ax.plot(ks, [c["inertia"][str(k)] for k in ks], "o-")  # JSON keys are strings
        ax.axvline(c["elbow_k"], color="tab:orange", ls="--", label=f"elbow k={c['elbow_k']}")
        ax.axvline(c["bic_k"], color="tab:green", ls=":", label=f"BIC k={c['bic_k']}")
        ax.set_xlabel("k")
        ax.set_ylabel("k-means inertia")
        ax.legend()

    figures = [figure_uri(draw_roc), figure_uri(draw_curve), figure_uri(draw_sweep)]
    figures += [figure_uri(lambda ax, n=n: scatter(ax, embeddings[n], labels, n)) for n in ("trained", "baseline")]
    return "".join(f'<img src="{uri}" alt="" style="max-width:520px">' for uri in figures)


def scatter(ax, emb: np.ndarray, labels: np.ndarray, name: str) -> None:
    """First two principal components of the test embeddings, one colour per identity."""
    centred = emb - emb.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    for identity in sorted(set(labels)):
        mask = labels == identity
        ax.scatter(xy[mask, 0], xy[mask, 1], s=9, label=str(identity)[:16])
    ax.set_title(f"{name} encoder: test items, PCA")
    if len(set(labels)) <= 12:
        ax.legend(fontsize=7, markerscale=1.5)


def _protocol(metrics: dict) -> str:
    if metrics.get("protocol") == "identities":
        return f"open set (test people unseen in training; {metrics['train_identities']} trained on)"
    return "closed set (every test identity is also in training)"


def main() -> None:
    metrics = json.loads(METRICS.read_text())
    items = read_items()
    stored = np.load(EVAL_DIR / "embeddings.npz")
    test_rows = stored["test_rows"]
    embeddings = {name: stored[name][test_rows] for name in scored(metrics)}
    pairs = pd.read_parquet(EVAL_DIR / "test_pairs.parquet")
    threshold = metrics["trained"]["verification"]["threshold"]
    worst = load_params().identity.evaluate.worst
    labels = items.items.identity.to_numpy()[test_rows]
    v = metrics["trained"]["verification"]
    tiles = [
        tile(pct(v["eer"]), "equal error rate"),
        tile(pct(v["accuracy"]), "verification accuracy"),
        tile(pct(metrics["trained"]["identification"]["rank1"]), "identification rank-1"),
        tile(f"{metrics['trained']['clustering']['nmi_at_bic_k']:.2f}", "clustering NMI"),
    ]
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>datasynth: identity encoder</title><style>{CSS}</style></head><body>"
        f'<header class="hero"><div class="in"><div><h1>Identity encoder · {esc(metrics["source"])}</h1>'
        f'<p class="sub">{_protocol(metrics)}: {len(test_rows)} test items of {len(set(labels))} identities, '
        f"{metrics['test_pairs']} pairs "
        f"({metrics['test_positive_pairs']} same-identity); threshold {threshold:.3f} from 10-fold on dev pairs</p>"
        f'<div class="tiles">{"".join(tiles)}</div></div></div></header><main>'
        f"<section><h2>Encoders compared</h2>{comparison(metrics)}{per_source(metrics)}</section>"
        f"<section><h2>Curves</h2>{plots(metrics, embeddings, labels)}</section>"
        f"<section><h2>Per identity</h2>{per_identity(items, pairs, test_rows, threshold)}</section>"
        f"<section><h2>Hardest mistakes</h2>{worst_pairs(items, pairs, test_rows, threshold, worst)}</section>"
        "<footer>Distances are squared Euclidean between unit vectors (0..4). Audio items are the first "
        "clip_seconds of speech, repeated when shorter (the spectrograms show what the encoder heard). "
        "The untrained encoder is the trained "
        "network's starting point; the baseline is MFCC statistics for audio and dlib's pretrained ResNet for faces."
        "</footer></main></body></html>\n"
    )
    write_text(REPORT, body)


if __name__ == "__main__":
    run_stage(main, "identity_report")
