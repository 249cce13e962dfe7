"""Findings: short sentences computed from the slice tables that say what data to add next.

A slice is flagged only when the numbers support it: enough positives (or false accepts), a clear
gap to the overall rate (absolute and relative) and a one-sided binomial (misses) or Poisson
(false accepts) test against the overall rate below `alpha`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from pipeline.triggerword.analysis.error_slices import BLOCKED, CUT, EARLY, OTHER, Overall, SliceTable


@dataclass(frozen=True)
class Rules:
    min_positives: int = 5  # a slice needs this many positives before its miss rate counts
    min_false_accepts: int = 3  # ... and this many false accepts before its FA rate counts
    min_gap: float = 0.10  # miss rate at least this much above overall (absolute)
    ratio: float = 1.5  # ... and this many times the overall miss rate
    fa_ratio: float = 2.0  # false accepts/h at least this many times overall
    fa_share: float = 0.2  # a cause with at least this share of all false accepts is a concentration
    alpha: float = 0.05  # significance of the one-sided test against the overall rate
    max_findings: int = 8
    merge_above: int = 3  # more flagged slices than this in one table -> one merged sentence


@dataclass(frozen=True)
class Finding:
    key: str  # table key (positive_speaker, false_accept_cause, ...)
    slice: str
    text: str
    p_value: float
    kind: str  # miss | fa

    def as_dict(self) -> dict:
        return {
            "table": self.key,
            "slice": self.slice,
            "kind": self.kind,
            "text": self.text,
            "p_value": float(self.p_value),
        }


def pct(rate: float) -> str:
    value = 100 * rate
    return f"{value:.0f} %" if value >= 9.95 or value == 0 else f"{value:.2g} %"


def rate_h(value: float) -> str:
    return f"{value:.1f}" if value >= 1 or value == 0 else f"{value:.2g}"


def miss_p_value(misses: int, positives: int, overall: float, rules: Rules) -> float | None:
    """p-value when the slice's miss rate is clearly and significantly above overall, else None."""
    if positives < rules.min_positives or misses < 2:
        return None
    rate = misses / positives
    if rate < overall + rules.min_gap or rate < rules.ratio * overall:
        return None
    p = float(stats.binom.sf(misses - 1, positives, min(max(overall, 1e-6), 1.0)))
    return p if p < rules.alpha else None


def fa_p_value(false_accepts: int, hours: float, overall_per_hour: float, rules: Rules) -> float | None:
    if false_accepts < rules.min_false_accepts or hours <= 0:
        return None
    if false_accepts / hours < rules.fa_ratio * overall_per_hour:
        return None
    p = float(stats.poisson.sf(false_accepts - 1, max(overall_per_hour * hours, 1e-9)))
    return p if p < rules.alpha else None


def flag(table: SliceTable, overall: Overall, rules: Rules) -> SliceTable:
    """Adds p_miss / p_fa columns (NaN unless the slice is flagged)."""
    frame = table.frame.copy()
    if "positives" in frame:
        frame["p_miss"] = [
            miss_p_value(int(m), int(n), overall.frr, rules) for m, n in zip(frame["misses"], frame["positives"])
        ]
    if "fa_per_hour" in frame:
        frame["p_fa"] = [
            fa_p_value(int(c), float(h), overall.fa_per_hour, rules)
            for c, h in zip(frame["false_accepts"], frame["hours"])
        ]
    if table.key == "false_accept_cause":
        total = int(frame["false_accepts"].sum())
        frame["p_fa"] = [_cause_p(int(c), total, rules) for c in frame["false_accepts"]]
    if table.key == "miss_reason":
        total = int(frame["misses"].sum())
        frame["p_miss"] = [
            _cause_p(int(c), total, replace(rules, min_false_accepts=rules.min_positives)) if name == BLOCKED else None
            for name, c in frame["misses"].items()
        ]
    for column in ("p_miss", "p_fa"):
        if column in frame:
            frame[column] = frame[column].astype(float)
    return replace(table, frame=frame)


