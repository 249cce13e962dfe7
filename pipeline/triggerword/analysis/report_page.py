"""HTML of the error-analysis report: one static page, inline CSS, no scripts, assets beside it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.common.html import CSS, esc, tile
from pipeline.common.params import Params
from pipeline.triggerword.analysis.error_findings import Finding, Rules, pct, rate_h
from pipeline.triggerword.analysis.error_slices import Overall, SliceTable

SHOW_ROWS = 14


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


def _bar(rate: float, kind: str = "miss") -> str:
    if not np.isfinite(rate):
        return ""
    colour = "#c62828" if kind == "fa" else "#d9822b"
    return (
        f'<span class="bar track"><i style="width:{100 * min(max(rate, 0.0), 1.0):.0f}%;'
        f'background:{colour}"></i></span>'
    )


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
    "positives": ("positives", "int"),
    "misses": ("misses", "int"),
    "miss_rate": ("miss rate", "rate"),
    "examples": ("clips", "int"),
    "hours": ("hours", "hours"),
    "false_accepts": ("false accepts", "int"),
    "fa_per_hour": ("FA / h", "per_hour"),
    "share": ("share of FAs", "share"),
    "fa_per_occurrence": ("FA per occurrence", "ratio"),
    "miss_share": ("share of misses", "rate"),
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
    body = "".join(
        f'<tr class="{_row_class(row, overall)}"><td class="name">{esc(name)}</td>'
        + "".join(_cell(row[c], COLUMNS[c][1]) for c in columns)
        + "</tr>"
        for name, row in frame.iterrows()
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def slice_panel(table: SliceTable, overall: Overall) -> str:
    frame = table.frame
    label = {"false_accept_cause": "cause", "miss_reason": "reason"}.get(table.key, "slice")
    shown = _table(frame.head(SHOW_ROWS), overall, label)
    rest = (
        f"<details><summary>show all {len(frame)} rows</summary>{_table(frame, overall, label)}</details>"
        if len(frame) > SHOW_ROWS
        else ""
    )
    note = f'<p class="muted small">{esc(table.note)}</p>' if table.note else ""
    empty = '<p class="muted small">nothing to show</p>' if frame.empty else ""
    return f'<div class="panel"><h4>{esc(table.title)}</h4>{shown if not frame.empty else empty}{rest}{note}</div>'


def findings_panel(findings: list[Finding], quiet: str) -> str:
    if not findings:
        return f'<div class="panel findings"><p>{esc(quiet)}</p></div>'
    items = "".join(
        f'<li><span class="tag {f.kind}">{"MISSES" if f.kind == "miss" else "FALSE ACCEPTS"}</span>{esc(f.text)}</li>'
        for f in findings
    )
    return f'<div class="panel findings"><ol>{items}</ol></div>'


def _insert_rows(inserts: list[dict]) -> str:
    rows = []
    for r in inserts:
        kind = '<span class="pos">positive</span>' if r["kind"] == "positive" else '<span class="neg">negative</span>'
        outcome = r.get("outcome", "")
        outcome_html = (
            f'<span class="{"hit" if outcome.startswith("hit") else "missed"}">{esc(outcome)}</span>' if outcome else ""
        )
        rows.append(
            f"<tr><td>{kind}</td><td>{esc(r['word'])}</td><td class=name>{esc(r['speaker'])}</td>"
            f'<td class="n">{r["start_s"]:.2f}</td><td class="n">{r["end_s"]:.2f}</td>'
            f'<td class="n">{r["snr_db"]:.1f}</td><td>{outcome_html}</td></tr>'
        )
    head = (
        '<tr><th>kind</th><th>word</th><th>speaker</th><th class="n">start s</th><th class="n">end s</th>'
        '<th class="n">SNR dB</th><th>outcome</th></tr>'
    )
    return f"<table>{head}{''.join(rows)}</table>" if rows else '<p class="muted small">no inserts</p>'


def card_html(card: Card) -> str:
    facts = "".join(f"<span>{esc(k)} <b>{esc(v)}</b></span>" for k, v in card.facts)
    return (
        f'<div class="card {card.kind}"><div class="body"><h4>{esc(card.title)}</h4>'
        f'<div class="facts">{facts}</div><img src="{esc(card.image)}" alt="{esc(card.title)}" loading="lazy">'
        f'<audio controls preload="none" src="{esc(card.audio)}"></audio>{_insert_rows(card.inserts)}</div></div>'
    )


def split_section(view: SplitView, quiet: str, with_findings: bool) -> str:
    o = view.overall
    parts = [
        f'<section id="{esc(view.name)}"><h2>{esc(view.name.capitalize())} split</h2>',
        f'<p class="muted">{o.examples:,} clips ({o.hours:.2f} h), {o.positives:,} positives: '
        f"{o.misses:,} missed ({pct(o.frr)}), {o.false_accepts:,} false accepts "
        f"({rate_h(o.fa_per_hour)}/h) at threshold {o.threshold:.3f}.</p>",
    ]
    if with_findings:
        parts.append(f"<h3>Findings on {esc(view.name)}</h3>" + findings_panel(view.findings, quiet))
    parts.append('<div class="grid">' + "".join(slice_panel(t, o) for t in view.tables) + "</div>")
    for title, cards in (("Worst false rejects", view.misses), ("Worst false accepts", view.false_accepts)):
        note = (
            "lowest smoothed output in the match window after the word"
            if title.endswith("rejects")
            else "highest smoothed output"
        )
        body = (
            '<div class="cards">' + "".join(card_html(c) for c in cards) + "</div>"
            if cards
            else '<p class="muted">none</p>'
        )
        parts.append(
            f'<h3 id="{esc(view.name)}-{title.split()[-1]}">{title} <span class="muted small">'
            f"({note})</span></h3>{body}"
        )
    return "".join(parts) + "</section>"


def headline(evaluate: dict, views: list[SplitView]) -> str:
    tiles = []
    for view in views:
        m = evaluate.get(view.name) or view.overall.as_dict()
        tiles += [
            tile(pct(m["frr"]), f"{view.name}: false-reject rate"),
            tile(rate_h(m["fa_per_hour"]), f"{view.name}: false accepts / hour"),
        ]
    unseen = (evaluate.get("test") or {}).get("unseen_engine_frr")
    if unseen is not None:
        tiles.append(tile(pct(unseen), "test: FRR on an engine never heard"))
    threshold = next((evaluate[s]["threshold"] for s in ("test", "dev") if s in evaluate), views[0].overall.threshold)
    tiles.append(tile(f"{threshold:.3f}", "threshold (chosen on dev)"))
    return '<div class="tiles">' + "".join(tiles) + "</div>"


def mining_section(mine: dict) -> str:
    """The data loop, round by round: how the detector did on dev and what it fired on in the mining pool."""
    rounds = mine.get("rounds") or []
    if not rounds:
        return ""
    rows = "".join(
        f'<tr><td>{r["round"]}</td><td class="n">{r["trained_with_mined_clips"]:,}</td>'
        f'<td class="n">{pct(r["dev_frr"])}</td><td class="n">{rate_h(r["dev_fa_per_hour"])}</td>'
        f'<td class="n">{rate_h(r["pool_false_accepts_per_hour"])}</td><td class="n">{r["new_clips"]:,}</td>'
        f"<td>{_top_sources(r)}</td></tr>"
        for r in rounds
    )
    words = ", ".join(f"{esc(w)} ({n})" for w, n in (mine.get("most_mined_words") or {}).items())
    sources = ", ".join(f"{esc(s)} ({n})" for s, n in (mine.get("most_mined_sources") or {}).items())
    return (
        '<section id="mining"><h2>Hard-negative mining, round by round</h2>'
        "<p>Each round trains the head on the training clips plus every clip mined before it, then runs it over "
        "the mining pool (negatives-only audio of training voices and rooms) and keeps the clips it fired on. "
        "The train stage trains once more on all of them.</p>"
        "<table><tr><th>round</th><th>mined clips trained on</th><th>dev FRR</th><th>dev false accepts/h</th>"
        "<th>pool false accepts/h</th><th>new clips mined</th><th>what they fired on (per pool hour)</th></tr>"
        f"{rows}</table>"
        + (f"<p>What fired most in the pool: {words}.</p>" if words else "")
        + (f"<p>The sources of the mined clips: {sources}.</p>" if sources else "")
        + "</section>"
    )


def _top_sources(round_: dict, count: int = 4) -> str:
    by_source = round_.get("pool_false_accepts_per_hour_by_source") or {}
    return ", ".join(f"{esc(s)} {rate_h(v)}" for s, v in list(by_source.items())[:count])


def page(
    word: str,
    evaluate: dict,
    views: list[SplitView],
    det_image: str | None,
    quiet: dict[str, str],
    definitions: str,
    mine: dict | None = None,
    voices: str = "",
    targets: str = "",
) -> str:
    main, others = views[0], views[1:]
    o = main.overall
    mining_link = '<a href="#mining">mining</a>' if (mine or {}).get("rounds") else ""
    mining_link += '<a href="#voices">unheard voices</a>' if voices else ""
    mining_link += '<a href="#targets">targets</a>' if targets else ""
    det = f'<img src="{esc(det_image)}" alt="DET curve" width="414">' if det_image else ""
    nav = "".join(
        f'<a href="#{esc(v.name)}">{esc(v.name)} slices</a><a href="#{esc(v.name)}-rejects">'
        f'{esc(v.name)} false rejects</a><a href="#{esc(v.name)}-accepts">{esc(v.name)} false accepts</a>'
        for v in views
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>datasynth error analysis: {esc(word)}</title><style>{CSS}</style></head><body>"
        f'<header class="hero"><div class="in"><div><h1>Error analysis · “{esc(word)}”</h1>'
        f'<p class="sub">{esc(main.name)} split: {o.examples:,} clips, {o.positives:,} positives, '
        f"{o.hours:.2f} h of audio</p>{headline(evaluate, views)}</div>{det}</div></header><main>"
        f'<nav><a href="#findings">findings</a>{nav}{mining_link}</nav>'
        f'<section id="findings"><h2>What to collect or synthesise next</h2>'
        f"{findings_panel(main.findings, quiet[main.name])}</section>"
        + targets
        + voices
        + split_section(main, quiet[main.name], with_findings=False)
        + "".join(split_section(v, quiet[v.name], with_findings=True) for v in others)
        + mining_section(mine or {})
        + f"<footer>{definitions}</footer></main></body></html>\n"
    )


def definitions(params: Params, rules: Rules) -> str:
    e = params.evaluate
    return (
        f"Events as in the evaluate stage: the output is smoothed over {e.smoothing_seconds:g} s (at least one "
        f"step); a detection is an upward crossing of the stored threshold, at least {e.refractory_seconds:g} s "
        f"after the previous one; it is a hit when it falls within {e.match_seconds:g} s after a positive ends "
        "(one per positive), else a false accept. A false accept counts against a negative word when it fires "
        "inside the word or "
        "within the match window after it. Rows are highlighted when the slice has at least "
        f"{rules.min_positives} positives (or {rules.min_false_accepts} false accepts), a miss rate at least "
        f"{100 * rules.min_gap:.0f} points and {rules.ratio:g}× above overall (or {rules.fa_ratio:g}× the false "
        f"accepts/h), and a one-sided binomial/Poisson p &lt; {rules.alpha:g}; amber rows are high but not "
        "conclusive. Audio is peak-normalised and at most 16 kHz. Written by "
        "<code>python -m pipeline.triggerword.error_analysis</code>."
    )
