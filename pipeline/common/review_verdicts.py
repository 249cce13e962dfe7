"""People's verdicts on speech clips (the listening page's export), as `collect` reads them.

The file is a small CSV tracked by DVC as a dependency of `collect`:
    clip_id,verdict,answers,reason
    tts-flite-rms-activate-3,reject,3,"2 of 3 raters: says something else"
`verdict` is accept or reject; only rejected clips change the catalog.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.common.io import DataError

COLUMNS = ("clip_id", "verdict", "answers", "reason")
VERDICTS = ("accept", "reject")


def read_verdicts(path: str | Path) -> pd.DataFrame:
    """The verdict table; empty when `path` is '' or no file exists yet (nobody has reviewed). A
    malformed file is a DataError naming it."""
    path = Path(path)
    if not str(path) or str(path) == "." or not path.exists():
        return pd.DataFrame({name: pd.Series(dtype=object) for name in COLUMNS})
    try:
        table = pd.read_csv(path, dtype={"clip_id": str, "verdict": str, "reason": str}, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path}: not a verdict CSV ({exc})") from None
    missing = [name for name in COLUMNS if name not in table.columns]
    if missing:
        raise DataError(f"{path}: missing columns {missing} (expected {', '.join(COLUMNS)})")
    bad = table[~table["verdict"].isin(VERDICTS)]
    if not bad.empty:
        raise DataError(
            f"{path}: clip {bad['clip_id'].iloc[0]!r} has verdict {bad['verdict'].iloc[0]!r}, "
            f"expected one of {VERDICTS}"
        )
    if table["clip_id"].duplicated().any():
        raise DataError(f"{path}: clip {table['clip_id'][table['clip_id'].duplicated()].iloc[0]!r} has two verdicts")
    return table[list(COLUMNS)]


def rejected(table: pd.DataFrame) -> dict[str, str]:
    """clip_id -> why people rejected it."""
    rows = table[table["verdict"] == "reject"]
    return {
        row.clip_id: f"rejected by review: {row.reason}" if row.reason else "rejected by review"
        for row in rows.itertuples()
    }


def write_verdicts(table: pd.DataFrame, path: str | Path) -> None:
    from pipeline.common.io import write_text

    write_text(path, table[list(COLUMNS)].sort_values("clip_id").to_csv(index=False))
