"""The speech audit's decisions: what the recogniser heard -> outcome -> keep / drop / review.

Pure (pandas in, pandas out). The rules, in order, for a checked clip:
1. heard its own text: keep.
2. a negative heard as a text containing the positive word, confidently: drop (a label error).
3. its source is one the recogniser rarely hears right (below `min_source_rate`): keep and ask
   people, since the numbers say more about the recogniser than about the clip.
4. its voice is heard right in under `min_voice_rate` of its clips: drop the voice.
5. heard another text or nothing, confidently: drop.
6. otherwise: keep and ask people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

OUTCOMES = ("own", "other", "nothing", "unchecked")


@dataclass(frozen=True)
class AuditRules:
    positive_word: str
    min_confidence: float  # posterior at or above which a wrong result counts as sure
    min_source_rate: float  # share of a source's clips heard right below which the recogniser can't judge it
    min_voice_rate: float  # share of a voice's clips heard right below which the voice is dropped
    review_per_voice: int  # unsure clips per voice sent to people
    review_max: int  # and at most this many in all


def outcome(own_text: str, heard: str, checked: bool) -> str:
    if not checked:
        return "unchecked"
    if heard == own_text:
        return "own"
    return "other" if heard else "nothing"


def rates(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per `by` value: checked clips, share heard as their own text, as another text, as nothing."""
    checked = table[table["outcome"] != "unchecked"]
    counts = pd.crosstab(checked[by], checked["outcome"]).reindex(columns=list(OUTCOMES[:3]), fill_value=0)
    out = pd.DataFrame({"checked": counts.sum(axis=1)})
    for name in OUTCOMES[:3]:
        out[f"{name}_rate"] = counts[name] / out["checked"]
    return out.sort_values("own_rate")


def decide(table: pd.DataFrame, rules: AuditRules) -> pd.DataFrame:
    """`table` has kind, source, speaker, outcome, heard, confidence; adds verdict and reason."""
    out = table.copy()
    verdict = np.full(len(out), "keep", dtype=object)
    reason = np.full(len(out), "", dtype=object)
    own = (out["outcome"] == "own").to_numpy()
    checked = (out["outcome"] != "unchecked").to_numpy()
    sure = (out["confidence"] >= rules.min_confidence).to_numpy()
    source_rate = _share_own(out, "source")
    voice_rate = _share_own(out, "speaker")
    heard_positive = out["heard"].str.contains(rules.positive_word, regex=False).to_numpy()
    undecided = checked & ~own

    def assign(mask: np.ndarray, what: str, why) -> None:
        nonlocal undecided
        mask = mask & undecided
        verdict[mask] = what
        reason[mask] = why[mask] if isinstance(why, np.ndarray) else why
        undecided = undecided & ~mask

    negative = (out["kind"] == "negative").to_numpy()
    assign(negative & heard_positive & sure, "drop", f"negative heard as '{rules.positive_word}'")
    assign(source_rate < rules.min_source_rate, "review", "source beyond the recogniser")
    voice_why = np.array([f"voice heard right in {r:.0%} of its clips" for r in voice_rate], dtype=object)
    assign(voice_rate < rules.min_voice_rate, "drop", voice_why)
    heard_why = np.array([f"heard '{h}'" if h else "heard nothing" for h in out["heard"]], dtype=object)
    assign(sure, "drop", heard_why)
    assign(np.ones(len(out), bool), "review", "unsure")
    out["verdict"], out["reason"] = verdict, reason
    return out


def review_list(decided: pd.DataFrame, rules: AuditRules, seed: int) -> pd.DataFrame:
    """At most `review_per_voice` clips per voice among those marked review and `review_max` in all,
    drawn with `seed`."""
    pending = decided[decided["verdict"] == "review"]
    picks = [
        group.sample(n=min(rules.review_per_voice, len(group)), random_state=seed)
        for _, group in pending.groupby("speaker", sort=True)
    ]
    if not picks:
        return pending.iloc[:0]
    chosen = pd.concat(picks)
    if len(chosen) > rules.review_max:
        chosen = chosen.sample(n=rules.review_max, random_state=seed)
    return chosen.sort_values("clip_id").reset_index(drop=True)


def _share_own(table: pd.DataFrame, by: str) -> np.ndarray:
    """Each row's group share of checked clips heard right (1.0 for groups with nothing checked)."""
    checked = table["outcome"] != "unchecked"
    own = (table["outcome"] == "own") & checked
    share = own.groupby(table[by]).sum() / checked.groupby(table[by]).sum().replace(0, np.nan)
    return table[by].map(share.fillna(1.0)).to_numpy(float)
