"""Stage `daynight_report`: reports/daynight/index.html, one self-contained page (no JS, no CDN;
images inlined as data URIs) with metrics per slice, the misclassified images, the resolution and
data-size studies and, when reports/metrics/human_study.json exists, humans vs the model.

    python -m pipeline.daynight.report      (datasynth daynight-report)
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from pipeline.common.html import CSS, esc, figure_uri, tile
from pipeline.common.io import write_text
from pipeline.common.params import load_params
from pipeline.daynight.train import DATA_DIR, METRICS, MODEL_DIR, load_manifest
from synth.common.studies import wilson_interval

REPORT = Path("reports/daynight/index.html")
STUDY_DIR = Path("reports/daynight")
HUMANS = Path("reports/metrics/human_study.json")
BRIGHTNESS_BINS = [0.0, 0.15, 0.3, 0.5, 1.01]
MAX_GALLERY = 48


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def pct(x: float | None) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:.1f} %"


def ci(row: dict) -> str:
    return f"{pct(row['accuracy'])} [{pct(row['ci_low'])}, {pct(row['ci_high'])}]"


def kind_of(row: pd.Series) -> str:
    if row["split"] == "real_night":
        return "real night"
    return f"{'synthetic' if row['synthetic'] else 'original'} {row['label']}"


def slice_table(frame: pd.DataFrame, key: str, title: str) -> str:
    rows = []
    for name, group in frame.groupby(key, observed=True):
        k, n = int(group["correct"].sum()), len(group)
        low, high = wilson_interval(k, n)
        cls = ' class="bad"' if n and high < frame["correct"].mean() else ""
        rows.append(
            f'<tr{cls}><td class="name">{esc(name)}</td><td class="n">{n}</td><td class="n">{n - k}</td>'
            f'<td class="n">{pct(k / n)}</td><td class="n">{pct(low)} – {pct(high)}</td></tr>'
        )
    head = (
        '<tr><th>slice</th><th class="n">images</th><th class="n">errors</th><th class="n">accuracy</th>'
        '<th class="n">95 % CI (Wilson)</th></tr>'
    )
    return f'<div class="panel"><h4>{esc(title)}</h4><table>{head}{"".join(rows)}</table></div>'


def thumbnail(path: Path, side: int = 128) -> str:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    ok, buf = cv2.imencode(
        ".jpg", cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA), [cv2.IMWRITE_JPEG_QUALITY, 85]
    )
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode()


def recipe_text(recipe: str) -> str:
    if not recipe:
        return "original photo"
    r = json.loads(recipe)
    names = [t.get("__class_fullname__", "?") for t in r.get("transform", {}).get("transforms", [])]
    return f"{r.get('pipeline')} pipeline, seed {r.get('seed')}: {' → '.join(names)}"


def gallery(frame: pd.DataFrame) -> str:
    wrong = frame[~frame["correct"]].assign(margin=lambda f: (f["score"] - 0.5).abs())
    wrong = wrong.sort_values(["split", "margin"], ascending=[True, False]).head(MAX_GALLERY)
    if wrong.empty:
        return '<p class="muted">no misclassified images</p>'
    cards = []
    for _, r in wrong.iterrows():
        cards.append(
            f'<div class="card{" fa" if r["label"] == "day" else ""}"><div class="body">'
            f'<img src="{thumbnail(DATA_DIR / r["path"])}" alt="{esc(r["image_id"])}" style="width:128px">'
            f'<h4>{esc(r["label"])} called {"night" if r["score"] >= 0.5 else "day"}</h4><div class="facts">'
            f"<span>P(night) <b>{r['score']:.3f}</b></span><span>split <b>{esc(r['split'])}</b></span>"
            f"<span>source <b>{esc(r['source'])}</b></span><span>brightness <b>{r['brightness']:.2f}</b></span>"
            f'</div><p class="small muted">{esc(r["image_id"])}<br>{esc(recipe_text(r["recipe"]))}<br>'
            f"licence: {esc(r['licence'])}</p></div></div>"
        )
    grid = "grid-template-columns:repeat(auto-fill,minmax(300px,1fr))"
    return f'<div class="cards" style="{grid}">' + "".join(cards) + "</div>"


def resolution_section(rungs: list[dict], studies: dict | None, humans: dict | None) -> str:
    if not rungs:
        return '<p class="muted">no resolution study results</p>'
    human_rows = {int(h["resolution"]): h for h in (humans or {}).get("per_resolution", [])}

    def draw(ax) -> None:
        res = [r["resolution"] for r in rungs]
        acc = np.array([r["accuracy"] for r in rungs])
        err = [acc - [r["ci_low"] for r in rungs], np.array([r["ci_high"] for r in rungs]) - acc]
        ax.errorbar(res, acc, yerr=err, marker="o", capsize=3, label="model (test)")
        if human_rows:
            hr = sorted(human_rows)
            ha = np.array([human_rows[r]["accuracy"] for r in hr])
            ax.errorbar(
                hr,
                ha,
                yerr=[
                    ha - [human_rows[r]["ci_low"] for r in hr],
                    np.array([human_rows[r]["ci_high"] for r in hr]) - ha,
                ],
                marker="s",
                capsize=3,
                label="humans",
            )
        ax.set_xscale("log", base=2)
        ax.set_xlabel("resolution (px)")
        ax.set_ylabel("accuracy")
        ax.legend()

    head = (
        '<tr><th class="n">px</th><th class="n">test accuracy [95 % CI]</th><th class="n">real night</th>'
        '<th class="n">pixels</th><th class="n">MFLOPs / image</th><th class="n">µs / image</th>'
        + ('<th class="n">humans [95 % CI]</th><th class="n">raters n</th>' if human_rows else "")
        + "</tr>"
    )
    rows = []
    for r in rungs:
        h = human_rows.get(int(r["resolution"]))
        human = (
            (
                f'<td class="n">{ci(h)}</td><td class="n">{h["n"]}</td>'
                if h
                else '<td class="n muted">–</td><td class="n muted">–</td>'
            )
            if human_rows
            else ""
        )
        mark = ' class="warn"' if studies and r["resolution"] == studies["recommended_resolution"] else ""
        rows.append(
            f'<tr{mark}><td class="n">{r["resolution"]}</td><td class="n">{ci(r)}</td>'
            f'<td class="n">{pct(r["real_night"]["accuracy"])} (n={r["real_night"]["n"]})</td>'
            f'<td class="n">{r["pixels"]:,}</td><td class="n">{r["flops"] / 1e6:.2f}</td>'
            f'<td class="n">{1e6 * r["seconds_per_image"]:.1f}</td>{human}</tr>'
        )
    note = (
        (
            f"<p>Smallest resolution within {pct(studies['epsilon'])} of the best: "
            f"<b>{studies['recommended_resolution']} px</b> (best: {studies['best_resolution']} px, "
            f"{pct(studies['best_accuracy'])}). Intervals overlap a lot with this few test photos: "
            "treat the ranking as a hint, not a result.</p>"
        )
        if studies
        else ""
    )
    if humans:
        note += (
            f"<p>Humans ({esc(humans.get('raters'))} raters, agreement {esc(humans.get('agreement'))}) "
            f"recommend <b>{esc(humans.get('recommended_resolution'))} px</b>.</p>"
        )
    return (
        f'<div class="panel">{note}<img src="{figure_uri(draw)}" alt="accuracy vs resolution">'
        f"<table>{head}{''.join(rows)}</table></div>"
    )


def datasize_section(d: dict | None) -> str:
    if not d:
        return '<p class="muted">no data-size study results</p>'
    law = d["power_law"]

    def draw(ax) -> None:
        n = np.array([r["train_images"] for r in d["rows"]], dtype=float)
        ax.plot(n, [r["accuracy"] for r in d["rows"]], "o", label="test accuracy")
        grid = np.geomspace(n.min(), max(n.max(), d["images_for_target"] or n.max()), 50)
        ax.plot(grid, 1 - law["a"] * grid ** (-law["b"]), "-", label="power-law fit")
        ax.axhline(d["target_accuracy"], ls="--", color="grey", label="target")
        ax.set_xscale("log")
        ax.set_xlabel("training images")
        ax.set_ylabel("accuracy")
        ax.legend()

    rows = "".join(
        f'<tr><td class="n">{r["fraction"]:.2f}</td><td class="n">{r["train_images"]}</td>'
        f'<td class="n">{ci(r)}</td></tr>'
        for r in d["rows"]
    )
    need = d["images_for_target"]
    text = (
        f"error ≈ {law['a']:.3g} · n<sup>−{law['b']:.3g}</sup>: about <b>{need:,}</b> training images "
        f"for {pct(d['target_accuracy'])} (an extrapolation; the more rungs, the safer)."
        if need
        else "The fitted curve does not fall: more of the same images will not reach the target."
    )
    return (
        f'<div class="panel"><p>{text}</p><img src="{figure_uri(draw)}" alt="learning curve">'
        '<table><tr><th class="n">share of photos</th><th class="n">training images</th>'
        f'<th class="n">test accuracy [95 % CI]</th></tr>{rows}</table></div>'
    )


def findings(frame: pd.DataFrame, studies: dict | None) -> str:
    """Plain-language observations computed from the slices: what to change next."""
    items = []
    real = frame[frame["kind"] == "real night"]
    synth = frame[frame["kind"] == "synthetic night"]
    if len(real) and len(synth):
        gap = synth["correct"].mean() - real["correct"].mean()
        if gap > 0.1:
            items.append(
                f"Real night photos are recognised far less often ({pct(real['correct'].mean())}, "
                f"n={len(real)}) than synthetic nights ({pct(synth['correct'].mean())}). Synthetic nights "
                f"average luma {synth['brightness'].mean():.2f} vs {real['brightness'].mean():.2f} for the "
                "real ones: the model may have learnt 'dark = night'. Make the night pipeline milder "
                "(daynight.pipelines.night), and collect more real night photos to measure this "
                "with a tighter interval."
            )
    by_source = frame[frame["split"] != "real_night"].groupby("source")["correct"].agg(["mean", "size"])
    by_source = by_source[by_source["size"] >= 8]
    if len(by_source) > 1 and by_source["mean"].min() < frame["correct"].mean() - 0.1:
        worst = by_source["mean"].idxmin()
        items.append(
            f"Photos from {worst} are hardest ({pct(by_source.loc[worst, 'mean'])}); look at them in the gallery below."
        )
    if studies:
        items.append(
            f"{studies['recommended_resolution']} px is enough: within {pct(studies['epsilon'])} of the "
            f"best resolution ({studies['best_resolution']} px) on this test set."
        )
    if not items:
        return ""
    return '<div class="panel findings"><ol>' + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ol></div>"


def main() -> None:
    frame = load_manifest().merge(
        pd.read_parquet(MODEL_DIR / "predictions.parquet")[["image_id", "score"]], on="image_id"
    )
    frame = frame[frame["split"] != "train"].copy()
    frame["correct"] = (frame["score"] >= 0.5) == (frame["label"] == "night")
    frame["kind"] = frame.apply(kind_of, axis=1)
    frame["brightness bin"] = pd.cut(frame["brightness"], BRIGHTNESS_BINS, right=False).astype(str)
    metrics = json.loads(METRICS.read_text())
    studies = _read_json(Path("reports/metrics/daynight_studies.json"))
    humans = _read_json(HUMANS)
    ladder = sorted(load_params().daynight.study.resolutions)  # not a glob: rungs dropped from the ladder stay out
    rungs = [json.loads(p.read_text()) for p in (STUDY_DIR / "resolution" / f"{r}.json" for r in ladder) if p.is_file()]
    tiles = [
        tile(pct(metrics["test"]["accuracy"]), f"test accuracy ({metrics['test']['n']} images)"),
        tile(pct(metrics["real_night"]["accuracy"]), f"real night photos ({metrics['real_night']['n']})"),
        tile(f"{metrics['resolution']} px", "model resolution"),
    ]
    if studies:
        tiles.append(tile(f"{studies['recommended_resolution']} px", "smallest sufficient resolution"))
    slices = "".join(
        slice_table(frame, k, t)
        for k, t in (
            ("kind", "synthetic vs real"),
            ("source", "source package"),
            ("brightness bin", "brightness (mean luma)"),
            ("split", "split"),
        )
    )
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>datasynth: day / night</title><style>{CSS}</style></head><body>"
        '<header class="hero"><div class="in"><div><h1>Error analysis · day / night photos</h1>'
        f'<p class="sub">dev, test and real-night images: {len(frame)}; model at {metrics["resolution"]} px on '
        f'{esc(metrics["device"])}</p><div class="tiles">{"".join(tiles)}</div></div></div></header><main>'
        '<nav><a href="#slices">slices</a><a href="#resolution">resolution</a><a href="#datasize">data size</a>'
        '<a href="#errors">misclassified</a></nav>'
        f'<section id="findings"><h2>Findings</h2>{findings(frame, studies)}</section>'
        f'<section id="slices"><h2>Accuracy per slice</h2><div class="grid">{slices}</div></section>'
        f'<section id="resolution"><h2>Resolution study{" · humans vs model" if humans else ""}</h2>'
        f"{resolution_section(rungs, studies, humans)}</section>"
        f'<section id="datasize"><h2>Data-size study</h2>{datasize_section(_read_json(STUDY_DIR / "datasize.json"))}'
        f'</section><section id="errors"><h2>Misclassified images</h2>{gallery(frame)}</section>'
        "<footer>Accuracy at threshold 0.5 on P(night). Synthetic nights come from the day photos of the same "
        "split; real nights are photos never used in training. Intervals: Wilson 95 %.</footer></main></body></html>\n"
    )
    write_text(REPORT, body)


if __name__ == "__main__":
    from pipeline.common.io import run_stage

    run_stage(main, "daynight_report")
