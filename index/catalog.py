"""Kiosque's own record of what is indexed (Chroma has no docstore): articles with their content
hash, chunk spans and analysed terms, the committed generation, and the ingest journal.

The committed rows are the truth: a chunk is visible to questions only once its row is here.
Chroma may briefly hold more (chunks of an ingest in progress, listed in ``pending``) or chunks
that were committed away (``garbage``, deleted right after the commit that dropped them).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.articles import Article

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, text_hash TEXT NOT NULL, title TEXT NOT NULL,
    text TEXT NOT NULL, date TEXT, date_source TEXT NOT NULL DEFAULT '', outlet TEXT, url TEXT,
    source TEXT NOT NULL DEFAULT '', title_source TEXT NOT NULL DEFAULT 'line', language TEXT,
    generation INTEGER NOT NULL, ingested_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_text_hash ON articles(text_hash);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, article_id TEXT NOT NULL, position INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, terms BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS pending (chunk_id TEXT PRIMARY KEY, generation INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS garbage (chunk_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS signatures (article_id TEXT PRIMARY KEY, sig BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS title_terms (article_id TEXT PRIMARY KEY, terms BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS copies (article_id TEXT PRIMARY KEY, canonical TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ingests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_at REAL NOT NULL, finished_at REAL,
    generation INTEGER, report TEXT
);
"""
_ARTICLE_COLUMNS = (
    "id, content_hash, text_hash, title, text, date, date_source, outlet, url, source, title_source, language"
)


@dataclass(frozen=True)
class ChunkRow:
    id: str
    article_id: str
    position: int
    start: int
    end: int


