"""An opened Kiosque index: the catalog, the Chroma collection and the current keyword generation,
plus the locks that keep two writers apart.

Layout of a store directory::

    catalog.sqlite      articles, chunks, terms, generation, ingest journal (the truth)
    chroma/             Chroma's files (embedded mode only)
    keyword/gen-N/      BM25 generation N (the catalog says which one is current), with its
                        article-level list in keyword/gen-N/articles/
    ingest.lock         held by the one ingest that may run
    serving.lock        shared-locked by processes answering from an embedded store
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.catalog import Catalog, LastIngest
from index.errors import StoreError, chroma_server_problem, storage_problem
from index.keyword import ARTICLE_FORMAT, Analyzer, KeywordIndex, article_params, load_article_index, load_generation
from index.vectors import ChromaLocation, VectorStore, make_client


@dataclass(frozen=True)
class StoreStatus:
    """What `kiosque status`, the bot's /status and an eval run say about a store."""

    store: str
    chroma: str
    collection: str
    articles: int
    chunks: int
    generation: int
    #: the embedding model the vectors were made with (None before the first ingest)
    embed_model: str | None
    last_ingest: LastIngest | None
    #: chunks an interrupted ingest left in Chroma (invisible; the next ingest reuses or removes them)
    interrupted_ingest_leftovers: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class StoreConfig:
    dir: Path
    chroma_mode: str = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    chroma_ssl: bool = False
    chroma_ca_file: Path | None = None
    #: sent to a Chroma server with every request (an auth token): never shown
    chroma_headers: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    chroma_tenant: str = "default_tenant"
    chroma_database: str = "default_database"
    collection: str = "kiosque"
    language: str = "french"
    bm25_k1: float = 0.9
    bm25_b: float = 0.4
    #: the article-level keyword list (whole articles: title repeated ``article_title_weight`` times + text)
    article_bm25_k1: float = 1.2
    article_bm25_b: float = 0.75
    article_title_weight: int = 3
    chunk_target_chars: int = 800
    chunk_max_chars: int = 1000

    @property
    def chroma(self) -> ChromaLocation:
        return ChromaLocation(self.chroma_mode, Path(self.dir) / "chroma", self.chroma_host, self.chroma_port,
                              self.chroma_ssl, self.chroma_ca_file, self.chroma_headers, self.chroma_tenant,
                              self.chroma_database)


