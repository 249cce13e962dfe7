"""The study's HTML report: one static page, inline CSS and SVG, nothing else."""

from __future__ import annotations

from pipeline.common.html import CSS, esc

WIDTH, HEIGHT, PAD = 560, 220, 36
HUMAN, MODEL, CHOSEN = "#1f5fbf", "#d9822b", "#2e9e4f"
TEXT = {
    "resolution": (
        "Day or night: how many pixels do people need?",
        "Human accuracy per display resolution (each image reduced to that many pixels on its longer side, "
        "then enlarged back).",
    ),
    "sample_rate": (
        "Trigger word: what sample rate do people need?",
        "Human accuracy hearing the trigger word per sample rate (each clip band-limited to the rate, then "
        "played at its own), beside the model's dev clip accuracy at the same rates (the audio_rate stages).",
    ),
}


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _unit(name: str, value) -> str:
    if value is None:
        return "–"
    return f"{value / 1000:g} kHz" if name == "sample_rate" else f"{value} px"


def chart(rows: list[dict], recommended: int | None, name: str = "resolution", model: list[dict] | None = None) -> str:
    """Accuracy with its 95 % interval per rung, as an inline SVG (evenly spaced rungs); the model's beside."""
    if not rows:
        return ""
    levels = sorted({row[name] for row in rows} | {row[name] for row in model or []})
    step = (WIDTH - 2 * PAD) / max(1, len(levels))
    y = lambda v: PAD / 2 + (1 - v) * (HEIGHT - PAD * 1.5)  # noqa: E731 - accuracy 0..1 -> pixels
    parts = [
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#eceef1"/>'
        f'<text x="{PAD - 4}" y="{y(t) + 4:.1f}" font-size="11" text-anchor="end" fill="#6b7785">'
        f"{int(t * 100)}%</text>"
        for t in (0, 0.25, 0.5, 0.75, 1)
    ]
    for k, level in enumerate(levels):
        x = PAD + step * (k + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 6}" font-size="12" text-anchor="middle">{_unit(name, level)}</text>'
        )
        for row, colour, dx in _marks(rows, model, name, level, recommended):
            parts.append(
                f'<line x1="{x + dx:.1f}" x2="{x + dx:.1f}" y1="{y(row["ci_low"]):.1f}" y2="{y(row["ci_high"]):.1f}" '
                f'stroke="{colour}" stroke-width="2"/><circle cx="{x + dx:.1f}" cy="{y(row["accuracy"]):.1f}" '
                f'r="5" fill="{colour}"/>'
            )
    return f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" role="img">{"".join(parts)}</svg>'


def _marks(rows, model, name, level, recommended):
    for row in rows:
        if row[name] == level:
            yield row, CHOSEN if level == recommended else HUMAN, -6 if model else 0
    for row in model or []:
        if row[name] == level:
            yield row, MODEL, 6


def report_html(summary: dict) -> str:
    name = summary.get("study", "resolution")
    rows, rec, model = summary[f"per_{name}"], summary[f"recommended_{name}"], summary.get("model")
    by_level = {row[name]: row for row in model or []}
    kappa = summary["agreement"]
    model_head = "<th class=n>model accuracy</th>" if model else ""
    body = "".join(
        f"<tr{' class=warn' if row[name] == rec else ''}><td class=n>{_unit(name, row[name])}</td>"
        f"<td class=n>{row['n']}</td><td class=n>{_pct(row['accuracy'])}</td>"
        f"<td class=n>{_pct(row['ci_low'])} – {_pct(row['ci_high'])}</td>"
        f"<td class=n>{row['mean_seconds']:.2f} s</td>"
        + (f"<td class=n>{_pct(by_level.get(row[name], {}).get('accuracy'))}</td>" if model else "")
        + "</tr>"
        for row in rows
    )
    label = name.replace("_", " ")
    tiles = [
        (f"recommended {label}", _unit(name, rec)),
        (f"accuracy at the full {label}", _pct(summary[f"full_{name}_accuracy"])),
        ("raters", summary["raters"]),
        ("answers", summary["answers"]),
        ("agreement (Fleiss κ)", "–" if kappa is None else f"{kappa:.2f}"),
    ]
    tiles_html = "".join(f"<div class=tile><b>{esc(v)}</b><span>{esc(k)}</span></div>" for k, v in tiles)
    title, subtitle = TEXT.get(name, (f"Human {label} study", ""))
    legend = (
        f'<p class="small"><b style="color:{HUMAN}">●</b> people <b style="color:{MODEL}">●</b> model '
        f'<b style="color:{CHOSEN}">●</b> recommended rung (people)</p>'
        if model
        else ""
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{esc(title)}</title>
<style>{CSS}</style></head><body>
<header class="hero"><div class="in"><div><h1>{esc(title)}</h1>
<p class="sub">{esc(subtitle)}</p><div class="tiles">{tiles_html}</div></div></div></header>
<main><div class="panel">{chart(rows, rec, name, model)}{legend}
<table><tr><th class=n>{esc(label)}</th><th class=n>answers</th><th class=n>accuracy</th>
<th class=n>95 % interval (Wilson)</th><th class=n>mean time</th>{model_head}</tr>{body}</table></div>
<div class="panel small"><b>Rule.</b> {esc(summary["rule"]["text"])}; epsilon = {summary["rule"]["epsilon"]},
at least {summary["rule"]["min_n"]} answers. Agreement: {esc(summary["agreement_measure"])}.</div>
<footer>Written by <code>datasynth label --report</code>.</footer></main></body></html>
"""