def _cause_p(count: int, total: int, rules: Rules) -> float | None:
    """A concentration: enough false accepts on one cause and a large share of them."""
    if count < rules.min_false_accepts or total == 0 or count / total < rules.fa_share:
        return None
    return 1.0 - count / total  # ranking only: the bigger the share, the stronger


MISS_TEXT = {
    "positive_speaker": "Voice {s} misses {r} of its positives ({m} of {n}; {o} overall): collect or "
    "synthesise more positives in this voice and voices like it.",
    "positive_source": "Positives from {s} are missed {r} of the time ({m} of {n}; {o} overall): add more "
    "positives from {s}.",
    "background_source": "Over '{s}' backgrounds {r} of positives are missed ({m} of {n}; {o} overall): "
    "synthesise more positives over this kind of background.",
    "snr": "Misses rise to {r} at {s} SNR ({m} of {n}; {o} overall): synthesise more examples at this SNR "
    "(synthesise.snr_db).",
    "position": "Positives ending in the {s} of the clip are missed {r} of the time ({m} of {n}; {o} overall): "
    "{action}",
    "inserts": "Clips with {s} inserts miss {r} of their positives ({m} of {n}; {o} overall): synthesise more "
    "clips this crowded.",
    "reverb": "{S} clips miss {r} of their positives ({m} of {n}; {o} overall): {action}",
}
FA_TEXT = {
    "background_source": "Background '{s}' causes {x} false accepts/h ({c} in {h} h; {o}/h overall): add more "
    "audio like it to the backgrounds.",
    "reverb": "{S} clips cause {x} false accepts/h ({c}; {o}/h overall): {action}",
}


def _miss_sentence(key: str, name: str, row: pd.Series, overall: Overall) -> str:
    action = {
        "reverb": "raise synthesise.reverb_probability or widen reverb_rt60_seconds.",
        "dry": "synthesise more dry examples.",
    }.get(name, "check the labels there and synthesise more positives at this position.")
    if CUT in name:
        action = (
            "the output has no time to rise before the clip ends; keep positives away from the clip's "
            "end when synthesising, or do not count them when evaluating."
        )
    return MISS_TEXT[key].format(
        s=name,
        S=name.capitalize() if name != "reverb" else "Reverberant",
        r=pct(row["miss_rate"]),
        m=int(row["misses"]),
        n=int(row["positives"]),
        o=pct(overall.frr),
        action=action,
    )


def _fa_sentence(key: str, name: str, row: pd.Series, overall: Overall) -> str:
    action = (
        "raise synthesise.reverb_probability so the model hears more reverberant negatives."
        if name == "reverb"
        else "synthesise more dry negatives."
    )
    return FA_TEXT[key].format(
        s=name,
        S="Reverberant" if name == "reverb" else name.capitalize(),
        action=action,
        x=rate_h(row["fa_per_hour"]),
        c=int(row["false_accepts"]),
        h=f"{row['hours']:.2g}",
        o=rate_h(overall.fa_per_hour),
    )


def _cause_sentence(name: str, row: pd.Series, total: int, background: str | None) -> str:
    c = int(row["false_accepts"])
    if name == OTHER:
        where = f", especially like '{background}'" if background else ""
        return (
            f"{c} of {total} false accepts happen away from any word: add more background audio{where} "
            "(and more negative words in general)."
        )
    if name == EARLY:
        return (
            f"{c} of {total} false accepts fire inside a positive word or twice for one: check "
            "labels.ones_after_end and evaluate.refractory_seconds."
        )
    return (
        f"False accepts concentrate on '{name}' ({c} of {total}): add more '{name}' negatives "
        "(more voices and SNRs) to training."
    )


