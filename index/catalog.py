"""Kiosque's own record of what is indexed (Chroma has no docstore): articles with their content
hash, chunk spans and analysed terms, the committed generation, and the ingest journal.

The committed rows are the truth: a chunk is visible to questions only once its row is here.
Chroma may briefly hold more (chunks of an ingest in progress, listed in ``pending``) or chunks
that were committed away (``garbage``, deleted right after the commit that dropped them).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from index.articles import Article
from index.errors import CatalogError
from index.records import JournalCounts
from index.sqlite import PerThreadConnection

_FIRST_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('generation', '0');
CREATE TABLE articles (
    id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, text_hash TEXT NOT NULL, title TEXT NOT NULL,
    text TEXT NOT NULL, date TEXT, date_source TEXT NOT NULL DEFAULT '', outlet TEXT, url TEXT,
    source TEXT NOT NULL DEFAULT '', title_source TEXT NOT NULL DEFAULT 'line', language TEXT,
    generation INTEGER NOT NULL, ingested_at REAL NOT NULL
);
CREATE INDEX articles_text_hash ON articles(text_hash);
CREATE TABLE chunks (
    id TEXT PRIMARY KEY, article_id TEXT NOT NULL, position INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, terms BLOB NOT NULL
);
CREATE INDEX chunks_article ON chunks(article_id);
CREATE TABLE terms (term TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE);
CREATE TABLE pending (chunk_id TEXT PRIMARY KEY, generation INTEGER NOT NULL);
CREATE TABLE garbage (chunk_id TEXT PRIMARY KEY);
CREATE TABLE signatures (article_id TEXT PRIMARY KEY, sig BLOB NOT NULL);
CREATE TABLE copies (article_id TEXT PRIMARY KEY, canonical TEXT NOT NULL);
CREATE TABLE ingests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started_at REAL NOT NULL, finished_at REAL,
    generation INTEGER, report TEXT
)
"""


@dataclass(frozen=True)
class Migration:
    """One step of the schema: SQL statements (separated by ``;``), then an optional function for
    what SQL cannot say (e.g. filling a new column from the old ones)."""

    why: str
    sql: str = ""
    run: Callable[[sqlite3.Connection], None] | None = None

    def apply(self, db: sqlite3.Connection) -> None:
        for statement in self.sql.split(";"):
            if statement.strip():
                db.execute(statement)
        if self.run is not None:
            self.run(db)


#: The catalog's schema as ordered steps: step i takes a catalog from version i to i + 1 (version 0 is
#: an empty file, so a new catalog takes the same path as an old one). To change the schema, append
#: a step (never edit one that has shipped): catalogs of earlier versions are migrated when opened,
#: in one transaction, and a catalog of a later version is refused untouched.
MIGRATIONS: tuple[Migration, ...] = (
    Migration("articles, chunks, terms, the ingest journal, wire copies", _FIRST_SCHEMA),
    # (IF NOT EXISTS: stores indexed while the list was being developed have the table at version 1)
    Migration("the terms of each article's title, for the article-level keyword list (an existing store's "
              "are filled by its next ingest, without embedding)",
              "CREATE TABLE IF NOT EXISTS title_terms (article_id TEXT PRIMARY KEY, terms BLOB NOT NULL)"),
)
SCHEMA_VERSION = len(MIGRATIONS)
#: SQLite failures of the disk rather than of the schema: reported as storage problems, as they are
_STORAGE_ERRORS = {"SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_BUSY", "SQLITE_LOCKED",
                   "SQLITE_PERM"}
_ARTICLE_COLUMNS = (
    "id, content_hash, text_hash, title, text, date, date_source, outlet, url, source, title_source, language"
)


@dataclass
class IngestTally:
    """The numbers of an ingest, shared by its full report (index/ingest.py) and the journal's record."""

    articles_added: int = 0
    articles_updated: int = 0
    articles_removed: int = 0
    articles_unchanged: int = 0
    #: chunks that got a vector this time (0 on a no-op re-ingest)
    chunks_embedded: int = 0
    #: of those, how many the model computed (the rest came from the embedding cache)
    embeddings_computed: int = 0
    chunks_reused: int = 0
    chunks_removed: int = 0
    #: articles that are wire copies of another indexed article (listed under one source)
    wire_copies: int = 0
    generation: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0


@dataclass
class IngestCounts(IngestTally, JournalCounts):
    """What an ingest did, as the journal keeps it: the files skipped, duplicated or odd are counted."""

    duplicates: int = 0
    problems: int = 0
    warnings: int = 0


@dataclass(frozen=True)
class LastIngest:
    id: int
    started_at: float
    finished_at: float
    generation: int
    report: IngestCounts


@dataclass(frozen=True)
class ChunkRow:
    id: str
    article_id: str
    position: int
    start: int
    end: int


