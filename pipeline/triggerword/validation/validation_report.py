"""The validate stage's outputs: a self-contained HTML report, DVC metrics and a stderr summary.

The HTML has inline CSS only (GE's Data Docs load assets from a CDN, and the report must open
offline): a headline, a suite overview, key observations, then one table per suite.
"""

from __future__ import annotations

import html

from pipeline.triggerword.validation.expectations import Outcome, SuiteResult

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
h1{margin:.2em 0}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.banner{padding:.8em 1em;border-radius:6px;font-size:1.15em;font-weight:600}
.pass{background:#e6f4ea;color:#1e6b34}.fail{background:#fdecea;color:#a4251c}
table{border-collapse:collapse;width:100%;margin:.6em 0}th,td{border:1px solid #ddd;padding:.35em .5em;
text-align:left;vertical-align:top}th{background:#f5f5f5}tr.bad{background:#fff6f5}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.ok{color:#1e6b34;font-weight:600}.no{color:#a4251c;font-weight:600}.muted{color:#666}
ul.rows{margin:0;padding-left:1.1em}
"""


def _e(value) -> str:
    return html.escape(str(value))


def _counts(results: list[SuiteResult]) -> tuple[int, int]:
    evaluated = sum(len(r.outcomes) for r in results)
    return evaluated, sum(len(r.failed) for r in results)


def failed_ids(results: list[SuiteResult]) -> list[str]:
    return [o.id for r in results for o in r.failed]


def validation_metrics(results: list[SuiteResult], observed: dict) -> dict:
    evaluated, failed = _counts(results)
    return {
        "success": failed == 0,
        "evaluated_expectations": evaluated,
        "failed_expectations": failed,
        "failed": failed_ids(results),
        "suites": {
            r.name: {
                "success": r.success,
                "rows": r.rows,
                "evaluated_expectations": len(r.outcomes),
                "failed_expectations": len(r.failed),
            }
            for r in results
        },
        "observed": {**observed, "expectations": {o.id: o.value for r in results for o in r.outcomes}},
    }


def failure_summary(results: list[SuiteResult], report: str) -> str:
    evaluated, failed = _counts(results)
    lines = [f"validate: {failed} of {evaluated} expectations failed:"]
    for outcome in (o for r in results for o in r.failed):
        example = f"; e.g. {_row_text(outcome.unexpected[0])}" if outcome.unexpected else ""
        lines.append(f"  {outcome.id}: {outcome.rule} -- {outcome.observed}{example}")
    lines.append(f"see {report} for the unexpected examples")
    return "\n".join(lines)


def _row_text(row: dict) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in row.items())


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _signature(outcome: Outcome) -> str:
    """expect_x(column, min_value=..) where kind != 'background' -- the GE call, compactly."""
    kwargs = dict(outcome.kwargs)
    condition = kwargs.pop("row_condition", None)
    kwargs.pop("condition_parser", None)
    args = [str(kwargs.pop(k)) for k in ("column", "column_A", "column_B") if k in kwargs]
    args += [f"{k}={v!r}" for k, v in kwargs.items() if v is not None and v is not False]
    text = f"{outcome.expectation}({', '.join(args)})"
    if isinstance(condition, dict) and "column" in condition:
        text += f" where {condition['column'].get('name')} {condition.get('operator')} {condition.get('parameter')!r}"
    return text


def _outcome_row(outcome: Outcome) -> str:
    status = '<span class="ok">pass</span>' if outcome.success else '<span class="no">FAIL</span>'
    rows = "".join(f"<li class=mono>{_e(_row_text(row))}</li>" for row in outcome.unexpected)
    unexpected = f'<ul class="rows">{rows}</ul>' if rows and not outcome.success else '<span class="muted">-</span>'
    error = f'<div class="no">{_e(outcome.error)}</div>' if outcome.error else ""
    return (
        f'<tr class="{"" if outcome.success else "bad"}"><td>{status}</td>'
        f"<td>{_e(outcome.rule)}<div class=muted><code>{_e(outcome.id)}</code></div></td>"
        f"<td><code>{_e(_signature(outcome))}</code></td><td>{_e(outcome.observed)}{error}</td>"
        f"<td>{unexpected}</td></tr>"
    )


def _suite_section(result: SuiteResult) -> str:
    mark = '<span class="ok">&#10003;</span>' if result.success else '<span class="no">&#10007;</span>'
    body = "".join(_outcome_row(o) for o in result.outcomes)
    return (
        f'<section id="{_e(result.name)}"><h2>{mark} {_e(result.title)} <span class="muted mono">'
        f"{_e(result.name)}</span></h2><p class=muted>{result.rows:,} rows validated; "
        f"{len(result.failed)} of {len(result.outcomes)} expectations failed.</p>"
        "<table><tr><th>Status</th><th>Rule</th><th>Expectation</th><th>Observed</th>"
        f"<th>Unexpected (first few)</th></tr>{body}</table></section>"
    )


def _overview(results: list[SuiteResult]) -> str:
    rows = "".join(
        f'<tr class="{"" if r.success else "bad"}"><td><a href="#{_e(r.name)}">{_e(r.name)}</a></td>'
        f"<td>{_e(r.title)}</td><td>{r.rows:,}</td><td>{len(r.outcomes)}</td><td>{len(r.failed)}</td>"
        f"<td>{'<span class=ok>pass</span>' if r.success else '<span class=no>FAIL</span>'}</td></tr>"
        for r in results
    )
    return (
        "<table><tr><th>Suite</th><th>Checks</th><th>Rows</th><th>Expectations</th><th>Failed</th>"
        f"<th>Status</th></tr>{rows}</table>"
    )


def _observations(observed: dict) -> str:
    def text(value) -> str:
        return ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)

    rows = "".join(f"<tr><th>{_e(k)}</th><td class=mono>{_e(text(v))}</td></tr>" for k, v in observed.items())
    return f"<h2>Key observations</h2><table>{rows}</table>"


def html_report(results: list[SuiteResult], observed: dict, gx_version: str = "") -> str:
    evaluated, failed = _counts(results)
    ok = failed == 0
    headline = (
        f"PASSED: all {evaluated} expectations met" if ok else f"FAILED: {failed} of {evaluated} expectations not met"
    )
    failing = ", ".join(f'<a href="#{_e(r.name)}">{_e(r.name)}</a>' for r in results if not r.success)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>datasynth validation</title>'
        f"<style>{CSS}</style></head><body><h1>datasynth: data validation</h1>"
        f'<div class="banner {"pass" if ok else "fail"}">{_e(headline)}</div>'
        + (f"<p>Failing suites: {failing}</p>" if failing else "")
        + _overview(results)
        + _observations(observed)
        + "".join(_suite_section(r) for r in results)
        + f'<p class="muted">Great Expectations {_e(gx_version)}, ephemeral context; '
        "written by <code>python -m pipeline.triggerword.validate</code>.</p></body></html>\n"
    )