def table_findings(table: SliceTable, overall: Overall, rules: Rules, background: str | None = None) -> list[Finding]:
    found = []
    frame = table.frame
    for name, row in frame.iterrows():
        if table.key == "miss_reason" and np.isfinite(row["p_miss"]):
            text = (
                f"{int(row['misses'])} of {overall.misses} misses had the output above the threshold but no new "
                "detection (already above it, or within evaluate.refractory_seconds of an earlier detection): "
                "check how close positives are placed (synthesise.min_gap_seconds) against the refractory "
                "period, and whether the output falls back between words."
            )
            found.append(Finding(table.key, str(name), text, float(row["p_miss"]), "miss"))
        if "p_miss" in frame and np.isfinite(row["p_miss"]) and table.key in MISS_TEXT:
            found.append(
                Finding(
                    table.key,
                    str(name),
                    _miss_sentence(table.key, str(name), row, overall),
                    float(row["p_miss"]),
                    "miss",
                )
            )
        if "p_fa" in frame and np.isfinite(row["p_fa"]):
            if table.key == "false_accept_cause":
                text = _cause_sentence(str(name), row, overall.false_accepts, background)
            elif table.key in FA_TEXT:
                text = _fa_sentence(table.key, str(name), row, overall)
            else:
                continue
            found.append(Finding(table.key, str(name), text, float(row["p_fa"]), "fa"))
    return _merge(found, table, overall, rules)


def _merge(found: list[Finding], table: SliceTable, overall: Overall, rules: Rules) -> list[Finding]:
    """Many flagged slices in one table (e.g. 9 voices) -> one sentence naming the worst few."""
    misses = [f for f in found if f.kind == "miss"]
    if len(misses) <= rules.merge_above:
        return found
    frame = table.frame
    worst = sorted(misses, key=lambda f: -frame.loc[f.slice, "miss_rate"])
    names = ", ".join(f"{f.slice} ({pct(frame.loc[f.slice, 'miss_rate'])})" for f in worst[:5])
    more = f" and {len(worst) - 5} more" if len(worst) > 5 else ""
    what = {"positive_speaker": "voices"}.get(table.key, "slices of " + table.title.lower())
    text = (
        f"{len(worst)} {what} miss far more positives than average ({pct(overall.frr)} overall): {names}{more}: "
        "collect or synthesise more positives for them."
    )
    merged = Finding(table.key, ";".join(f.slice for f in worst), text, min(f.p_value for f in worst), "miss")
    return [merged] + [f for f in found if f.kind != "miss"]


def findings(tables: list[SliceTable], overall: Overall, rules: Rules) -> list[Finding]:
    """All findings of one split, strongest first, at most rules.max_findings."""
    background = _worst_background(tables)
    found = [f for t in tables for f in table_findings(t, overall, rules, background)]
    return sorted(found, key=lambda f: f.p_value)[: rules.max_findings]


def _worst_background(tables: list[SliceTable]) -> str | None:
    table = next((t for t in tables if t.key == "background_source"), None)
    if table is None or "fa_per_hour" not in table.frame or table.frame["false_accepts"].sum() == 0:
        return None
    return str(table.frame["fa_per_hour"].idxmax())


def confirm(primary: list[Finding], other: list[Finding], other_name: str) -> list[Finding]:
    """Marks findings of the primary split that the other split shows too."""
    seen = {(f.key, s, f.kind) for f in other for s in f.slice.split(";")}
    return [
        replace(f, text=f"{f.text} (Also seen on {other_name}.)")
        if any((f.key, s, f.kind) in seen for s in f.slice.split(";"))
        else f
        for f in primary
    ]


def quiet_sentence(overall: Overall, rules: Rules) -> str:
    if overall.positives and overall.frr >= 0.9:
        return (
            f"Almost every positive is missed ({pct(overall.frr)}): no slice of the data stands out because the "
            "model or the threshold fails everywhere; check training (reports/metrics/train.json) first."
        )
    return (
        f"No slice stands out: misses ({pct(overall.frr)}) and false accepts ({rate_h(overall.fa_per_hour)}/h) "
        f"are spread evenly across voices, backgrounds, SNRs and positions at this sample size (a slice "
        f"needs ≥ {rules.min_positives} positives and a clear, significant gap to be named)."
    )
