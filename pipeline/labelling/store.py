"""SQLite storage of a study: items served to raters and their answers (WAL, survives restarts)."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS served (
    token TEXT PRIMARY KEY, rater TEXT NOT NULL, item_id TEXT NOT NULL,
    level INTEGER NOT NULL, created_at REAL NOT NULL, served_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, token TEXT NOT NULL UNIQUE REFERENCES served(token),
    rater TEXT NOT NULL, item_id TEXT NOT NULL, level INTEGER NOT NULL,
    label TEXT NOT NULL, answer TEXT NOT NULL, correct INTEGER NOT NULL,
    server_seconds REAL NOT NULL, client_seconds REAL, answered_at REAL NOT NULL,
    UNIQUE (rater, item_id, level));
"""
# Databases of the first, image-only version named the columns after the resolution study.
RENAMED = {"image_id": "item_id", "resolution": "level"}


class StudyError(ValueError):
    """A request the study refuses (unknown item, bad answer, ...): becomes an HTTP 400."""


@dataclass(frozen=True)
class Served:
    token: str
    rater: str
    item_id: str
    level: int  # the ladder rung it is shown at: resolution (px), sample rate (Hz); 0 without a ladder
    served_at: float


class Store:
    """One connection shared by the server's threads, serialised by a lock (answers are tiny)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
        self._upgrade()
        self._db.executescript(SCHEMA)

    def _upgrade(self) -> None:
        for table in ("served", "answers"):
            columns = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for old, new in RENAMED.items():
                if old in columns:
                    self._db.execute(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def seen(self, rater: str) -> set[tuple[str, int]]:
        """(item_id, level) pairs this rater has answered."""
        with self._lock:
            rows = self._db.execute("SELECT item_id, level FROM answers WHERE rater = ?", (rater,))
            return {(item_id, int(level)) for item_id, level in rows}

    def serve(self, rater: str, item_id: str, level: int) -> Served:
        now = time.time()
        item = Served(uuid.uuid4().hex, rater, item_id, level, now)
        with self._lock:
            self._db.execute(
                "INSERT INTO served VALUES (?, ?, ?, ?, ?, ?)", (item.token, rater, item_id, level, now, now)
            )
        return item

    def served(self, token: str) -> Served:
        with self._lock:
            row = self._db.execute(
                "SELECT token, rater, item_id, level, served_at FROM served WHERE token = ?", (token,)
            ).fetchone()
        if row is None:
            raise StudyError(f"unknown item id {token!r}")
        return Served(row[0], row[1], row[2], int(row[3]), float(row[4]))

    def mark_shown(self, token: str) -> None:
        """The image or sound itself was sent: the server's clock starts here, not when the id was drawn."""
        with self._lock:
            self._db.execute(
                "UPDATE served SET served_at = ? WHERE token = ? AND served_at = created_at", (time.time(), token)
            )

    def answer(self, item: Served, label: str, answer: str, client_seconds: float | None) -> bool:
        correct = answer == label
        now = time.time()
        try:
            with self._lock:
                self._db.execute(
                    "INSERT INTO answers (token, rater, item_id, level, label, answer, correct, "
                    "server_seconds, client_seconds, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item.token,
                        item.rater,
                        item.item_id,
                        item.level,
                        label,
                        answer,
                        int(correct),
                        now - item.served_at,
                        client_seconds,
                        now,
                    ),
                )
        except sqlite3.IntegrityError as exc:  # the token, or this rater's (item, level) pair
            raise StudyError(f"item {item.token!r} was already answered") from exc
        return correct

    def answers(self) -> pd.DataFrame:
        with self._lock:
            return pd.read_sql_query("SELECT * FROM answers ORDER BY id", self._db)


def read_answers(path: str | Path) -> pd.DataFrame:
    """All answers of a study database (the report's input); an error if there is no database."""
    if not Path(path).exists():
        raise FileNotFoundError(f"{path}: no such study database (run `datasynth label --study ...` first)")
    store = Store(path)
    try:
        return store.answers()
    finally:
        store.close()