class Catalog:
    """One SQLite file; a connection per thread (the bot answers from worker threads)."""

    #: the schema this code reads and writes (a subclass may extend it)
    migrations: tuple[Migration, ...] = MIGRATIONS

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = PerThreadConnection(self.path, "foreign_keys=OFF")
        try:
            self._open_schema()
        except BaseException:
            self.close()
            raise

    def _open_schema(self) -> None:
        """Check the file's schema version before writing anything: the same is used as is, an older
        one is migrated (all steps in one transaction, so a failure leaves it as it was), a newer one
        or something that is not a Kiosque catalog is refused, untouched."""
        wanted = len(self.migrations)
        probe = sqlite3.connect(self.path, timeout=60, isolation_level=None)  # no pragma: it would write
        try:
            found = self._schema_version(probe)
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorname", None) not in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
                raise  # read-only, full, locked...: the store reports it as a storage problem
            raise CatalogError(f"{self.path} is not a Kiosque catalog ({exc}): point --store (KIOSQUE_STORE_DIR) "
                               "at a Kiosque store or at a new directory. The file was not changed.") from None
        finally:
            probe.close()
        if found > wanted:
            raise CatalogError(
                f"the catalog at {self.path} was written by a newer Kiosque (schema version {found}; this one reads "
                f"up to {wanted}): upgrade Kiosque, or index into a new store with --store DIR. The store was not "
                "changed.")
        if found < wanted:
            self._migrate(wanted)

    def _migrate(self, wanted: int) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        step = None
        try:
            found = self._schema_version(db)  # another process may have migrated it meanwhile
            for step in self.migrations[found:wanted]:
                step.apply(db)
            self.set_meta("schema_version", str(wanted), db)
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:  # SQLite may have rolled back already (disk full)
                db.execute("ROLLBACK")
            storage = isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorname", None) in _STORAGE_ERRORS
            if storage or isinstance(exc, CatalogError) or not isinstance(exc, Exception):
                raise
            raise CatalogError(f"could not bring the catalog at {self.path} to schema version {wanted} "
                               f"({step.why if step else 'reading its version'}: {type(exc).__name__}: {exc}); "
                               "it was left as it was.") from exc

    def _schema_version(self, db: sqlite3.Connection) -> int:
        """0 for an empty file; CatalogError for a database that is not a Kiosque catalog."""
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return 0
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() if "meta" in tables else None
        if row is None or not str(row[0]).isdigit():
            raise CatalogError(f"{self.path} is not a Kiosque catalog (a SQLite database with no Kiosque schema "
                               "version): point --store (KIOSQUE_STORE_DIR) at a Kiosque store or at a new directory. "
                               "The file was not changed.")
        return int(row[0])

    @property
    def db(self) -> sqlite3.Connection:
        return self._connection.get()

    def close(self) -> None:
        self._connection.close()

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

    def get_articles(self, ids: Iterable[str]) -> dict[str, Article]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, Article] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            for row in self.db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id IN ({marks})", part):
                out[row[0]] = _article(row)
        return out

    def web_article_ids(self) -> set[str]:
        """Articles fetched from the web (feeds, `kiosque ingest URL`): their source is their URL."""
        return {r[0] for r in self.db.execute(
            "SELECT id FROM articles WHERE source LIKE 'http://%' OR source LIKE 'https://%'")}

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

    def last_ingest(self) -> LastIngest | None:
        row = self.db.execute(
            "SELECT id, started_at, finished_at, generation, report FROM ingests "
            "WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if not row:
            return None
        report = IngestCounts.from_json(json.loads(row[4])) if row[4] else IngestCounts()
        return LastIngest(id=row[0], started_at=row[1], finished_at=row[2], generation=row[3], report=report)

    def commit(
        self,
        *,
        generation: int,
        ingest_id: int,
        upsert: list[Article],
        new_chunks: dict[str, list[tuple[str, int, int, int, bytes]]],
        delete_articles: list[str],
        keyword_dir: str | None,
        report: IngestCounts,
        extra_meta: dict[str, str] | None = None,
        signatures: dict[str, np.ndarray] | None = None,
        copies: dict[str, str] | None = None,
        title_terms: dict[str, bytes] | None = None,
        chunk_terms: dict[str, bytes] | None = None,
    ) -> None:
        """Make an ingest visible, all or nothing: article rows, their chunks, the generation and
        the keyword index pointer change in one SQLite transaction. Chunks that stop being
        committed go to ``garbage`` in the same transaction. ``chunk_terms``: the re-analysed terms
        of chunks kept as they are (when the analyser changed)."""
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
            db.executemany("UPDATE chunks SET terms = ? WHERE id = ?", [(t, c) for c, t in (chunk_terms or {}).items()])
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
                (time.time(), generation, json.dumps(asdict(report), ensure_ascii=False), ingest_id),
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
