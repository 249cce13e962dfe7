"""Review answers -> one verdict per clip, the file `collect` honours (collect.review_verdicts)."""

from __future__ import annotations

import pandas as pd

from pipeline.common.review_verdicts import COLUMNS

VERDICT = {"says": "accept", "other": "reject"}


def review_verdicts(answers: pd.DataFrame, min_raters: int = 1) -> pd.DataFrame:
    """Per clip with >= `min_raters` raters: the strict majority answer decides. "says" accepts,
    "other" rejects; a tie or a majority of "can't tell" gives no verdict (the clip stays)."""
    rows = []
    for clip_id, group in answers.groupby("item_id", sort=True):
        counts = group["answer"].value_counts()
        n, top = int(counts.sum()), counts.index[0]
        if n < min_raters or (len(counts) > 1 and counts.iloc[1] == counts.iloc[0]) or top not in VERDICT:
            continue
        said = "says something else" if top == "other" else "says it"
        rows.append(
            {"clip_id": clip_id, "verdict": VERDICT[top], "answers": n, "reason": f"{counts[top]} of {n}: {said}"}
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))
