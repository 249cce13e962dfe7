"""HTML of the error-analysis report: one static page, inline CSS, no scripts, assets beside it."""
from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.error_findings import Finding, pct, rate_h
from pipeline.error_slices import Overall, SliceTable

CSS = """
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d232b}
main{max-width:1240px;margin:0 auto;padding:0 20px 40px}
header.hero{background:#1d2a3a;color:#fff;padding:26px 0 22px;margin-bottom:18px}
header.hero .in{max-width:1240px;margin:0 auto;padding:0 20px;display:flex;gap:28px;flex-wrap:wrap;align-items:center}
header.hero h1{margin:0 0 4px;font-size:26px;font-weight:650}header.hero .sub{color:#b8c4d3;margin:0 0 14px}
header.hero img{background:#fff;border-radius:8px;padding:4px;max-width:100%}
.tiles{display:flex;gap:12px;flex-wrap:wrap}
.tile{background:#26374b;border-radius:10px;padding:10px 16px;min-width:140px}
.tile b{display:block;font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.tile span{color:#b8c4d3;font-size:12.5px}
nav{display:flex;gap:16px;flex-wrap:wrap;margin:6px 0 14px;font-size:14px}
nav a{color:#1f5fbf;text-decoration:none}nav a:hover{text-decoration:underline}
h2{font-size:21px;margin:30px 0 10px}h3{font-size:17px;margin:24px 0 8px}
.panel{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:14px 18px;margin:12px 0}
.findings ol{margin:4px 0;padding-left:22px}.findings li{margin:6px 0}
.tag{display:inline-block;font-size:11px;font-weight:700;border-radius:4px;padding:0 6px;margin-right:6px;
vertical-align:1px;color:#fff}.tag.miss{background:#d9822b}.tag.fa{background:#c62828}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(560px,100%),1fr));gap:14px}
.grid .panel{margin:0;overflow-x:auto}.panel h4{margin:0 0 6px;font-size:15px}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{padding:4px 8px;border-bottom:1px solid #eceef1;text-align:left;white-space:nowrap}
th{font-weight:600;color:#5a6573;font-size:12.5px;border-bottom:2px solid #dfe3e8}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.name{white-space:normal;word-break:break-word}
tr.bad td{background:#fdecea}tr.bad td.name{font-weight:600;color:#a4251c}tr.warn td{background:#fff7e6}
.bar{display:inline-block;height:8px;border-radius:4px;background:#d9822b;vertical-align:middle;margin-left:6px}
.bar.fa{background:#c62828}.bar.track{background:#eceef1;width:60px;position:relative;margin-left:6px}
.bar.track i{position:absolute;left:0;top:0;bottom:0;border-radius:4px;background:#d9822b}
details summary{cursor:pointer;color:#1f5fbf;font-size:13px;margin-top:6px}
.muted{color:#6b7785}.small{font-size:12.5px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(600px,100%),1fr));gap:14px}
.card{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08);overflow:hidden;
border-top:4px solid #d9822b}.card.fa{border-top-color:#c62828}
.card .body{padding:12px 16px;overflow-x:auto}.card h4{margin:0 0 4px;font-size:15.5px}
.card img{width:100%;display:block;border-radius:6px;border:1px solid #eceef1;margin:8px 0}
.card audio{width:100%;height:34px}
.facts{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px;color:#3c4652;margin:4px 0}
.facts b{font-weight:600;color:#1d232b}
.pos{color:#2e9e4f;font-weight:600}.neg{color:#d2487f;font-weight:600}
.hit{color:#2e7d32;font-weight:600}.missed{color:#c62828;font-weight:600}
footer{color:#6b7785;font-size:13px;margin-top:30px}
"""

SHOW_ROWS = 14


def esc(value) -> str:
    return html.escape(str(value))


@dataclass(frozen=True)
class Card:
    """One worst mistake: what happened, its audio and figure, and its recipe."""

    kind: str  # miss | fa
    title: str
    facts: list[tuple[str, str]]
    audio: str
    image: str
    inserts: list[dict]


@dataclass(frozen=True)
class SplitView:
    name: str
    overall: Overall
    findings: list[Finding]
    tables: list[SliceTable]
    misses: list[Card] = field(default_factory=list)
    false_accepts: list[Card] = field(default_factory=list)


def tile(value: str, label: str) -> str:
    return f'<div class="tile"><b>{esc(value)}</b><span>{esc(label)}</span></div>'


