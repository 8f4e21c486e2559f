"""The dense side: chunk vectors in a Chroma collection, embedded (PersistentClient) or remote
(a `chroma run` server through HttpClient).

Chroma's default HNSW parameters lose recall on large collections, so the collection is created
with larger construction/search beams and more neighbours; the vectors are L2-normalised and the
space is cosine.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.errors import VectorWriteError

HNSW_CONFIGURATION = {"hnsw": {"space": "cosine", "ef_construction": 200, "ef_search": 200, "max_neighbors": 32}}


@dataclass(frozen=True)
class ChromaLocation:
    mode: str  # "embedded" or "server"
    path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    #: server mode: https, with this CA bundle when the server's certificate is from a private CA
    ssl: bool = False
    ca_file: Path | None = None
    #: server mode: sent with every request (an auth token): never shown
    headers: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    tenant: str = "default_tenant"
    database: str = "default_database"

    @property
    def url(self) -> str:
        return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port}"

    def describe(self) -> str:
        if self.mode == "embedded":
            return f"embedded at {self.path}"
        where = f"server at {self.url}"
        if (self.tenant, self.database) != ("default_tenant", "default_database"):
            where += f", tenant {self.tenant}, database {self.database}"
        return where + (", with an auth token" if self.headers else "")


def make_client(location: ChromaLocation):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if location.mode == "embedded":
        assert location.path is not None
        location.path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(location.path), settings=settings)
    if location.mode == "server":
        if location.ca_file:
            settings.chroma_server_ssl_verify = str(location.ca_file)
        return chromadb.HttpClient(host=location.host, port=location.port, ssl=location.ssl,
                                   headers=dict(location.headers) or None, settings=settings,
                                   tenant=location.tenant, database=location.database)
    raise ValueError(f"unknown Chroma mode {location.mode!r} (use 'embedded' or 'server')")


@contextmanager
def _writing(what: str):
    """Chroma's own errors on a write become `VectorWriteError`, a type the ingest knows."""
    from chromadb.errors import ChromaError

    try:
        yield
    except ChromaError as exc:
        raise VectorWriteError(f"Chroma could not {what} the collection: {exc}") from exc


class VectorStore:
    def __init__(self, client, collection_name: str):
        self._client = client
        self.collection = client.get_or_create_collection(
            collection_name, configuration=HNSW_CONFIGURATION, embedding_function=None,
        )
        self._max_batch = max(1, min(5000, int(client.get_max_batch_size())))

    def close(self) -> None:
        """Release Chroma's shared in-process system for this path: an embedded store reopened later
        in this process (after another process wrote to it) must read its files afresh, not a
        cached index from before."""
        self._client.close()

    def count(self) -> int:
        return self.collection.count()

    def existing(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), self._max_batch):
            got = self.collection.get(ids=list(ids[i : i + self._max_batch]), include=[])
            found.update(got["ids"])
        return found

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset = 0
        while True:
            got = self.collection.get(include=[], limit=self._max_batch, offset=offset)
            if not got["ids"]:
                return ids
            ids.update(got["ids"])
            offset += len(got["ids"])

    def add(self, ids: Sequence[str], vectors: np.ndarray, documents: Sequence[str], metadatas: Sequence[dict]) -> None:
        with _writing("add vectors to"):
            for i in range(0, len(ids), self._max_batch):
                j = i + self._max_batch
                self.collection.upsert(
                    ids=list(ids[i:j]), embeddings=np.asarray(vectors[i:j], dtype=np.float32),
                    documents=list(documents[i:j]), metadatas=list(metadatas[i:j]),
                )

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        with _writing("delete vectors from"):
            for i in range(0, len(ids), self._max_batch):
                self.collection.delete(ids=ids[i : i + self._max_batch])

    def query(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the ``k`` nearest chunks."""
        if k <= 0:
            return []
        got = self.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=k, where=where, include=["distances"],
        )
        ids = got["ids"][0] if got["ids"] else []
        distances = got["distances"][0] if got.get("distances") else [0.0] * len(ids)
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, distances)]

