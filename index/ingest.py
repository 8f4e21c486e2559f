"""Incremental, idempotent, crash-safe ingest of articles into a store.

An ingest diffs the corpus against the catalog by content hash: new articles are embedded and
added, changed ones get new chunks (unchanged chunks keep their vectors), deleted ones are removed
(in sync mode), unchanged ones cost nothing. Order of work, so that a kill at any point leaves the
previous index answering and the next ingest converging:

1. finish the garbage collection a crashed commit may have left;
2. write the ids of chunks about to be added to the ``pending`` journal, then add them to Chroma
   (invisible: questions only see chunks whose rows are committed);
3. build the next BM25 generation (chunk index and article-level list) in its own directory;
4. commit articles, chunks, generation and keyword pointer in one SQLite transaction;
5. delete from Chroma the chunks that stopped being committed, and uncommitted leftovers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from index import copies
from index.articles import Article, LoadProblem
from index.catalog import IngestCounts, IngestTally
from index.chunking import Chunk, chunk_article
from index.dates import date_to_int
from index.embedding_pipeline import EmbeddingPipeline
from index.errors import STORAGE_ERRORS, IngestBusy, IngestFailed, StoreError, storage_problem
from index.keyword import ArticleDocuments, build_generation
from index.loading import load_paths
from index.store import Store

#: progress(stage, done, total): stages are "read", "embed", "index" (total 0: not known yet)
Progress = Callable[[str, int, int], None]
#: articles chunked together (one round of catalog look-ups) before their chunks go to the embedder
PLAN_GROUP = 64


@dataclass
class IngestReport(IngestTally):
    """What an ingest did, with every file it skipped, found duplicated or found odd (source, reason)."""

    #: ids of the articles added and updated (counted above; listed for callers that announce them, and
    #: not kept by the catalog's journal, which keeps counts rather than 30,000 ids)
    added_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    #: nothing changed, but the keyword generation was rebuilt (its terms made by another analyser,
    #: its article-level list missing or built with other settings)
    keyword_rebuilt: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.articles_added or self.articles_updated or self.articles_removed)

    def to_dict(self) -> dict:
        return asdict(self)

    def counts(self) -> IngestCounts:
        """What the catalog's journal keeps of this report: the lists are counted."""
        return IngestCounts(**{f.name: getattr(self, f.name) for f in fields(IngestTally)},
                            duplicates=len(self.duplicates), problems=len(self.problems), warnings=len(self.warnings))


def _problem(p: LoadProblem) -> dict:
    return {"source": p.source, "reason": p.reason}


def _chunk_metadata(article: Article, chunk: Chunk, generation: int) -> dict:
    return {
        "article_id": article.id, "position": chunk.position, "start": chunk.start, "end": chunk.end,
        "date": date_to_int(article.date), "outlet": (article.outlet or "").lower(), "gen": generation,
    }


