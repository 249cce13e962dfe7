"""The study's HTML report: one static page, inline CSS and SVG, nothing else."""

from __future__ import annotations

from pipeline.common.html import CSS, esc

WIDTH, HEIGHT, PAD = 560, 220, 36


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def chart(rows: list[dict], recommended: int | None) -> str:
    """Accuracy with its 95 % interval per resolution, as an inline SVG (evenly spaced rungs)."""
    if not rows:
        return ""
    step = (WIDTH - 2 * PAD) / max(1, len(rows))
    y = lambda v: PAD / 2 + (1 - v) * (HEIGHT - PAD * 1.5)  # noqa: E731 - accuracy 0..1 -> pixels
    parts = [
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#eceef1"/>'
        f'<text x="{PAD - 4}" y="{y(t) + 4:.1f}" font-size="11" text-anchor="end" fill="#6b7785">'
        f"{int(t * 100)}%</text>"
        for t in (0, 0.25, 0.5, 0.75, 1)
    ]
    for k, row in enumerate(rows):
        x = PAD + step * (k + 0.5)
        colour = "#2e9e4f" if row["resolution"] == recommended else "#1f5fbf"
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y(row["ci_low"]):.1f}" y2="{y(row["ci_high"]):.1f}" '
            f'stroke="{colour}" stroke-width="2"/><circle cx="{x:.1f}" cy="{y(row["accuracy"]):.1f}" '
            f'r="5" fill="{colour}"/><text x="{x:.1f}" y="{HEIGHT - 6}" font-size="12" '
            f'text-anchor="middle">{row["resolution"]} px</text>'
        )
    return f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" role="img">{"".join(parts)}</svg>'


def report_html(summary: dict) -> str:
    rows, rec = summary["per_resolution"], summary["recommended_resolution"]
    kappa = summary["agreement"]
    body = "".join(
        f"<tr{' class=warn' if row['resolution'] == rec else ''}><td class=n>{row['resolution']} px</td>"
        f"<td class=n>{row['n']}</td><td class=n>{_pct(row['accuracy'])}</td>"
        f"<td class=n>{_pct(row['ci_low'])} – {_pct(row['ci_high'])}</td>"
        f"<td class=n>{row['mean_seconds']:.2f} s</td></tr>"
        for row in rows
    )
    tiles = [
        ("recommended resolution", f"{rec} px" if rec else "–"),
        ("full-resolution accuracy", _pct(summary["full_resolution_accuracy"])),
        ("raters", summary["raters"]),
        ("answers", summary["answers"]),
        ("agreement (Fleiss κ)", "–" if kappa is None else f"{kappa:.2f}"),
    ]
    tiles_html = "".join(f"<div class=tile><b>{esc(v)}</b><span>{esc(k)}</span></div>" for k, v in tiles)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Human resolution study</title>
<style>{CSS}</style></head><body>
<header class="hero"><div class="in"><div><h1>Day or night: how many pixels do people need?</h1>
<p class="sub">Human accuracy per display resolution (each image reduced to that many pixels on its longer
side, then enlarged back).</p><div class="tiles">{tiles_html}</div></div></div></header>
<main><div class="panel">{chart(rows, rec)}
<table><tr><th class=n>resolution</th><th class=n>answers</th><th class=n>accuracy</th>
<th class=n>95 % interval (Wilson)</th><th class=n>mean time</th></tr>{body}</table></div>
<div class="panel small"><b>Rule.</b> {esc(summary["rule"]["text"])}; epsilon = {summary["rule"]["epsilon"]},
at least {summary["rule"]["min_n"]} answers. Agreement: {esc(summary["agreement_measure"])}.</div>
<footer>Written by <code>datasynth label --report</code>.</footer></main></body></html>
"""
