"""The results store of a study: one SQLite database (Python's ``sqlite3``), one row per finished
group or cell, written in its own transaction the moment it finishes, and a claim per group or
cell being computed.

Why SQLite: each insert is an atomic commit with a write-ahead log (WAL), so a driver killed at
any instant (SIGKILL included) leaves every committed row intact and no partial one; re-running a
study reads the keys present and computes only the rest. Rows are keyed by the full settings and
the project version (:mod:`verify.study.grid`); the record itself is JSON (floats round-trip
exactly through ``repr``), beside plain columns to filter on. A result is never replaced: the
first one stored for a key stays (the records are deterministic, so a second would be equal).

**Claims: several runs on one store split the work.** Before computing a group or a cell, a run
claims its key: a row ``(key, owner, host, pid, heartbeat)`` in ``claims``, taken in an
``IMMEDIATE`` transaction (one writer at a time) that first checks the key is neither stored nor
claimed by a live run. A result and the release of its claim are one transaction. While it runs,
a thread renews the heartbeat of the run's claims every :data:`HEARTBEAT_S` seconds. A claim is
*stale*, and taken over by the next run that wants the key, when its owner's process is gone
(same host, pid not running) or its heartbeat is older than :data:`STALE_AFTER_S` (an owner on
another host that died, or one frozen). The claim lives beside the results, in the transaction
that decides it, and says who holds what; a lock file per cell (filelock) would leave files
behind and could not tell another host's dead owner from a live one. The store must be on a
local disk (SQLite's locking is unreliable over NFS).

On a clean exit the run drops its claims, checkpoints the WAL into the database
(``wal_checkpoint(TRUNCATE)``) and closes; SQLite removes ``-wal`` and ``-shm`` when the last
connection closes (another run still open keeps them, as it must).

The file is marked as a study store (SQLite's ``application_id``): a ``study.sqlite`` that is a
symbolic link, not a regular file, or another program's database is refused, never written.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symbolic.errors import VerifyError
from verify.report_folder import UnsafeFolder, open_folder, real_folder

#: SQLite's application_id of a study store (ASCII 'deqv').
APPLICATION_ID = 0x64657176
#: Seconds between two renewals of a run's claims.
HEARTBEAT_S = 5.0
#: A claim whose heartbeat is older than this is stale (12 missed renewals).
STALE_AFTER_S = 60.0

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
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    heartbeat REAL NOT NULL
);
"""
_SIDE_FILES = ("-wal", "-shm", "-journal")
_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Owner:
    """Who holds a claim: a token unique to the run, its host and process id."""

    token: str
    host: str
    pid: int

    @staticmethod
    def here() -> Owner:
        """A fresh owner for a run of this process."""
        return Owner(uuid.uuid4().hex, socket.gethostname(), os.getpid())


