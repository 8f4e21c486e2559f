"""SQLite as Kiosque's small databases use it: one connection per thread (the bot reads from worker
threads), write-ahead log, full sync, autocommit with explicit transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PerThreadConnection:
    """``conn.get()`` is this thread's connection to ``path``, opened on first use. ``pragmas`` run after
    the defaults, so they may override one (``synchronous=NORMAL`` where losing the last writes to a
    power cut costs nothing but recomputing them)."""

    def __init__(self, path: Path, *pragmas: str):
        self.path = Path(path)
        self.pragmas = ("journal_mode=WAL", "synchronous=FULL", *pragmas)
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            for pragma in self.pragmas:
                db.execute(f"PRAGMA {pragma}")
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``with transaction(db) as db:`` = one IMMEDIATE transaction on an autocommit connection, rolled back on
    any exception."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.in_transaction:  # SQLite may have rolled back already (disk full)
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