class FileLock:
    """An advisory ``flock`` that dies with its process (kill -9 included): a crashed ingest never
    leaves a stale lock behind."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self, *, shared: bool = False) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        self._fd = fd
        if not shared:
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "since": time.time()}).encode())
        return True

    def holder(self) -> dict:
        try:
            return json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@dataclass
class _KeywordCache:
    generation: int = -1
    index: KeywordIndex | None = None
    articles: KeywordIndex | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Store:
    def __init__(self, config: StoreConfig, *, create: bool = True):
        self.config = config
        self.dir = Path(config.dir)
        if not create and not (self.dir / "catalog.sqlite").exists():
            raise StoreError(f"no index at {self.dir}: run `kiosque ingest` first")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.catalog = Catalog(self.dir / "catalog.sqlite")
        except (OSError, sqlite3.Error) as exc:  # a read-only, full or damaged file
            raise StoreError(f"cannot open the store: {storage_problem(exc, self.dir)}") from exc
        self.analyzer = Analyzer(config.language)
        self._vectors: VectorStore | None = None
        self._keyword = _KeywordCache()
        self._serving: FileLock | None = None

    # -- parts ----------------------------------------------------------------------------------
    @property
    def vectors(self) -> VectorStore:
        if self._vectors is None:
            location = self.config.chroma
            try:
                self._vectors = VectorStore(make_client(location), self.config.collection)
            except Exception as exc:
                if location.mode == "server":
                    raise StoreError(chroma_server_problem(location, exc)) from exc
                raise StoreError(f"cannot open Chroma at {location.path}: {storage_problem(exc, self.dir)}") from exc
        return self._vectors

    def keyword_index(self) -> KeywordIndex:
        """The committed BM25 generation, reloaded when an ingest committed a newer one."""
        return self._keyword_generation().index

    def article_keyword_index(self) -> KeywordIndex | None:
        """The committed generation's article-level list (None in a store whose last ingest predates
        it: the next ingest builds it)."""
        return self._keyword_generation().articles

    def _keyword_generation(self) -> _KeywordCache:
        generation = self.catalog.generation
        cache = self._keyword
        if cache.index is not None and cache.generation == generation:
            return cache
        with cache.lock:
            if cache.index is None or cache.generation != generation:
                name = self.catalog.get_meta("keyword_dir")
                if name and (self.dir / "keyword" / name).exists():
                    cache.index = load_generation(self.dir / "keyword" / name, self.analyzer)
                    cache.articles = load_article_index(self.dir / "keyword" / name, self.analyzer)
                else:
                    cache.index, cache.articles = KeywordIndex(self.analyzer, None, []), None
                cache.generation = generation
        return cache

    def keyword_dir(self, generation: int) -> Path:
        return self.dir / "keyword" / f"gen-{generation}"

    def article_list_is_current(self) -> bool:
        """Was the committed keyword generation built with this store's article-list settings? (A store
        indexed before the article-level list existed, or with other settings, is rebuilt once.)"""
        name = self.catalog.get_meta("keyword_dir")
        if not name:
            return True  # nothing indexed yet: the first ingest builds everything
        c = self.config
        return article_params(self.dir / "keyword" / name) == {
            "format": ARTICLE_FORMAT, "k1": c.article_bm25_k1, "b": c.article_bm25_b,
            "title_weight": c.article_title_weight}

    def analyzer_is_current(self) -> bool:
        """Were the committed chunks' terms made by this store's analyser? (A store indexed by an older
        Kiosque, whose analyser dropped other words, or with another language, is re-analysed once.)"""
        if not self.catalog.get_meta("keyword_dir"):
            return True  # nothing indexed yet: the first ingest analyses everything
        return self.catalog.get_meta("analyzer") == self.analyzer.fingerprint

    def remove_old_keyword_generations(self) -> None:
        current = self.catalog.get_meta("keyword_dir")
        root = self.dir / "keyword"
        if not root.exists():
            return
        for child in root.iterdir():
            if child.name != current:
                shutil.rmtree(child, ignore_errors=True)

    # -- locks ----------------------------------------------------------------------------------
    def ingest_lock(self) -> FileLock:
        return FileLock(self.dir / "ingest.lock")

    def hold_serving_lock(self) -> None:
        """A process that answers from an embedded store says so; an ingest from another process
        then refuses (two processes writing/reading one embedded Chroma directory is unsafe)."""
        if self.config.chroma_mode != "embedded" or self._serving is not None:
            return
        lock = FileLock(self.dir / "serving.lock")
        if lock.acquire(shared=True):
            self._serving = lock

    def others_serving(self) -> bool:
        if self.config.chroma_mode != "embedded":
            return False
        probe = FileLock(self.dir / "serving.lock")
        if probe.acquire(shared=False):
            probe.release()
            return False
        return True

    # -- facts ----------------------------------------------------------------------------------
    def check_embedder(self, model_name: str, dim: int | None) -> None:
        """A store holds vectors of one model; mixing models would return nonsense."""
        built = self.catalog.get_meta("embed_model")
        built_dim = self.catalog.get_meta("embed_dim")
        if built and built != model_name:
            raise StoreError(
                f"the store at {self.dir} was built with the embedding model {built!r}, but {model_name!r} is "
                "configured. Use another store directory (--store) for the new model, or set "
                "KIOSQUE_EMBED_MODEL back."
            )
        if dim and built_dim and int(built_dim) != dim:
            raise StoreError(
                f"the store at {self.dir} holds {built_dim}-dimension vectors, but the embedder gives {dim} "
                f"(model {model_name!r}). Use another store directory (--store), or configure the embedder "
                "as when the store was built."
            )

    def status(self) -> StoreStatus:
        counts = self.catalog.counts()
        return StoreStatus(
            store=str(self.dir), chroma=self.config.chroma.describe(), collection=self.config.collection,
            articles=counts["articles"], chunks=counts["chunks"], generation=self.catalog.generation,
            embed_model=self.catalog.get_meta("embed_model"), last_ingest=self.catalog.last_ingest(),
            interrupted_ingest_leftovers=counts["pending"],
        )

    def verify(self) -> dict:
        """Do the catalog, the keyword index and Chroma agree? (What a crash test checks.)"""
        committed = {row.id for row in self.catalog.chunk_rows()}
        keyword = set(self.keyword_index().chunk_ids)
        in_chroma = self.vectors.all_ids()
        pending = self.catalog.pending_ids()
        articles = set(self.catalog.article_hashes())
        article_list = self.article_keyword_index()
        listed = set(article_list.chunk_ids) if article_list is not None else articles
        return {
            "ok": committed == keyword and committed <= in_chroma and not (in_chroma - committed - pending)
                  and listed == articles,
            "committed_chunks": len(committed),
            "missing_from_keyword": len(committed - keyword),
            "extra_in_keyword": len(keyword - committed),
            "article_list": "built" if article_list is not None else "absent (the next ingest builds it)",
            "analyzer": "current" if self.analyzer_is_current() else "older (the next ingest re-analyses the terms)",
            "articles_missing_from_article_list": len(articles - listed),
            "articles_extra_in_article_list": len(listed - articles),
            "missing_from_chroma": len(committed - in_chroma),
            "orphans_in_chroma": len(in_chroma - committed - pending),
            "pending_leftovers": len(pending),
        }

    def close(self) -> None:
        if self._serving is not None:
            self._serving.release()
            self._serving = None
        if self._vectors is not None:
            self._vectors.close()
            self._vectors = None
        self.catalog.close()