class Catalog:
    """One SQLite file; a connection per thread (the bot answers from worker threads)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        db = self.db
        with db:
            db.executescript(_SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            db.execute("INSERT OR IGNORE INTO meta VALUES ('generation', '0')")

    @property
    def db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=OFF")
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str, db: sqlite3.Connection | None = None) -> None:
        (db or self.db).execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation", "0"))

    # -- articles -----------------------------------------------------------------------------
    def article_hashes(self) -> dict[str, tuple[str, str]]:
        """id -> (content_hash, text_hash) of every committed article."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute("SELECT id, content_hash, text_hash FROM articles")}

    def text_hashes(self) -> list[tuple[str, str, str | None]]:
        """(id, text hash, outlet) of every committed article."""
        return list(self.db.execute("SELECT id, text_hash, outlet FROM articles"))

    def get_article(self, article_id: str) -> Article | None:
        row = self.db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,)).fetchone()
        return _article(row) if row else None

    def get_articles(self, ids: Iterable[str]) -> dict[str, Article]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, Article] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            for row in self.db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id IN ({marks})", part):
                out[row[0]] = _article(row)
        return out

    def iter_articles(self) -> Iterator[Article]:
        for row in self.db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles ORDER BY id"):
            yield _article(row)

    def article_meta(self) -> list[tuple[str, str | None, str | None]]:
        """(id, date, outlet) of every article: enough for filters without loading texts."""
        return list(self.db.execute("SELECT id, date, outlet FROM articles"))

    def counts(self) -> dict[str, int]:
        return {
            "articles": self.db.execute("SELECT count(*) FROM articles").fetchone()[0],
            "chunks": self.db.execute("SELECT count(*) FROM chunks").fetchone()[0],
            "pending": self.db.execute("SELECT count(*) FROM pending").fetchone()[0],
            "garbage": self.db.execute("SELECT count(*) FROM garbage").fetchone()[0],
        }

    # -- wire copies ----------------------------------------------------------------------------
    def signatures(self) -> dict[str, np.ndarray]:
        return {aid: np.frombuffer(blob, dtype=np.uint64) for aid, blob in self.db.execute(
            "SELECT article_id, sig FROM signatures")}

    def copy_groups(self) -> dict[str, str]:
        """article id -> canonical id, for articles that have wire copies."""
        return dict(self.db.execute("SELECT article_id, canonical FROM copies"))

    def article_texts(self, ids: Iterable[str]) -> dict[str, str]:
        return self._article_column("text", ids)

    def titles(self, ids: Iterable[str]) -> dict[str, str]:
        return self._article_column("title", ids)

    def _article_column(self, column: str, ids: Iterable[str]) -> dict[str, str]:
        ids = list(ids)
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            out.update(self.db.execute(f"SELECT id, {column} FROM articles WHERE id IN ({marks})", part))
        return out

    def title_terms(self) -> dict[str, np.ndarray]:
        """article id -> global term ids of its title (for the article-level keyword list); articles
        committed before titles were analysed have no row until the next ingest adds it."""
        return {aid: np.frombuffer(blob, dtype=np.uint32) for aid, blob in self.db.execute(
            "SELECT article_id, terms FROM title_terms")}

    # -- chunks and terms ---------------------------------------------------------------------
    def chunk_rows(self) -> list[ChunkRow]:
        return [ChunkRow(*r) for r in self.db.execute(
            'SELECT id, article_id, position, start, "end" FROM chunks ORDER BY article_id, position')]

    def chunk_ids_of(self, article_ids: Iterable[str]) -> dict[str, list[str]]:
        ids = list(article_ids)
        out: dict[str, list[str]] = {a: [] for a in ids}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            for cid, aid in self.db.execute(
                f"SELECT id, article_id FROM chunks WHERE article_id IN ({marks}) ORDER BY position", part
            ):
                out[aid].append(cid)
        return out

    def chunk_terms(self) -> Iterator[tuple[str, str, np.ndarray]]:
        """(chunk id, article id, global term ids) of every committed chunk, in a stable order."""
        for cid, aid, blob in self.db.execute("SELECT id, article_id, terms FROM chunks ORDER BY article_id, position"):
            yield cid, aid, np.frombuffer(blob, dtype=np.uint32)

    def term_ids(self, terms: set[str]) -> dict[str, int]:
        """Global ids for ``terms``, assigning new ones (committed at once: ids are never reused)."""
        known: dict[str, int] = {}
        items = list(terms)
        for i in range(0, len(items), 500):
            part = items[i : i + 500]
            marks = ",".join("?" * len(part))
            known.update(self.db.execute(f"SELECT term, id FROM terms WHERE term IN ({marks})", part))
        new = [t for t in items if t not in known]
        if new:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                (next_id,) = db.execute("SELECT coalesce(max(id), -1) + 1 FROM terms").fetchone()
                rows = [(t, next_id + i) for i, t in enumerate(new)]
                db.executemany("INSERT INTO terms VALUES (?, ?)", rows)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            known.update(rows)
        return known

    def vocabulary(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT term, id FROM terms"))

    # -- the ingest journal -------------------------------------------------------------------
    def add_pending(self, chunk_ids: Iterable[str], generation: int) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR IGNORE INTO pending VALUES (?, ?)", [(c, generation) for c in chunk_ids])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def has_pending(self) -> bool:
        """An ingest is writing (or crashed while writing) chunks that are not committed."""
        return self.db.execute("SELECT 1 FROM pending LIMIT 1").fetchone() is not None

    def pending_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT chunk_id FROM pending")}

    def garbage_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT chunk_id FROM garbage")]

    def forget_garbage(self, chunk_ids: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM garbage WHERE chunk_id = ?", [(c,) for c in chunk_ids])

    def forget_pending(self, chunk_ids: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM pending WHERE chunk_id = ?", [(c,) for c in chunk_ids])

    def start_ingest(self) -> int:
        cur = self.db.execute("INSERT INTO ingests (started_at) VALUES (?)", (time.time(),))
        return int(cur.lastrowid)

    def last_ingest(self) -> dict | None:
        row = self.db.execute(
            "SELECT id, started_at, finished_at, generation, report FROM ingests "
            "WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if not row:
            return None
        return {"id": row[0], "started_at": row[1], "finished_at": row[2], "generation": row[3],
                "report": json.loads(row[4]) if row[4] else None}

    def commit(
        self,
        *,
        generation: int,
        ingest_id: int,
        upsert: list[Article],
        new_chunks: dict[str, list[tuple[str, int, int, int, bytes]]],
        delete_articles: list[str],
        keyword_dir: str | None,
        report: dict,
        extra_meta: dict[str, str] | None = None,
        signatures: dict[str, np.ndarray] | None = None,
        copies: dict[str, str] | None = None,
        title_terms: dict[str, bytes] | None = None,
    ) -> None:
        """Make an ingest visible, all or nothing: article rows, their chunks, the generation and
        the keyword index pointer change in one SQLite transaction. Chunks that stop being
        committed go to ``garbage`` in the same transaction."""
        db = self.db
        now = time.time()
        db.execute("BEGIN IMMEDIATE")
        try:
            touched = [a.id for a in upsert] + list(delete_articles)
            old = self.chunk_ids_of(touched)
            keep = {cid for rows in new_chunks.values() for cid, *_ in rows}
            garbage = [cid for ids in old.values() for cid in ids if cid not in keep]
            for aid in touched:
                db.execute("DELETE FROM chunks WHERE article_id = ?", (aid,))
            db.executemany("DELETE FROM articles WHERE id = ?", [(a,) for a in delete_articles])
            db.executemany(
                f"INSERT OR REPLACE INTO articles ({_ARTICLE_COLUMNS}, generation, ingested_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(a.id, a.content_hash, a.text_hash, a.title, a.text, a.date, a.date_source, a.outlet, a.url,
                  a.source, a.title_source, a.language, generation, now) for a in upsert],
            )
            db.executemany(
                'INSERT INTO chunks (id, article_id, position, start, "end", terms) VALUES (?,?,?,?,?,?)',
                [(cid, aid, pos, s, e, terms) for aid, rows in new_chunks.items() for cid, pos, s, e, terms in rows],
            )
            db.executemany("INSERT OR IGNORE INTO garbage VALUES (?)", [(c,) for c in garbage])
            db.executemany("DELETE FROM signatures WHERE article_id = ?", [(a,) for a in delete_articles])
            db.executemany("INSERT OR REPLACE INTO signatures VALUES (?, ?)",
                           [(a, np.asarray(sig, dtype=np.uint64).tobytes()) for a, sig in (signatures or {}).items()])
            db.executemany("DELETE FROM title_terms WHERE article_id = ?", [(a,) for a in delete_articles])
            db.executemany("INSERT OR REPLACE INTO title_terms VALUES (?, ?)", list((title_terms or {}).items()))
            if copies is not None:
                db.execute("DELETE FROM copies")
                db.executemany("INSERT INTO copies VALUES (?, ?)", list(copies.items()))
            db.executemany("DELETE FROM pending WHERE chunk_id = ?", [(c,) for c in keep])
            self.set_meta("generation", str(generation), db)
            if keyword_dir is not None:
                self.set_meta("keyword_dir", keyword_dir, db)
            for key, value in (extra_meta or {}).items():
                self.set_meta(key, value, db)
            db.execute(
                "UPDATE ingests SET finished_at = ?, generation = ?, report = ? WHERE id = ?",
                (time.time(), generation, json.dumps(report, ensure_ascii=False), ingest_id),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _article(row) -> Article:
    return Article(
        id=row[0], title=row[3], text=row[4], date=row[5], date_source=row[6], outlet=row[7], url=row[8],
        source=row[9], title_source=row[10], language=row[11],
    )
