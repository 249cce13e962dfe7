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
    token TEXT PRIMARY KEY, rater TEXT NOT NULL, image_id TEXT NOT NULL,
    resolution INTEGER NOT NULL, created_at REAL NOT NULL, served_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, token TEXT NOT NULL UNIQUE REFERENCES served(token),
    rater TEXT NOT NULL, image_id TEXT NOT NULL, resolution INTEGER NOT NULL,
    label TEXT NOT NULL, answer TEXT NOT NULL, correct INTEGER NOT NULL,
    server_seconds REAL NOT NULL, client_seconds REAL, answered_at REAL NOT NULL,
    UNIQUE (rater, image_id, resolution));
"""


class StudyError(ValueError):
    """A request the study refuses (unknown item, bad answer, ...): becomes an HTTP 400."""


@dataclass(frozen=True)
class Served:
    token: str
    rater: str
    image_id: str
    resolution: int
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
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def seen(self, rater: str) -> set[tuple[str, int]]:
        """(image_id, resolution) pairs this rater has answered."""
        with self._lock:
            rows = self._db.execute("SELECT image_id, resolution FROM answers WHERE rater = ?", (rater,))
            return {(image_id, int(res)) for image_id, res in rows}

    def serve(self, rater: str, image_id: str, resolution: int) -> Served:
        now = time.time()
        item = Served(uuid.uuid4().hex, rater, image_id, resolution, now)
        with self._lock:
            self._db.execute(
                "INSERT INTO served VALUES (?, ?, ?, ?, ?, ?)", (item.token, rater, image_id, resolution, now, now)
            )
        return item

    def served(self, token: str) -> Served:
        with self._lock:
            row = self._db.execute(
                "SELECT token, rater, image_id, resolution, served_at FROM served WHERE token = ?", (token,)
            ).fetchone()
        if row is None:
            raise StudyError(f"unknown item id {token!r}")
        return Served(row[0], row[1], row[2], int(row[3]), float(row[4]))

    def mark_shown(self, token: str) -> None:
        """The image itself was sent: the server's clock starts here, not when the id was drawn."""
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
                    "INSERT INTO answers (token, rater, image_id, resolution, label, answer, correct, "
                    "server_seconds, client_seconds, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item.token,
                        item.rater,
                        item.image_id,
                        item.resolution,
                        label,
                        answer,
                        int(correct),
                        now - item.served_at,
                        client_seconds,
                        now,
                    ),
                )
        except sqlite3.IntegrityError as exc:  # the token, or this rater's (image, resolution) pair
            raise StudyError(f"item {item.token!r} was already answered") from exc
        return correct

    def answers(self) -> pd.DataFrame:
        with self._lock:
            return pd.read_sql_query("SELECT * FROM answers ORDER BY id", self._db)


def read_answers(path: str | Path) -> pd.DataFrame:
    """All answers of a study database (the report's input); an error if there is no database."""
    if not Path(path).exists():
        raise FileNotFoundError(f"{path}: no such study database (run `datasynth label --study resolution`)")
    store = Store(path)
    try:
        return store.answers()
    finally:
        store.close()
