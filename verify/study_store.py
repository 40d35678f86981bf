"""The results store of a study: one SQLite database (Python's ``sqlite3``), one row per finished
group or cell, written in its own transaction the moment it finishes.

Why SQLite: each insert is an atomic commit with a rollback journal (WAL), so a driver killed at
any instant (SIGKILL included) leaves every committed row intact and no partial one; re-running a
study reads the keys present and computes only the rest. Rows are keyed by the full settings and
the project version (:mod:`verify.study_grid`); the record itself is JSON (floats round-trip
exactly through ``repr``), beside plain columns to filter on.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from symbolic.errors import VerifyError

SCHEMA = """
CREATE TABLE IF NOT EXISTS groups (
    key TEXT PRIMARY KEY,
    activation TEXT NOT NULL,
    data TEXT NOT NULL,
    n INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cells (
    key TEXT PRIMARY KEY,
    group_key TEXT NOT NULL,
    activation TEXT NOT NULL,
    data TEXT NOT NULL,
    n INTEGER NOT NULL,
    width INTEGER NOT NULL,
    replicate INTEGER NOT NULL,
    record TEXT NOT NULL
);
"""


class Store:
    """The study's SQLite file; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise VerifyError(f"cannot open the results store {path}: {exc}") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    def keys(self, table: str) -> set[str]:
        """The keys already stored in ``table`` ('groups' or 'cells')."""
        return {k for (k,) in self._db.execute(f"SELECT key FROM {_table(table)}")}

    def put_group(self, key: str, activation: str, data: str, n: int, record: dict) -> None:
        """Store one finished group (one transaction)."""
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO groups VALUES (?, ?, ?, ?, ?)",
                (key, activation, data, n, json.dumps(record)),
            )

    def put_cell(
        self,
        key: str,
        group: str,
        where: tuple[str, str, int, int, int],
        record: dict,
    ) -> None:
        """Store one finished cell; ``where`` = (activation, data, n, width, replicate)."""
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (key, group, *where, json.dumps(record)),
            )

    def group(self, key: str) -> dict[str, Any]:
        (text,) = self._db.execute("SELECT record FROM groups WHERE key = ?", (key,)).fetchone()
        return json.loads(text)

    def records(self, table: str, keys: set[str] | None = None) -> dict[str, dict[str, Any]]:
        """{key: record} of ``table`` (restricted to ``keys`` when given)."""
        rows = self._db.execute(f"SELECT key, record FROM {_table(table)}")
        return {k: json.loads(r) for k, r in rows if keys is None or k in keys}


def _table(name: str) -> str:
    if name not in ("groups", "cells"):
        raise ValueError(f"no table {name!r}")
    return name


__all__ = ["Store"]
