"""Every embedding computed, kept by (model id, text): rebuilding into a new store, or changing a
setting that does not change the vectors, never recomputes one."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.sqlite import PerThreadConnection, transaction

_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL) WITHOUT ROWID"


class EmbeddingCache:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # a power cut may lose the last vectors written (they are computed again): no sync on each commit
        self._connection = PerThreadConnection(self.path, "synchronous=NORMAL")
        self._db().execute(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        return self._connection.get()

    @staticmethod
    def key(model_id: str, kind: str, text: str) -> bytes:
        return hashlib.sha256(f"{model_id}\0{kind}\0{text}".encode("utf-8")).digest()[:20]

    def get_many(self, keys: Sequence[bytes], dim: int) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        db = self._db()
        for i in range(0, len(keys), 500):
            part = list(keys[i : i + 500])
            marks = ",".join("?" * len(part))
            for key, blob in db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", part):
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape[0] == dim:
                    found[bytes(key)] = vec
        return found

    def put_many(self, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        with transaction(self._db()) as db:
            db.executemany(
                "INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items],
            )

    def __len__(self) -> int:
        return self._db().execute("SELECT count(*) FROM vectors").fetchone()[0]


class CachedEmbedder:
    """Wraps an embedder; only texts never seen before reach the model."""

    def __init__(self, inner, cache: EmbeddingCache):
        self.inner = inner
        self.cache = cache
        self.model_id = inner.model_id
        self.dim = inner.dim
        #: texts actually sent to the model since creation (what a no-op ingest must keep at 0)
        self.computed = 0
        self.hits = 0

    def _embed(self, texts: Sequence[str], kind: str, compute) -> np.ndarray:
        keys = [EmbeddingCache.key(self.model_id, kind, t) for t in texts]
        found = self.cache.get_many(keys, self.dim)
        missing = [i for i, k in enumerate(keys) if k not in found]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if missing:
            vectors = compute([texts[i] for i in missing])
            self.cache.put_many([(keys[i], vectors[j]) for j, i in enumerate(missing)])
            for j, i in enumerate(missing):
                out[i] = vectors[j]
        for i, k in enumerate(keys):
            if k in found:
                out[i] = found[k]
        self.computed += len(missing)
        self.hits += len(texts) - len(missing)
        return out

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, "passage", self.inner.embed_passages)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        # queries are cheap and rarely repeat exactly; caching them would only grow the file
        return self.inner.embed_queries(texts)

    def token_states(self, queries: Sequence[str], passages: Sequence[str], *, layer: int | None = None):
        # token states are read once per question (the reader's shortlist): not worth storing
        return self.inner.token_states(queries, passages, layer=layer)

    def embed_query_with_tokens(self, text: str, *, layer: int | None = None):
        return self.inner.embed_query_with_tokens(text, layer=layer)

    def token_count(self, text: str) -> int:
        return self.inner.token_count(text)

    def fine_tuned(self, model_id: str, deltas: dict):
        return self.inner.fine_tuned(model_id, deltas)

    def describe(self) -> dict:
        return {**self.inner.describe(), "cache": str(self.cache.path)}
