"""SQLite as Kiosque's small databases use it: one connection per thread (the bot reads from worker
threads), write-ahead log, full sync, autocommit with explicit transactions."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class PerThreadConnection:
    """``conn.get()`` is this thread's connection to ``path``, opened on first use."""

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