def _bar(rate: float, kind: str = "miss") -> str:
    if not np.isfinite(rate):
        return ""
    colour = "#c62828" if kind == "fa" else "#d9822b"
    return (f'<span class="bar track"><i style="width:{100 * min(max(rate, 0.0), 1.0):.0f}%;'
            f'background:{colour}"></i></span>')


def _cell(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return '<td class="n muted">–</td>'
    if kind == "rate":
        return f'<td class="n">{pct(float(value))}{_bar(float(value))}</td>'
    if kind == "share":
        return f'<td class="n">{pct(float(value))}{_bar(float(value), "fa")}</td>'
    if kind == "per_hour":
        return f'<td class="n">{rate_h(float(value))}</td>'
    if kind == "hours":
        return f'<td class="n">{float(value):.2f}</td>'
    if kind == "ratio":
        return f'<td class="n">{float(value):.2f}</td>'
    return f'<td class="n">{int(value):,}</td>'


COLUMNS = {  # frame column -> (header, format)
    "occurrences": ("occurrences", "int"),
    "positives": ("positives", "int"), "misses": ("misses", "int"), "miss_rate": ("miss rate", "rate"),
    "examples": ("clips", "int"), "hours": ("hours", "hours"), "false_accepts": ("false accepts", "int"),
    "fa_per_hour": ("FA / h", "per_hour"), "share": ("share of FAs", "share"),
    "fa_per_occurrence": ("FA per occurrence", "ratio"), "miss_share": ("share of misses", "rate"),
}


def _row_class(row: pd.Series, overall: Overall) -> str:
    flagged = any(np.isfinite(row.get(c, np.nan)) for c in ("p_miss", "p_fa"))
    if flagged:
        return "bad"
    high_miss = row.get("positives", 0) >= 1 and row.get("miss_rate", 0) > max(1.5 * overall.frr, overall.frr + 0.05)
    return "warn" if high_miss else ""


def _table(frame: pd.DataFrame, overall: Overall, label: str) -> str:
    columns = [c for c in COLUMNS if c in frame]
    head = f"<th>{esc(label)}</th>" + "".join(f'<th class="n">{COLUMNS[c][0]}</th>' for c in columns)
    body = "".join(f'<tr class="{_row_class(row, overall)}"><td class="name">{esc(name)}</td>'
                   + "".join(_cell(row[c], COLUMNS[c][1]) for c in columns) + "</tr>"
                   for name, row in frame.iterrows())
    return f"<table><tr>{head}</tr>{body}</table>"


def slice_panel(table: SliceTable, overall: Overall) -> str:
    frame = table.frame
    label = {"false_accept_cause": "cause", "miss_reason": "reason"}.get(table.key, "slice")
    shown = _table(frame.head(SHOW_ROWS), overall, label)
    rest = (f"<details><summary>show all {len(frame)} rows</summary>{_table(frame, overall, label)}</details>"
            if len(frame) > SHOW_ROWS else "")
    note = f'<p class="muted small">{esc(table.note)}</p>' if table.note else ""
    empty = '<p class="muted small">nothing to show</p>' if frame.empty else ""
    return f'<div class="panel"><h4>{esc(table.title)}</h4>{shown if not frame.empty else empty}{rest}{note}</div>'


def findings_panel(findings: list[Finding], quiet: str) -> str:
    if not findings:
        return f'<div class="panel findings"><p>{esc(quiet)}</p></div>'
    items = "".join(f'<li><span class="tag {f.kind}">{"MISSES" if f.kind == "miss" else "FALSE ACCEPTS"}'
                    f"</span>{esc(f.text)}</li>" for f in findings)
    return f'<div class="panel findings"><ol>{items}</ol></div>'


def _insert_rows(inserts: list[dict]) -> str:
    rows = []
    for r in inserts:
        kind = '<span class="pos">positive</span>' if r["kind"] == "positive" else '<span class="neg">negative</span>'
        outcome = r.get("outcome", "")
        outcome_html = (f'<span class="{"hit" if outcome.startswith("hit") else "missed"}">{esc(outcome)}</span>'
                        if outcome else "")
        rows.append(f"<tr><td>{kind}</td><td>{esc(r['word'])}</td><td class=name>{esc(r['speaker'])}</td>"
                    f'<td class="n">{r["start_s"]:.2f}</td><td class="n">{r["end_s"]:.2f}</td>'
                    f'<td class="n">{r["snr_db"]:.1f}</td><td>{outcome_html}</td></tr>')
    head = ('<tr><th>kind</th><th>word</th><th>speaker</th><th class="n">start s</th><th class="n">end s</th>'
            '<th class="n">SNR dB</th><th>outcome</th></tr>')
    return f"<table>{head}{''.join(rows)}</table>" if rows else '<p class="muted small">no inserts</p>'


def card_html(card: Card) -> str:
    facts = "".join(f"<span>{esc(k)} <b>{esc(v)}</b></span>" for k, v in card.facts)
    return (f'<div class="card {card.kind}"><div class="body"><h4>{esc(card.title)}</h4>'
            f'<div class="facts">{facts}</div><img src="{esc(card.image)}" alt="{esc(card.title)}" loading="lazy">'
            f'<audio controls preload="none" src="{esc(card.audio)}"></audio>{_insert_rows(card.inserts)}</div></div>')


def split_section(view: SplitView, quiet: str, with_findings: bool) -> str:
    o = view.overall
    parts = [f'<section id="{esc(view.name)}"><h2>{esc(view.name.capitalize())} split</h2>',
             f'<p class="muted">{o.examples:,} clips ({o.hours:.2f} h), {o.positives:,} positives: '
             f"{o.misses:,} missed ({pct(o.frr)}), {o.false_accepts:,} false accepts "
             f"({rate_h(o.fa_per_hour)}/h) at threshold {o.threshold:.3f}.</p>"]
    if with_findings:
        parts.append(f"<h3>Findings on {esc(view.name)}</h3>" + findings_panel(view.findings, quiet))
    parts.append('<div class="grid">' + "".join(slice_panel(t, o) for t in view.tables) + "</div>")
    for title, cards in (("Worst false rejects", view.misses), ("Worst false accepts", view.false_accepts)):
        note = ("lowest smoothed output in the match window after the word" if title.endswith("rejects")
                else "highest smoothed output")
        body = ('<div class="cards">' + "".join(card_html(c) for c in cards) + "</div>" if cards
                else '<p class="muted">none</p>')
        parts.append(f'<h3 id="{esc(view.name)}-{title.split()[-1]}">{title} <span class="muted small">'
                     f"({note})</span></h3>{body}")
    return "".join(parts) + "</section>"


def headline(evaluate: dict, views: list[SplitView]) -> str:
    tiles = []
    for view in views:
        m = evaluate.get(view.name) or view.overall.as_dict()
        tiles += [tile(pct(m["frr"]), f"{view.name}: false-reject rate"),
                  tile(rate_h(m["fa_per_hour"]), f"{view.name}: false accepts / hour")]
    threshold = next((evaluate[s]["threshold"] for s in ("test", "dev") if s in evaluate), views[0].overall.threshold)
    tiles.append(tile(f"{threshold:.3f}", "threshold (chosen on dev)"))
    return '<div class="tiles">' + "".join(tiles) + "</div>"


def page(word: str, evaluate: dict, views: list[SplitView], det_image: str | None, quiet: dict[str, str],
         definitions: str) -> str:
    main, others = views[0], views[1:]
    o = main.overall
    det = f'<img src="{esc(det_image)}" alt="DET curve" width="414">' if det_image else ""
    nav = "".join(f'<a href="#{esc(v.name)}">{esc(v.name)} slices</a><a href="#{esc(v.name)}-rejects">'
                  f'{esc(v.name)} false rejects</a><a href="#{esc(v.name)}-accepts">{esc(v.name)} false accepts</a>'
                  for v in views)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>datasynth error analysis: {esc(word)}</title><style>{CSS}</style></head><body>"
        f'<header class="hero"><div class="in"><div><h1>Error analysis · “{esc(word)}”</h1>'
        f'<p class="sub">{esc(main.name)} split: {o.examples:,} clips, {o.positives:,} positives, '
        f"{o.hours:.2f} h of audio</p>{headline(evaluate, views)}</div>{det}</div></header><main>"
        f'<nav><a href="#findings">findings</a>{nav}</nav>'
        f'<section id="findings"><h2>What to collect or synthesise next</h2>'
        f"{findings_panel(main.findings, quiet[main.name])}</section>"
        + split_section(main, quiet[main.name], with_findings=False)
        + "".join(split_section(v, quiet[v.name], with_findings=True) for v in others)
        + f"<footer>{definitions}</footer></main></body></html>\n")