class Ingester:
    """Runs ingests against one store with one embedder."""

    def __init__(self, store: Store, embedder, *, max_article_bytes: int = 5_000_000, workers: int = 1):
        self.store = store
        self.embedder = embedder
        self.max_article_bytes = max_article_bytes
        #: embedding batches in flight while the next articles are read and chunked (1 = one after the other)
        self.workers = max(1, workers)

    # -- public -------------------------------------------------------------------------------
    def run(
        self,
        paths: Iterable[Path],
        *,
        corpus_root: Path | None = None,
        sync: bool = False,
        progress: Progress | None = None,
        check_other_processes: bool = True,
    ) -> IngestReport:
        """Ingest ``paths``. With ``sync`` they are the whole corpus: indexed articles not found in
        them are removed (articles fetched from the web are not part of any corpus directory: a sync
        keeps them). Raises IngestBusy if another ingest holds the store."""
        paths = list(paths)
        return self._locked(lambda p: self._run(load_paths(paths, corpus_root, self.max_article_bytes), sync, p),
                            progress, check_other_processes)

    def run_articles(self, articles: Iterable[Article], *, progress: Progress | None = None,
                     check_other_processes: bool = True) -> IngestReport:
        """Add or update articles made elsewhere (pages fetched from feeds or URLs); removes nothing."""
        return self._locked(lambda p: self._run(articles, False, p), progress, check_other_processes)

    def refuse_if_served(self) -> None:
        """An embedded store another process answers from must not be written from here."""
        if self.store.others_serving():
            raise IngestBusy(
                "a Kiosque process (the bot or `kiosque chat`) is answering from this embedded store; "
                "reindex through it (/reindex), stop it first, or use the Chroma server mode"
            )

    def _locked(self, work: Callable[[Progress], IngestReport], progress: Progress | None,
                check_other_processes: bool) -> IngestReport:
        store = self.store
        if check_other_processes:
            self.refuse_if_served()
        lock = store.ingest_lock()
        if not lock.acquire():
            holder = lock.holder()
            since = time.strftime("%H:%M:%S", time.localtime(holder.get("since", time.time())))
            raise IngestBusy(f"another ingest is running on {store.dir} (pid {holder.get('pid', '?')}, since {since})")
        try:
            return work(progress or (lambda *a: None))
        except StoreError:
            raise
        except STORAGE_ERRORS as exc:
            raise IngestFailed(f"ingest failed, nothing was committed and the previous index still answers: "
                               f"{storage_problem(exc, store.dir)}. Fix this and run the ingest again.") from exc
        finally:
            lock.release()

    # -- steps --------------------------------------------------------------------------------
    def _run(self, items: Iterable[Article | LoadProblem], sync: bool, progress: Progress) -> IngestReport:
        started = time.perf_counter()
        store, catalog = self.store, self.store.catalog
        store.check_embedder(self._model_name(), None)
        report = IngestReport()
        self._collect_garbage(leftovers=False)
        ingest_id = catalog.start_ingest()
        generation = catalog.generation + 1

        committed = catalog.article_hashes()
        touched, new_chunks, seen, kept_ids = self._read_and_embed(items, committed, generation, report, progress)
        removed = sorted(set(committed) - seen - kept_ids - catalog.web_article_ids()) if sync else []
        report.articles_removed = len(removed)

        keyword_dir = None
        signatures, groups, titles = {}, None, {}
        reanalyse = not store.analyzer_is_current()
        report.keyword_rebuilt = not report.changed and (reanalyse or not store.article_list_is_current())
        retermed: dict[str, bytes] = {}
        if report.changed or report.keyword_rebuilt:
            progress("index", 0, 1)
            if reanalyse:
                retermed = self._reanalysed_chunks({a.id for a in touched} | set(removed))
            titles = self._title_terms(touched, removed, every=reanalyse)
            keyword_dir = self._build_keyword(generation, touched, removed, new_chunks, titles, retermed)
            progress("index", 1, 1)
        if report.changed:
            signatures, groups = self._find_copies(touched, removed)
            report.wire_copies = len(groups) - len(set(groups.values()))
        report.chunks_removed = sum(len(v) for v in catalog.chunk_ids_of(removed).values())
        report.generation = generation if keyword_dir else catalog.generation
        report.seconds = round(time.perf_counter() - started, 3)
        catalog.commit(
            generation=report.generation, ingest_id=ingest_id, upsert=touched, new_chunks=new_chunks,
            delete_articles=removed, keyword_dir=keyword_dir, report=report.counts(),
            extra_meta=self._embedder_meta() | ({"analyzer": store.analyzer.fingerprint} if keyword_dir else {}),
            signatures=signatures, copies=groups,
            title_terms={aid: terms.tobytes() for aid, terms in titles.items()}, chunk_terms=retermed,
        )
        self._collect_garbage(leftovers=True)
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def _read_and_embed(self, items: Iterable[Article | LoadProblem], committed: dict, generation: int,
                        report: IngestReport, progress: Progress):
        """Read the articles, chunk the new and changed ones, embed their new chunks into Chroma.
        Returns the new and changed articles, their chunk rows, the ids read, and the ids kept despite a
        problem. With one worker every chunk is planned first and embedded longest first (batches of
        similar length waste less on padding); with several, batches go out while the next articles are
        read and chunked."""
        store = self.store
        pending = store.catalog.pending_ids()
        pipeline = EmbeddingPipeline(
            store, self.embedder, generation=generation, workers=self.workers, progress=progress,
            metadata=lambda a, c: _chunk_metadata(a, c, generation),
            check_dim=lambda dim: store.check_embedder(self._model_name(), dim),
        )
        stream = self.workers > 1
        touched: list[Article] = []
        new_chunks: dict[str, list] = {}
        waiting: list[tuple[Article, Chunk]] = []
        seen: set[str] = set()
        kept_ids: set[str] = set()
        computed_before = getattr(self.embedder, "computed", None)

        def plan(group: list[Article]) -> None:
            chunks, to_embed = self._plan_chunks(group, pending, report)
            new_chunks.update(chunks)
            (pipeline.add if stream else waiting.extend)(to_embed)

        try:
            group: list[Article] = []
            for article in self._read(items, report, progress, kept_ids):
                seen.add(article.id)
                state = committed.get(article.id)
                if state is not None and state[0] == article.content_hash:
                    report.articles_unchanged += 1
                    continue
                if state is None:
                    report.articles_added += 1
                    report.added_ids.append(article.id)
                else:
                    report.articles_updated += 1
                    report.updated_ids.append(article.id)
                touched.append(article)
                group.append(article)
                if len(group) >= PLAN_GROUP:
                    plan(group)
                    group = []
            if group:
                plan(group)
            pipeline.add(sorted(waiting, key=lambda ac: len(ac[1].text), reverse=True))
            pipeline.finish()
        finally:
            pipeline.close()
        report.chunks_embedded = pipeline.written
        report.embed_seconds = round(pipeline.seconds, 3)
        computed_after = getattr(self.embedder, "computed", None)
        report.embeddings_computed = (
            computed_after - computed_before if computed_before is not None else pipeline.written
        )
        return touched, new_chunks, seen, kept_ids

    def _model_name(self) -> str:
        return getattr(self.embedder, "model_id", "unknown").split("@")[0]

    def _embedder_meta(self) -> dict[str, str]:
        """Recorded once vectors exist; a no-op ingest never loads the model just to say its dim."""
        if getattr(self.embedder, "loaded", True):
            return {"embed_model": self._model_name(), "embed_dim": str(self.embedder.dim)}
        return {"embed_model": self._model_name()}

    def _read(self, items: Iterable[Article | LoadProblem], report: IngestReport, progress: Progress,
              kept: set[str]) -> Iterator[Article]:
        """Load and de-duplicate, one article at a time. Adds to ``kept`` the ids of indexed articles whose
        file had a problem this time (kept as they were, never removed by a sync)."""
        source_of: dict[str, str] = {}
        by_text: dict[tuple[str, str], str] = {}
        committed_texts = {(th, (outlet or "").lower()): aid
                           for aid, th, outlet in self.store.catalog.text_hashes()}
        n = 0
        for item in items:
            n += 1
            if n % 500 == 0:
                progress("read", n, 0)
            if isinstance(item, LoadProblem):
                (report.warnings if item.severity == "warning" else report.problems).append(_problem(item))
                if item.severity != "warning" and item.article_id:
                    kept.add(item.article_id)
                continue
            if item.id in source_of:
                report.duplicates.append({"source": item.source, "id": item.id,
                                          "reason": f"id {item.id!r} already read from {source_of[item.id]}"})
                continue
            # the same text under another name is a duplicate, unless another outlet published it:
            # then it is a wire copy, indexed and listed with its outlet under one source
            key = (item.text_hash, (item.outlet or "").lower())
            twin = by_text.get(key) or committed_texts.get(key)
            if twin is not None and twin != item.id:
                report.duplicates.append({"source": item.source, "id": item.id,
                                          "reason": f"same text as article {twin!r}; indexed once"})
                continue
            source_of[item.id] = item.source
            by_text[key] = item.id
            yield item
        progress("read", n, n)

    def _plan_chunks(
        self, touched: list[Article], pending: set[str], report: IngestReport,
    ) -> tuple[dict[str, list[tuple[str, int, int, int, bytes]]], list[tuple[Article, Chunk]]]:
        """Chunk new and changed articles; decide which chunks need a vector (``pending``: the journal of
        chunks a crashed ingest may have left in Chroma)."""
        catalog, store = self.store.catalog, self.store
        old = catalog.chunk_ids_of([a.id for a in touched])
        old_ids = {cid for ids in old.values() for cid in ids}
        all_chunks: list[tuple[Article, Chunk]] = []
        for article in touched:
            chunks = chunk_article(
                article.id, article.text, store.config.chunk_target_chars, store.config.chunk_max_chars
            )
            all_chunks.extend((article, c) for c in chunks)
        # leftovers of a crashed ingest may already be in Chroma: reuse them if they really are
        maybe = [c.id for _, c in all_chunks if c.id in pending and c.id not in old_ids]
        present = old_ids | (store.vectors.existing(maybe) if maybe else set())
        vocab_terms = [store.analyzer.terms(c.text) for _, c in all_chunks]
        term_ids = catalog.term_ids({t for terms in vocab_terms for t in terms})
        new_chunks: dict[str, list[tuple[str, int, int, int, bytes]]] = {a.id: [] for a in touched}
        to_embed: list[tuple[Article, Chunk]] = []
        for (article, chunk), terms in zip(all_chunks, vocab_terms):
            blob = np.asarray([term_ids[t] for t in terms], dtype=np.uint32).tobytes()
            new_chunks[article.id].append((chunk.id, chunk.position, chunk.start, chunk.end, blob))
            if chunk.id in present:
                report.chunks_reused += 1
            else:
                to_embed.append((article, chunk))
        return new_chunks, to_embed

    def _reanalysed_chunks(self, skip: set[str]) -> dict[str, bytes]:
        """Term ids of every committed chunk (but those of ``skip``, re-chunked anyway), analysed anew:
        the store's terms were made by another analyser. Vectors are kept; only the terms change."""
        catalog, analyzer = self.store.catalog, self.store.analyzer
        rows = [r for r in catalog.chunk_rows() if r.article_id not in skip]
        texts = catalog.article_texts({r.article_id for r in rows})
        terms = {r.id: analyzer.terms(texts[r.article_id][r.start:r.end]) for r in rows}
        ids = catalog.term_ids({t for ts in terms.values() for t in ts})
        return {cid: np.asarray([ids[t] for t in ts], dtype=np.uint32).tobytes() for cid, ts in terms.items()}

    def _title_terms(self, touched: list[Article], removed: list[str], every: bool = False) -> dict[str, np.ndarray]:
        """Term ids of the titles of new and changed articles, and of older ones indexed before
        titles were analysed (their rows are added by this commit); ``every``: of every title."""
        store, catalog = self.store, self.store.catalog
        gone = {a.id for a in touched} | set(removed)
        stored = {} if every else catalog.title_terms()
        missing = set(catalog.article_hashes()) - gone - set(stored)
        titles = {a.id: a.title for a in touched} | catalog.titles(missing)
        terms = {aid: store.analyzer.terms(title or "") for aid, title in titles.items()}
        ids = catalog.term_ids({t for ts in terms.values() for t in ts})
        return {aid: np.asarray([ids[t] for t in ts], dtype=np.uint32) for aid, ts in terms.items()}

    def _build_keyword(self, generation: int, touched: list[Article], removed: list[str], new_chunks,
                       new_titles: dict[str, np.ndarray], retermed: dict[str, bytes]) -> str:
        store, catalog, config = self.store, self.store.catalog, self.store.config
        skip = {a.id for a in touched} | set(removed)
        chunk_ids: list[str] = []
        arrays: list[np.ndarray] = []
        # the article-level list: every article, its chunks in order (chunk_terms comes in that order)
        of_article: dict[str, list[np.ndarray]] = {aid: [] for aid in sorted(set(catalog.article_hashes()) - skip)}
        for cid, aid, terms in catalog.chunk_terms():
            if aid not in skip:
                chunk_ids.append(cid)
                arrays.append(np.frombuffer(retermed[cid], dtype=np.uint32) if cid in retermed else terms)
                of_article[aid].append(arrays[-1])
        for aid, entries in new_chunks.items():
            of_article[aid] = []
            for cid, _pos, _s, _e, blob in entries:
                chunk_ids.append(cid)
                arrays.append(np.frombuffer(blob, dtype=np.uint32))
                of_article[aid].append(arrays[-1])
        titles = {**catalog.title_terms(), **new_titles}
        empty = np.zeros(0, dtype=np.uint32)
        documents = ArticleDocuments(
            list(of_article),
            [np.concatenate([np.tile(titles.get(aid, empty), config.article_title_weight), *parts])
             for aid, parts in of_article.items()],
            k1=config.article_bm25_k1, b=config.article_bm25_b, title_weight=config.article_title_weight,
        )
        directory = store.keyword_dir(generation)
        build_generation(directory, chunk_ids, arrays, catalog.vocabulary(),
                         k1=config.bm25_k1, b=config.bm25_b, articles=documents)
        return directory.name

    def _find_copies(self, touched: list[Article], removed: list[str]):
        """Signatures of new and changed articles (and of older ones indexed before signatures
        existed), then the copy groups of the whole corpus after this ingest."""
        catalog = self.store.catalog
        stored = catalog.signatures()
        gone = {a.id for a in touched} | set(removed)
        new = {a.id: copies.signature(a.text) for a in touched}
        committed_ids = set(catalog.article_hashes()) - gone
        missing = committed_ids - set(stored)
        if missing:
            for aid, text in catalog.article_texts(missing).items():
                new[aid] = copies.signature(text)
        sigs = {aid: sig for aid, sig in stored.items() if aid in committed_ids} | new
        dates = {aid: d for aid, d, _ in catalog.article_meta()} | {a.id: a.date for a in touched}
        by_id = {a.id: a.text for a in touched}

        def load_text(ids):
            out = {i: by_id[i] for i in ids if i in by_id}
            out.update(catalog.article_texts([i for i in ids if i not in by_id]))
            return out

        groups = copies.group(((aid, sig, dates.get(aid)) for aid, sig in sigs.items()), load_text)
        return new, groups

    def _collect_garbage(self, *, leftovers: bool) -> None:
        """Delete from Chroma what no committed row points to; drop stale keyword generations.
        Before an ingest only committed-away chunks go (a crashed ingest's leftovers may be reused);
        after the commit, leftovers that were not reused go too."""
        catalog = self.store.catalog
        garbage = catalog.garbage_ids()
        stale = sorted(catalog.pending_ids()) if leftovers else []
        if garbage or stale:
            committed = {r.id for r in catalog.chunk_rows()} if stale else set()
            self.store.vectors.delete(garbage + [c for c in stale if c not in committed])
            catalog.forget_garbage(garbage)
            catalog.forget_pending(stale)
        self.store.remove_old_keyword_generations()