@dataclass(frozen=True)
class Claim:
    """A row of ``claims``: ``heartbeat`` in seconds since the epoch."""

    key: str
    owner: str
    host: str
    pid: int
    heartbeat: float


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (signal 0: nothing is sent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    except OverflowError:
        return False
    return True


def is_stale(claim: Claim, now: float, host: str, alive: Callable[[int], bool] = pid_alive) -> bool:
    """A claim may be taken over: its heartbeat is older than STALE_AFTER_S, or its owner ran on
    this ``host`` and its process is gone."""
    if now - claim.heartbeat > STALE_AFTER_S:
        return True
    return claim.host == host and not alive(claim.pid)


def check_store_file(path: Path) -> None:
    """Refuse (UnsafeFolder) a store path that is not ours to write: a symbolic link or
    non-regular file at the store or its side files, or a file that is not a study store."""
    for p in (path, *(path.with_name(path.name + s) for s in _SIDE_FILES)):
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(st.st_mode):
            kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file"
            raise UnsafeFolder(
                f"{p} is {kind}; deq-verify writes its study store only as a regular file: move "
                "it, or choose another --out folder"
            )
    if not path.exists():
        return
    with open(path, "rb", opener=_nofollow) as fh:
        head = fh.read(100)
    if not (head.startswith(_SQLITE_MAGIC) and head[68:72] == APPLICATION_ID.to_bytes(4, "big")):
        raise UnsafeFolder(
            f"{path} is not a deq-verify study store (of this version); it is never written: "
            "move it, or choose another --out folder"
        )


def _nofollow(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)


class Store:
    """The study's SQLite file; use as a context manager. ``owner`` names this run's claims."""

    def __init__(self, path: Path, owner: Owner | None = None) -> None:
        self.path = real_folder(path.parent) / path.name
        self.owner = owner or Owner.here()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open_folder(self.path.parent, lock=True):  # one run creates it at a time
                check_store_file(self.path)
                self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                # the mark first, while a new file is not yet in WAL mode: it lands in the file's
                # own header, where check_store_file reads it
                self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                _configure(self._db)
                self._db.executescript(SCHEMA)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise VerifyError(f"cannot open the results store {path}: {exc}") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop this run's claims, checkpoint the WAL into the database and close."""
        with contextlib.suppress(sqlite3.Error):
            self.release_all()
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        self._db.close()

    def keys(self, table: str) -> set[str]:
        """The keys already stored in ``table`` ('groups' or 'cells')."""
        return {k for (k,) in self._db.execute(f"SELECT key FROM {_table(table)}").fetchall()}

    def claim(self, key: str, table: str, now: float | None = None) -> bool:
        """Claim ``key`` of ``table`` for this run: False when it is stored, or claimed by
        another run whose claim is not stale (see :func:`is_stale`)."""
        now = time.time() if now is None else now
        me = self.owner
        with _immediate(self._db) as db:
            done = db.execute(f"SELECT 1 FROM {_table(table)} WHERE key = ?", (key,)).fetchall()
            if done:
                return False
            row = db.execute(
                "SELECT key, owner, host, pid, heartbeat FROM claims WHERE key = ?", (key,)
            ).fetchall()
            if row and row[0][1] != me.token and not is_stale(Claim(*row[0]), now, me.host):
                return False
            db.execute(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                (key, me.token, me.host, me.pid, now),
            )
        return True

    def claims(self) -> list[Claim]:
        """Every claim in the store."""
        rows = self._db.execute("SELECT key, owner, host, pid, heartbeat FROM claims").fetchall()
        return [Claim(*r) for r in rows]

    def release_all(self) -> None:
        """Drop every claim of this run (results already stored stay)."""
        with _immediate(self._db) as db:
            db.execute("DELETE FROM claims WHERE owner = ?", (self.owner.token,))

    def put_group(self, key: str, activation: str, data: str, n: int, record: dict) -> None:
        """Store one finished group and release its claim (one transaction)."""
        with _immediate(self._db) as db:
            db.execute(
                "INSERT OR IGNORE INTO groups VALUES (?, ?, ?, ?, ?)",
                (key, activation, data, n, json.dumps(record)),
            )
            self._release(db, key)

    def put_cell(
        self,
        key: str,
        group: str,
        where: tuple[str, str, int, int, int],
        record: dict,
    ) -> None:
        """Store one finished cell and release its claim; ``where`` = (activation, data, n,
        width, replicate)."""
        with _immediate(self._db) as db:
            db.execute(
                "INSERT OR IGNORE INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (key, group, *where, json.dumps(record)),
            )
            self._release(db, key)

    def _release(self, db: sqlite3.Connection, key: str) -> None:
        db.execute("DELETE FROM claims WHERE key = ? AND owner = ?", (key, self.owner.token))

    def group(self, key: str) -> dict[str, Any]:
        (row,) = self._db.execute("SELECT record FROM groups WHERE key = ?", (key,)).fetchall()
        return json.loads(row[0])

    def records(self, table: str, keys: set[str] | None = None) -> dict[str, dict[str, Any]]:
        """{key: record} of ``table`` (restricted to ``keys`` when given)."""
        rows = self._db.execute(f"SELECT key, record FROM {_table(table)}").fetchall()
        return {k: json.loads(r) for k, r in rows if keys is None or k in keys}

    @contextlib.contextmanager
    def heartbeat(self, every: float = HEARTBEAT_S) -> Iterator[None]:
        """Renew this run's claims every ``every`` seconds from a thread with its own
        connection, while the block runs."""
        stop = threading.Event()
        thread = threading.Thread(target=self._beat, args=(stop, every), daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def _beat(self, stop: threading.Event, every: float) -> None:
        db = _connect(self.path)
        try:
            while not stop.wait(every):
                with contextlib.suppress(sqlite3.Error), _immediate(db):
                    db.execute(
                        "UPDATE claims SET heartbeat = ? WHERE owner = ?",
                        (time.time(), self.owner.token),
                    )
        finally:
            db.close()


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to an existing store (transactions by hand: see :func:`_immediate`)."""
    return _configure(sqlite3.connect(path, timeout=30, isolation_level=None))


def _configure(db: sqlite3.Connection) -> sqlite3.Connection:
    db.execute("PRAGMA journal_mode=WAL").fetchall()
    db.execute("PRAGMA synchronous=FULL")
    return db


@contextlib.contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (BEGIN IMMEDIATE): committed, or rolled back on any
    exception."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _table(name: str) -> str:
    if name not in ("groups", "cells"):
        raise ValueError(f"no table {name!r}")
    return name


__all__ = [
    "APPLICATION_ID",
    "HEARTBEAT_S",
    "STALE_AFTER_S",
    "Claim",
    "Owner",
    "Store",
    "check_store_file",
    "is_stale",
    "pid_alive",
]
