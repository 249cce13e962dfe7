"""The audit's HTML page: intelligibility per source and voice, the worst voices to listen to,
what was dropped and why, and what people rejected. Self-contained (audio inline)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.html import CSS, audio_uri, esc, tile
from synth.triggerword.audit import rates

WORST_PER_SOURCE = 2  # voices to listen to per source
MIN_CLIPS = 3  # a voice needs this many checked clips to be listed among the worst
VOICE_ROWS = 40  # the per-voice table shows the worst ones; the metrics hold them all


def audit_html(
    decided: pd.DataFrame, stats: dict, rejected: pd.DataFrame, catalog: pd.DataFrame, catalog_dir: Path, applied: bool
) -> str:
    dropped = decided[decided["verdict"] == "drop"]
    own = stats["heard_own_rate"]
    tiles = "".join(
        [
            tile(f"{stats['checked']:,}", f"of {stats['clips']:,} speech clips checked"),
            tile("n/a" if own is None else f"{own:.0%}", "heard as their own text"),
            tile(f"{len(dropped):,}", "dropped" if applied else "would be dropped (audit.apply: false)"),
            tile(f"{stats['to_review']:,}", "sent to people"),
            tile(f"{len(rejected):,}", "rejected by people"),
        ]
    )
    body = [
        _panel("Per source", _rate_table(rates(decided, "source"), "source")),
        _panel("The worst voices of each source: listen", _worst(decided, catalog, catalog_dir)),
        _panel("Per voice (worst first)", _voices(decided)),
        _panel("Dropped, and why", _reasons(dropped)),
        _panel("Rejected by people (collect.review_verdicts)", _rejected(rejected)),
    ]
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Speech audit</title>'
        f"<style>{CSS}</style></head><body><header class=hero><div class=in><div><h1>Speech audit</h1>"
        f"<p class=sub>PocketSphinx (US English, a grammar of the catalog's texts) listens to every speech clip "
        f"it can judge: does it hear the clip's own text, another one, or nothing?</p>"
        f"<div class=tiles>{tiles}</div></div></div></header><main>{''.join(body)}"
        f"<footer>Written by <code>python -m pipeline.triggerword.audit</code>. Rules: params.yaml "
        f"<code>audit</code>; the unsure clips are reviewed with <code>datasynth label --study review</code>."
        f"</footer></main></body></html>"
    )


def _panel(title: str, inner: str) -> str:
    return f'<h2>{esc(title)}</h2><div class="panel">{inner}</div>'


def _rate_table(frame: pd.DataFrame, label: str) -> str:
    if frame.empty:
        return '<p class="muted">No clip was checked.</p>'
    rows = []
    for name, row in frame.iterrows():
        bad = ' class="bad"' if row["own_rate"] < 0.5 else ""
        rows.append(
            f"<tr{bad}><td class=name>{esc(name)}</td><td class=n>{int(row['checked'])}</td>"
            f"<td class=n>{row['own_rate']:.0%}<span class='bar track'><i style='width:{60 * row['own_rate']:.0f}px;"
            f"background:#2e9e4f'></i></span></td><td class=n>{row['other_rate']:.0%}</td>"
            f"<td class=n>{row['nothing_rate']:.0%}</td></tr>"
        )
    head = (
        f"<tr><th>{esc(label)}</th><th class=n>checked</th><th class=n>own text</th>"
        "<th class=n>other text</th><th class=n>nothing</th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _worst(decided: pd.DataFrame, catalog: pd.DataFrame, catalog_dir: Path) -> str:
    from pipeline.common.audio_files import read_audio
    from synth.common.catalog import to_pcm16

    table = rates(decided, "speaker")
    table = table[table["checked"] >= MIN_CLIPS]
    source = decided.drop_duplicates("speaker").set_index("speaker")["source"]
    table = table.groupby(table.index.map(source), sort=True, group_keys=False).head(WORST_PER_SOURCE)
    if table.empty:
        return '<p class="muted">No voice has enough checked clips.</p>'
    paths = catalog.set_index("clip_id")["path"]
    cards = []
    for voice, row in table.iterrows():
        clips = decided[(decided["speaker"] == voice) & (decided["outcome"].isin(["other", "nothing"]))]
        clip = (clips if len(clips) else decided[decided["speaker"] == voice]).sort_values("clip_id").iloc[0]
        audio, rate = read_audio(catalog_dir / paths[clip["clip_id"]], clip["clip_id"])
        heard = f"heard '{clip['heard']}'" if clip["heard"] else "heard nothing"
        cards.append(
            f'<div class="card"><div class="body"><h4>{esc(voice)}</h4><div class="facts">'
            f"<span>own text heard in <b>{row['own_rate']:.0%}</b> of {int(row['checked'])}</span>"
            f"<span>says <b>{esc(clip['text'])}</b>, {esc(heard)} ({clip['confidence']:.2f})</span>"
            f"<span>verdict <b>{esc(clip['verdict'])}</b></span></div>"
            f'<audio controls preload="none" src="{audio_uri(to_pcm16(np.asarray(audio)), rate)}"></audio></div></div>'
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _voices(decided: pd.DataFrame) -> str:
    table = rates(decided, "speaker")
    shown = min(VOICE_ROWS, len(table))
    note = f'<p class="small muted">{shown} of {len(table)} voices; all are in reports/metrics/audit.json.</p>'
    return _rate_table(table.head(VOICE_ROWS), "voice") + note


def _reasons(dropped: pd.DataFrame) -> str:
    if dropped.empty:
        return '<p class="muted">Nothing was dropped.</p>'
    counts = dropped.groupby(["source", "reason"]).size().sort_values(ascending=False).head(40)
    rows = "".join(
        f"<tr><td>{esc(source)}</td><td class=name>{esc(reason)}</td><td class=n>{n}</td></tr>"
        for (source, reason), n in counts.items()
    )
    return f"<table><tr><th>source</th><th>reason</th><th class=n>clips</th></tr>{rows}</table>"


def _rejected(rejected: pd.DataFrame) -> str:
    if rejected.empty:
        return '<p class="muted">No clip was rejected on the listening page.</p>'
    rows = "".join(
        f"<tr><td>{esc(r.clip_id)}</td><td>{esc(r.speaker)}</td><td class=name>{esc(r.reason)}</td></tr>"
        for r in rejected.itertuples()
    )
    return f"<table><tr><th>clip</th><th>voice</th><th>reason</th></tr>{rows}</table>"
