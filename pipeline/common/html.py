"""What every self-contained HTML report shares: one stylesheet, escaping, headline tiles, inline figures."""

from __future__ import annotations

import base64
import html
import io

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


def audio_uri(pcm16, sample_rate: int) -> str:
    """A WAV data URI of int16 samples, for an inline <audio> player."""
    import numpy as np
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.asarray(pcm16).astype(np.int16), sample_rate, format="WAV", subtype="PCM_16")
    return "data:audio/wav;base64," + base64.b64encode(buffer.getvalue()).decode()


def esc(value) -> str:
    return html.escape(str(value))


def tile(value: str, label: str) -> str:
    return f'<div class="tile"><b>{esc(value)}</b><span>{esc(label)}</span></div>'


def figure_uri(draw) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.2), dpi=100)
    draw(ax)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
