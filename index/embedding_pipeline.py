"""The embedding stage of an ingest: chunks in, vectors in Chroma out, in batches.

With one worker a batch is embedded in the caller's thread (the right thing for the local CPU model,
which already uses every core). With N workers, up to N batches are in flight on background threads
(requests to an embedding server, or a GPU) while the caller goes on reading, cleaning and chunking
the next articles. Writes stay on the caller's thread, in the order batches were submitted: the
``pending`` journal entry of a chunk is written before its batch is submitted, its vector reaches Chroma
only after, so a crash at any point leaves chunks the next ingest reuses or removes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from index.articles import Article
from index.chunking import Chunk

#: chunks per call to the embedder (which splits them into its own forward passes or requests)
EMBED_BATCH = 256

Item = tuple[Article, Chunk]


class EmbeddingPipeline:
    def __init__(self, store, embedder, *, generation: int, metadata: Callable[[Article, Chunk], dict],
                 workers: int = 1, batch: int | None = None, check_dim: Callable[[int], None] = lambda dim: None,
                 progress: Callable[[str, int, int], None] = lambda *a: None):
        self.store, self.embedder = store, embedder
        self.generation = generation
        self.metadata = metadata
        self.workers = max(1, workers)
        self.batch = batch or EMBED_BATCH
        self.check_dim = check_dim
        self.progress = progress
        self._buffer: list[Item] = []
        self._in_flight: deque[tuple[list[Item], Future]] = deque()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="kiosque-ingest") if self.workers > 1 else None
        self._dim_checked = False
        #: chunks handed to the pipeline, and those whose vectors are in Chroma
        self.planned = 0
        self.written = 0
        self.seconds = 0.0
        self._started: float | None = None

    def add(self, items: Sequence[Item]) -> None:
        """Queue chunks; full batches are submitted at once (waiting for a free worker)."""
        if self._started is None and items:
            self._started = time.perf_counter()
        self._buffer.extend(items)
        self.planned += len(items)
        while len(self._buffer) >= self.batch:
            self._submit(self._buffer[: self.batch])
            del self._buffer[: self.batch]

    def finish(self) -> None:
        """Submit what is left and wait until every vector is written."""
        if self._buffer:
            self._submit(self._buffer)
            self._buffer = []
        while self._in_flight:
            self._write_oldest()
        if self._started is not None:
            self.seconds = time.perf_counter() - self._started
        self.close()

    def close(self) -> None:
        """Stop the workers (after a failure: batches still in flight are dropped, their chunks stay in the
        journal as leftovers that the next ingest reuses or removes)."""
        for _, future in self._in_flight:
            future.cancel()
        self._in_flight.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    # -- steps ------------------------------------------------------------------------------------
    def _submit(self, items: list[Item]) -> None:
        self.store.catalog.add_pending([c.id for _, c in items], self.generation)
        texts = [c.text for _, c in items]
        if self._pool is None:
            self._write(items, self.embedder.embed_passages(texts))
            return
        while len(self._in_flight) >= self.workers or (self._in_flight and self._in_flight[0][1].done()):
            self._write_oldest()
        self._in_flight.append((items, self._pool.submit(self.embedder.embed_passages, texts)))

    def _write_oldest(self) -> None:
        items, future = self._in_flight.popleft()
        self._write(items, future.result())

    def _write(self, items: list[Item], vectors: np.ndarray) -> None:
        if not self._dim_checked:
            self.check_dim(int(vectors.shape[1]))
            self._dim_checked = True
        self.store.vectors.add(
            [c.id for _, c in items], vectors, [c.text for _, c in items],
            [self.metadata(a, c) for a, c in items],
        )
        self.written += len(items)
        self.progress("embed", self.written, self.planned)
