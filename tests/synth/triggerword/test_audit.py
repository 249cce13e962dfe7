"""The audit's rules: outcomes, per-group rates, keep / drop / review, and the review list."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from synth.triggerword.audit import AuditRules, decide, outcome, rates, review_list

RULES = AuditRules(
    "activate", min_confidence=0.6, min_source_rate=0.3, min_voice_rate=0.4, review_per_voice=2, review_max=10
)


def clip(clip_id, kind, source, speaker, text, heard, confidence, checked=True):
    return {
        "clip_id": clip_id,
        "kind": kind,
        "source": source,
        "speaker": speaker,
        "text": text,
        "heard": heard,
        "confidence": confidence,
        "outcome": outcome(text, heard, checked),
    }


def table() -> pd.DataFrame:
    good = [clip(f"g{i}", "positive", "tts:good", f"good:{'ab'[i % 2]}", "activate", "activate", 0.9) for i in range(8)]
    return pd.DataFrame(
        good
        + [
            clip("g-other-sure", "positive", "tts:good", "good:a", "activate", "relate", 0.95),
            clip("g-other-unsure", "positive", "tts:good", "good:a", "activate", "relate", 0.3),
            clip("g-nothing", "positive", "tts:good", "good:b", "activate", "", 1.0),
            clip("g-neg-fires", "negative", "tts:good", "good:b", "activist", "activate", 0.8),
            clip("g-neg-ok", "negative", "tts:good", "good:b", "kitchen", "kitchen", 0.9),
            # a voice of a good source the recogniser rarely hears right: dropped whole
            clip("v1", "positive", "tts:good", "good:bad", "activate", "relate", 0.2),
            clip("v2", "positive", "tts:good", "good:bad", "activate", "", 1.0),
            clip("v3", "positive", "tts:good", "good:bad", "activate", "activate", 0.9),
            # a source beyond the recogniser: wrong results go to people, never dropped
            clip("f1", "positive", "tts:formant", "formant:x", "activate", "relate", 0.99),
            clip("f2", "positive", "tts:formant", "formant:x", "activate", "", 1.0),
            clip("f3", "positive", "tts:formant", "formant:x", "activate", "relate", 0.5),
            clip("f4", "positive", "tts:formant", "formant:x", "activate", "activate", 0.7),
            clip("f5", "positive", "tts:formant", "formant:x", "activate", "the", 0.6),
            clip("u1", "negative", "asterisk-ru", "ru", "privet", "", 0.0, checked=False),
        ]
    ).reset_index(drop=True)


def verdicts() -> pd.DataFrame:
    return decide(table(), RULES).set_index("clip_id")


def test_outcome() -> None:
    assert outcome("activate", "activate", True) == "own"
    assert outcome("activate", "relate", True) == "other"
    assert outcome("activate", "", True) == "nothing"
    assert outcome("activate", "activate", False) == "unchecked"


def test_rates_count_checked_clips_only() -> None:
    by_source = rates(table(), "source")
    assert "asterisk-ru" not in by_source.index
    assert by_source.loc["tts:formant", "checked"] == 5
    assert by_source.loc["tts:formant", "own_rate"] == pytest.approx(0.2)
    assert by_source.loc["tts:formant", "nothing_rate"] == pytest.approx(0.2)
    assert list(by_source.index)[0] == "tts:formant"  # worst first


@pytest.mark.parametrize(
    ("clip_id", "verdict", "reason"),
    [
        ("g0", "keep", ""),
        ("g-other-sure", "drop", "heard 'relate'"),
        ("g-other-unsure", "review", "unsure"),
        ("g-nothing", "drop", "heard nothing"),
        ("g-neg-fires", "drop", "negative heard as 'activate'"),
        ("g-neg-ok", "keep", ""),
        ("v1", "drop", "voice heard right in 33% of its clips"),
        ("v3", "keep", ""),
        ("f1", "review", "source beyond the recogniser"),
        ("f2", "review", "source beyond the recogniser"),
        ("f4", "keep", ""),
        ("u1", "keep", ""),
    ],
)
def test_decide(clip_id: str, verdict: str, reason: str) -> None:
    row = verdicts().loc[clip_id]
    assert (row["verdict"], row["reason"]) == (verdict, reason)


def test_a_negative_heard_as_the_positive_is_dropped_even_in_a_source_beyond_the_recogniser() -> None:
    extra = pd.DataFrame([clip("f-neg", "negative", "tts:formant", "formant:x", "captivate", "activate", 0.9)])
    decided = decide(pd.concat([table(), extra], ignore_index=True), RULES).set_index("clip_id")
    assert decided.loc["f-neg", "verdict"] == "drop"


def test_review_list_is_capped_per_voice_and_seeded() -> None:
    decided = decide(table(), RULES)
    first, again = review_list(decided, RULES, seed=3), review_list(decided, RULES, seed=3)
    assert first.equals(again)
    assert set(first["verdict"]) == {"review"}
    assert first.groupby("speaker").size().max() <= RULES.review_per_voice
    assert set(first["speaker"]) == {"formant:x", "good:a"}
    assert review_list(decided[decided["verdict"] != "review"], RULES, 0).empty
    capped = review_list(decided, dataclasses.replace(RULES, review_max=1), seed=3)
    assert len(capped) == 1 and capped["clip_id"].iloc[0] in set(first["clip_id"])
