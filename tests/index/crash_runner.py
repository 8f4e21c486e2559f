"""Run an ingest in this process and SIGKILL it at a chosen point (for the crash tests).

    python -m tests.index.crash_runner STORE CORPUS CACHE MODELS POINT

Points: embedding (second embedding batch), embedding-workers (the same with two batches in flight,
killed from a worker thread), chroma (second Chroma write), keyword (BM25 files half-written),
article-list (the chunk index written, the article-level list half-written), commit (inside the
commit transaction), gc (after the commit, before clean-up), hold (embed slowly: lets another process
observe an ingest in progress).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path


def die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def die_at_second_embedding(embedder) -> None:
    """SIGKILL this process when the embedder is asked for its second batch."""
    original, calls = embedder.embed_passages, {"n": 0}

    def embed(texts):
        calls["n"] += 1
        if calls["n"] == 2:
            die()
        return original(texts)

    embedder.embed_passages = embed


def main() -> None:
    store_dir, corpus, cache, models, point = sys.argv[1:6]
    import index.embedding_pipeline as pipeline_mod
    from index.embedders import make_embedder
    from index.ingest import Ingester
    from index.store import Store, StoreConfig

    pipeline_mod.EMBED_BATCH = 4
    workers = 2 if point.endswith("-workers") else 1
    embedder = make_embedder(cache_dir=Path(cache), models_dir=Path(models))
    store = Store(StoreConfig(dir=Path(store_dir)))
    calls = {"n": 0}

    if point in ("embedding", "embedding-workers"):
        die_at_second_embedding(embedder)
    elif point == "chroma":
        from index import vectors

        original_add = vectors.VectorStore.add

        def add(self, ids, vecs, docs, metas):
            calls["n"] += 1
            if calls["n"] == 2:
                self.collection.upsert(ids=list(ids[:2]), embeddings=vecs[:2], documents=list(docs[:2]),
                                       metadatas=list(metas[:2]))
                die()
            return original_add(self, ids, vecs, docs, metas)

        vectors.VectorStore.add = add
    elif point in ("keyword", "article-list"):
        import bm25s

        original_save = bm25s.BM25.save
        dying_save = 1 if point == "keyword" else 2  # the chunk index is saved first, the article list next

        def save(self, path, *a, **kw):
            original_save(self, path, *a, **kw)
            calls["n"] += 1
            if calls["n"] == dying_save:
                for f in Path(path).iterdir():  # leave the generation half-written
                    if f.name.endswith(".npy"):
                        f.write_bytes(f.read_bytes()[:10])
                die()

        bm25s.BM25.save = save
    elif point == "commit":
        from index import catalog

        original_set_meta = catalog.Catalog.set_meta

        def set_meta(self, key, value, db=None):
            if key == "generation" and db is not None:
                die()  # inside BEGIN IMMEDIATE, after the article and chunk rows were written
            return original_set_meta(self, key, value, db)

        catalog.Catalog.set_meta = set_meta
    elif point == "gc":
        original_gc = Ingester._collect_garbage

        def gc(self, *, leftovers):
            if leftovers:
                die()
            return original_gc(self, leftovers=leftovers)

        Ingester._collect_garbage = gc
    elif point == "hold":
        original = embedder.embed_passages

        def slow(texts):
            print("EMBEDDING", flush=True)
            time.sleep(30)
            return original(texts)

        embedder.embed_passages = slow
    else:
        raise SystemExit(f"unknown point {point}")

    report = Ingester(store, embedder, workers=workers).run([Path(corpus)], corpus_root=Path(corpus), sync=True)
    print("FINISHED", report.to_dict())


if __name__ == "__main__":
    main()
