"""reports/data_value/index.html: findings, the arms table and the learning curve, self-contained."""

from __future__ import annotations

from pipeline.common.html import CSS, esc, figure_uri, tile
from pipeline.triggerword.studies.data_value_summary import CALLED, HEADLINE, UNSEEN_VOICE

COMMAND = "dvc repro studies/dvc.yaml:data_value"
COLUMNS = (
    (HEADLINE, "unseen engine FRR"),
    (UNSEEN_VOICE, "unseen voice FRR"),
    ("seen_voice_frr", "seen voice FRR"),
    ("test_frr", "pooled test FRR"),
    ("test_fa_per_hour", "FA/h"),
    (f"at_baseline_{HEADLINE}", "unseen engine FRR at baseline thr."),
    (f"at_baseline_{UNSEEN_VOICE}", "unseen voice FRR at baseline thr."),
)


def _cell(row: dict, key: str) -> str:
    value = row.get(key)
    if value is None:
        return '<td class="n">–</td>'
    spread = row.get(f"{key}_spread")
    shown = f"{value:.2f}" if key.endswith("per_hour") else f"{value * 100:.1f} %"
    if spread:
        shown += f' <span class="muted small">±{spread * (1 if key.endswith("per_hour") else 100):.1f}</span>'
    return f'<td class="n">{shown}</td>'


def _table(rows: list[dict]) -> str:
    head = "".join(f'<th class="n">{esc(label)}</th>' for _, label in COLUMNS)
    body = []
    for row in rows:
        if row.get("seeds", 0) == 0:
            body.append(
                f'<tr id="{esc(row["arm"])}"><td class="name">{esc(row["arm"])}</td><td>{esc(row["kind"])}</td>'
                f'<td colspan="{len(COLUMNS) + 1}" class="muted">skipped: {esc(row.get("skipped", ""))}</td></tr>'
            )
            continue
        verdicts = "<br>".join(f"{g}: {esc(row[f'{m}_verdict'])}" for m, g in CALLED.items() if f"{m}_verdict" in row)
        called = any(not str(row.get(f"{m}_verdict", "within")).startswith(("within", "no ")) for m in CALLED)
        cells, mark = "".join(_cell(row, key) for key, _ in COLUMNS), ' class="warn"' if called else ""
        body.append(
            f'<tr id="{esc(row["arm"])}"{mark}><td class="name">{esc(row["arm"])}</td>'
            f'<td>{esc(row["kind"])}</td>{cells}<td class="name small">{verdicts or "reference"}</td></tr>'
        )
    return (
        f"<table><tr><th>arm</th><th>kind</th>{head}<th>effect (vs baseline; a with arm vs its reference)</th></tr>"
        f"{''.join(body)}</table>"
        '<p class="muted small">Mean over seeds, ± the spread (max − min). An effect is called when the '
        "difference exceeds both arms' seed spread and its 95 % paired bootstrap interval over the test positives "
        "leaves out zero.</p>"
    )


def _curve_figure(curve: dict) -> str:
    panels = []
    for kind, label in (("clips", "training examples"), ("speakers", "distinct positive speakers")):
        part = curve.get(kind)
        if not part or len(part["points"]) < 2:
            continue

        def draw(ax, part=part, label=label):
            sizes = [p["size"] for p in part["points"]]
            for measure, group in CALLED.items():
                ax.plot(sizes, [p[measure] for p in part["points"]], "o-", label=group)
            ax.set_xscale("log")
            ax.set_xlabel(label)
            ax.set_ylabel("test FRR at the dev threshold")
            ax.legend()

        panels.append(f'<div class="panel"><h4>FRR against {esc(label)}</h4><img src="{figure_uri(draw)}"></div>')
    return f'<div class="grid">{"".join(panels)}</div>' if panels else '<p class="muted">No learning curve.</p>'


def data_value_html(summary: dict) -> str:
    base = summary["baseline"]
    tiles = "".join(
        tile(f"{base[m]['mean'] * 100:.1f} % ±{base[m]['spread'] * 100:.1f}", f"baseline {g} FRR")
        for m, g in CALLED.items()
        if base.get(m, {}).get("mean") is not None
    )
    found = "".join(f'<li>{esc(f["text"])} <a href="#{esc(f["arm"])}">row</a></li>' for f in summary["findings"])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>What each data group is worth</title>
<style>{CSS}</style></head><body>
<header class="hero"><div class="in"><div><h1>What each data group is worth</h1>
<p class="sub">Trigger-word head trained without each group, {len(summary["seeds"])} seeds per arm,
{summary["epochs"]} epochs; judged on voices it never heard.</p><div class="tiles">{tiles}</div></div></div></header>
<main><div class="panel findings"><h3>Findings</h3><ol>{found}</ol></div>
<h2>Arms</h2><div class="panel">{_table(summary["rows"])}</div>
<h2>Learning curve</h2>{_curve_figure(summary["learning_curve"])}
<footer>Reproduce: <code>{COMMAND}</code> · one group by hand: <code>datasynth value --group NAME</code></footer>
</main></body></html>"""
