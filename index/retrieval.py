"""Hybrid retrieval: BM25 over French-analysed terms plus dense vectors from Chroma, fused with
reciprocal-rank fusion, then grouped so that one article is one source; an article-level keyword
list (BM25 over whole articles) is fused into the article ranking.

Only committed chunks are ever returned: while an ingest is writing, its chunks are in Chroma but
filtered out (by generation, and by the catalog's chunk map).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from index.articles import Article
from index.dates import DateError, date_to_int, parse_day
from index.store import Store


#: what the filter fields are called where a person typed them, unless a front end names them
_FIELD_NAMES = {"date_from": "from", "date_to": "to", "as_of": "as_of"}


@dataclass(frozen=True)
class Filters:
    """Optional limits on what may be cited: days (inclusive) and outlet name fragments. Build them
    from what a person typed with `Filters.parse`, the one reader every front end uses."""

    date_from: date | None = None
    date_to: date | None = None
    outlets: tuple[str, ...] = ()

    def __post_init__(self):
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
                raise TypeError(f"Filters.{name} is a datetime.date, not {value!r}: read text with Filters.parse")

    @classmethod
    def parse(
        cls, *, date_from: str | None = None, date_to: str | None = None, as_of: str | None = None,
        outlets: Iterable[str] = (), names: Mapping[str, str] | None = None,
    ) -> Filters:
        """Filters from typed text (CLI options, Discord options, evaluation records). Dates are read
        by `parse_day` (a month or a year: from its first day, to its last); ``as_of`` is one more
        upper bound (the earlier wins). Raises `DateError` named as the front end names its fields
        (``names``: ``{"date_from": "--from", ...}``)."""
        names = {**_FIELD_NAMES, **(names or {})}

        def day(field: str, text: str | None, *, end: bool) -> date | None:
            if text is None or not str(text).strip():
                return None
            try:
                return parse_day(text, end=end)
            except DateError as exc:
                raise exc.named(names[field]) from None

        start = day("date_from", date_from, end=False)
        bounds = [(names[f], d) for f, d in (("date_to", day("date_to", date_to, end=True)),
                                             ("as_of", day("as_of", as_of, end=True))) if d]
        end = min(bounds, key=lambda b: b[1]) if bounds else None
        if start and end and start > end[1]:
            raise DateError(start.isoformat(), "reversed", field=names["date_from"], other=end)
        kept = tuple(dict.fromkeys(o.strip() for o in outlets if o and o.strip()))
        return cls(start, end[1] if end else None, kept)

    @property
    def active(self) -> bool:
        return bool(self.date_from or self.date_to or self.outlets)

    def chroma_where(self) -> dict | None:
        clauses: list[dict] = []
        if self.date_from:
            clauses.append({"date": {"$gte": date_to_int(self.date_from)}})
        if self.date_to:
            clauses.append({"date": {"$lte": date_to_int(self.date_to)}})
            clauses.append({"date": {"$gt": 0}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def admits(self, day: str | None, outlet: str | None) -> bool:
        """Whether an article dated ``day`` (ISO, as the catalog keeps it; None when unknown) passes."""
        if self.date_from or self.date_to:
            if not day:
                return False
            published = date.fromisoformat(day)
            if self.date_from and published < self.date_from or self.date_to and published > self.date_to:
                return False
        if self.outlets:
            name = (outlet or "").lower()
            return any(o.lower() in name for o in self.outlets if o)
        return True

    def to_dict(self) -> dict:
        """The JSON form (ISO days), as `Filters.parse` reads it back."""
        return {"date_from": self.date_from.isoformat() if self.date_from else None,
                "date_to": self.date_to.isoformat() if self.date_to else None, "outlets": list(self.outlets)}


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    article_id: str
    start: int
    end: int
    text: str
    score: float
    keyword_rank: int | None = None
    dense_rank: int | None = None
    dense_score: float | None = None


@dataclass
class Source:
    """One article among the results, with its best passages (best first)."""

    article: Article
    passages: list[Passage]
    score: float
    rank: int = 0
    #: wire copies of this article published by other outlets (collapsed into this source)
    copies: list[Article] = field(default_factory=list)


@dataclass
class RetrievalResult:
    sources: list[Source]
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: the query's embedding (the reader compares sentences with it where the embedder gives no token states)
    query_vector: np.ndarray | None = None
    #: the query's token states from the same pass, and (query, layer) they are of: a reader reading
    #: that layer reuses them for that question; None where not asked for or not available
    query_tokens: np.ndarray | None = None
    query_tokens_of: tuple[str, int] | None = None

    @property
    def article_ids(self) -> list[str]:
        return [s.article.id for s in self.sources]


@dataclass
class _ChunkMap:
    generation: int = -1
    spans: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    article_info: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    #: article id -> canonical id of its wire-copy group, and the members of each group
    canonical: dict[str, str] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)


#: with filters, the dense side first looks this many times deeper into the unfiltered ranking
OVERFETCH = 8
#: a query whose words are less than this share of stopwords of the keyword analyser's language is in
#: another language: the article-level list, all keywords, would only add stray matches (it cost two
#: English seed questions their answer); it is then left out and articles rank as before it existed
OWN_LANGUAGE_SHARE = 0.25


class HybridRetriever:
    """Keyword and dense candidates fused into one chunk ranking; articles rank as their best chunk.

    ``fusion="rrf"`` (the default) is reciprocal-rank fusion; with k = 5 rather than the customary
    60 a retriever's first ranks weigh more (PIAF hit@5 +1.6 points, docs/benchmarks.md).
    ``"convex"`` adds each retriever's scores min-max scaled over its own candidates, weighted
    ``1 - dense_weight`` / ``dense_weight``: better still on PIAF, worse on the seed questions
    (English ones above all, where the keyword side finds stray matches).

    When articles are ranked, the article-level list (BM25 over whole articles, titles included)
    joins with ``article_weight``, and the chunk keyword list counts ``chunk_keyword_weight``: a
    question that sums up a story matches the whole article better than any one passage. An article
    that only the article-level list found gets its best BM25 chunks as passages."""

    def __init__(self, store: Store, embedder, *, candidates: int = 50, fusion: str = "rrf", rrf_k: int = 5,
                 dense_weight: float = 0.5, article_weight: float = 1.25, chunk_keyword_weight: float = 0.25,
                 article_candidates: int = 50, query_token_layer: int | None = None):
        if fusion not in ("convex", "rrf"):
            raise ValueError(f"unknown fusion {fusion!r}: 'convex' or 'rrf'")
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.rrf_k = rrf_k
        #: when articles are ranked: the weight of the article-level list, and the chunk keyword list's
        #: (the dense list counts 1; passages are always ranked with both chunk lists at 1)
        self.article_weight = article_weight
        self.chunk_keyword_weight = chunk_keyword_weight
        self.article_candidates = article_candidates
        #: also keep the query's token states after this many layers, from the same pass (the reader's
        #: reading layer: it then need not read the question again); None: vectors only
        self.query_token_layer = query_token_layer
        self._map = _ChunkMap()
        self._lock = threading.Lock()
        #: per keyword index (by id): (the index, catalog generation, row metadata)
        self._meta: dict[int, tuple] = {}

    # -- committed view -------------------------------------------------------------------------
    def _chunk_map(self) -> _ChunkMap:
        catalog = self.store.catalog
        generation = catalog.generation
        if self._map.generation != generation:
            with self._lock:
                if self._map.generation != generation:
                    spans = {r.id: (r.article_id, r.start, r.end) for r in catalog.chunk_rows()}
                    info = {aid: (day, outlet) for aid, day, outlet in catalog.article_meta()}
                    canonical = catalog.copy_groups()
                    members: dict[str, list[str]] = {}
                    for aid, root in sorted(canonical.items()):
                        members.setdefault(root, []).append(aid)
                    self._map = _ChunkMap(generation, spans, info, canonical, members)
        return self._map

    def _keyword_mask(self, keyword, chunks: _ChunkMap, filters: Filters) -> np.ndarray | None:
        """Which keyword rows (chunks, or articles in the article-level list) pass the filters, in
        numpy: a Python loop over 100k chunks took 65 ms."""
        if not filters.active:
            return None
        dates, outlet_of_row, outlets = self._row_meta(keyword, chunks)
        mask = np.ones(len(dates), dtype=bool)
        if filters.date_from:  # an unknown date (NaT) compares false: never admitted by a date filter
            mask &= dates >= np.datetime64(filters.date_from)
        if filters.date_to:
            mask &= dates <= np.datetime64(filters.date_to)
        if filters.outlets:  # few distinct outlets: decide each once
            by_outlet = Filters(outlets=filters.outlets)
            ok = np.array([by_outlet.admits(None, o) for o in outlets] or [False])
            mask &= ok[outlet_of_row]
        return mask

    def _row_meta(self, keyword, chunks: _ChunkMap) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Per keyword row: its article's day (NaT if unknown) and the index of its outlet; cached for
        one keyword generation and one catalog generation."""
        cached = self._meta.get(id(keyword))
        if cached is None or cached[0] is not keyword or cached[1] != chunks.generation:
            days, outlets = [], []
            for row_id in keyword.chunk_ids:
                span = chunks.spans.get(row_id)
                aid = span[0] if span else row_id  # a row of the article-level list is an article
                day, outlet = chunks.article_info.get(aid, (None, None))
                days.append(day or "NaT")
                outlets.append(outlet or "")
            names, index = np.unique(np.asarray(outlets, dtype=object).astype(str), return_inverse=True)
            meta = (np.asarray(days, dtype="datetime64[D]"), index, [str(n) for n in names])
            cached = (keyword, chunks.generation, meta)
            # one entry per keyword index in use (chunks, articles); older generations' go
            self._meta = {i: v for i, v in self._meta.items() if v[1] == chunks.generation}
            self._meta[id(keyword)] = cached
        return cached[2]

    # -- search ---------------------------------------------------------------------------------
    def search_chunks(self, query: str, *, k: int | None = None, filters: Filters | None = None,
                      timings: dict | None = None, query_vector: np.ndarray | None = None) -> list[Passage]:
        """Fused chunk ranking (best first)."""
        return self._search_chunks(query, k, filters or Filters(), timings, query_vector)[0]

    def _search_chunks(self, query: str, k: int | None, filters: Filters, timings: dict | None,
                       query_vector: np.ndarray | None, article_list: bool = False,
                       ) -> tuple[list[Passage], np.ndarray, dict[str, float]]:
        """The fused chunk ranking, the BM25 score of every keyword row (for passages of articles
        that only the article-level list found), and what the chunks give each article's score."""
        k = k or self.candidates
        timings = timings if timings is not None else {}
        chunks = self._chunk_map()
        if not chunks.spans:
            return [], np.zeros(0, dtype=np.float32), {}

        t0 = time.perf_counter()
        keyword = self.store.keyword_index()
        keyword_scores = keyword.scores(query)
        keyword_hits = keyword.top(keyword_scores, self.candidates, self._keyword_mask(keyword, chunks, filters))
        t1 = time.perf_counter()
        qvec = self.embedder.embed_queries([query])[0] if query_vector is None else query_vector
        t2 = time.perf_counter()
        dense_hits = self._dense(qvec, chunks, filters)
        t3 = time.perf_counter()
        timings.update(keyword_ms=(t1 - t0) * 1e3, embed_query_ms=(t2 - t1) * 1e3, dense_ms=(t3 - t2) * 1e3)

        krank: dict[str, int] = {}
        kscore: dict[str, float] = {}
        for rank, (cid, score) in enumerate(keyword_hits, start=1):
            if cid in chunks.spans:
                krank[cid] = rank
                kscore[cid] = score
        drank: dict[str, int] = {}
        dscore: dict[str, float] = {}
        for cid, score in dense_hits:
            span = chunks.spans.get(cid)
            if span is None:
                continue
            if filters.active:
                day, outlet = chunks.article_info.get(span[0], (None, None))
                if not filters.admits(day, outlet):
                    continue
            drank[cid] = len(drank) + 1
            dscore[cid] = score
        fused = self._fuse(krank, kscore, drank, dscore)
        order = sorted(fused, key=lambda c: -fused[c])[:k]
        passages = []
        for cid in order:
            aid, start, end = chunks.spans[cid]
            passages.append(Passage(cid, aid, start, end, "", fused[cid], krank.get(cid), drank.get(cid),
                                    dscore.get(cid)))
        # what the chunks give their article (its best one), the keyword list reweighted when the
        # article-level list is there to carry the keyword side too
        for_articles = (self._fuse(krank, kscore, drank, dscore, keyword_weight=self.chunk_keyword_weight)
                        if article_list else fused)
        by_article: dict[str, float] = {}
        for cid in order:
            aid = chunks.spans[cid][0]
            by_article[aid] = max(by_article.get(aid, 0.0), for_articles[cid])
        return passages, keyword_scores, by_article

    def _dense(self, qvec: np.ndarray, chunks: _ChunkMap, filters: Filters) -> list[tuple[str, float]]:
        n = min(self.candidates, len(chunks.spans))
        pending = self.store.catalog.has_pending()
        if filters.active and not pending:
            # Chroma's metadata pre-filter scans every chunk (420 ms at 100k): look further down the
            # plain ranking first, and pre-filter only when the filters are so narrow that too few remain
            wide = self.store.vectors.query(qvec, min(n * OVERFETCH, len(chunks.spans)))
            admitted = [(cid, score) for cid, score in wide if cid in chunks.spans
                        and filters.admits(*chunks.article_info.get(chunks.spans[cid][0], (None, None)))]
            if len(admitted) >= n or len(wide) >= len(chunks.spans):
                return admitted[:n]
        where = filters.chroma_where()
        if pending:
            # an ingest is writing chunks that are not committed yet: hide them
            visible = {"gen": {"$lte": self.store.catalog.generation}}
            where = visible if where is None else {"$and": [where, visible]}
        return self.store.vectors.query(qvec, n, where)

    def _fuse(self, krank: dict[str, int], kscore: dict[str, float], drank: dict[str, int],
              dscore: dict[str, float], keyword_weight: float = 1.0) -> dict[str, float]:
        """Fused chunk scores; ``keyword_weight`` scales the keyword list (the article-level list
        takes the rest of the keyword side when articles are ranked)."""
        fused: dict[str, float] = {}
        if self.fusion == "rrf":
            for ranks, weight in ((krank, keyword_weight), (drank, 1.0)):
                for cid, rank in ranks.items():
                    fused[cid] = fused.get(cid, 0.0) + weight / (self.rrf_k + rank)
            # ties are common (rank 1+2 vs 2+1): break them with the scores themselves
            top = max(kscore.values(), default=0.0) or 1.0
            return {c: v + 1e-6 * (kscore.get(c, 0.0) / top + dscore.get(c, 0.0)) for c, v in fused.items()}
        for scores, weight in ((kscore, (1.0 - self.dense_weight) * keyword_weight), (dscore, self.dense_weight)):
            if not scores:
                continue
            lo, hi = min(scores.values()), max(scores.values())
            for cid, score in scores.items():  # a lone candidate, or all equal, counts as the best
                fused[cid] = fused.get(cid, 0.0) + weight * ((score - lo) / (hi - lo) if hi > lo else 1.0)
        return fused

    def _article_list_used(self, query: str) -> bool:
        """Off with a zero weight, in a store indexed before the list existed (until its next ingest),
        and for a query in another language than the keyword analyser's."""
        return (self.article_weight > 0 and self.store.article_keyword_index() is not None
                and self.store.analyzer.stopword_share(query) >= OWN_LANGUAGE_SHARE)

    def _article_list(self, query: str, chunks: _ChunkMap, filters: Filters) -> dict[str, float]:
        """What the article-level keyword list adds to each article's score."""
        index = self.store.article_keyword_index()
        hits = [(aid, score) for aid, score in index.search(query, self.article_candidates,
                                                            self._keyword_mask(index, chunks, filters))
                if aid in chunks.article_info]
        if self.fusion == "rrf":
            return {aid: self.article_weight / (self.rrf_k + rank) for rank, (aid, _) in enumerate(hits, start=1)}
        weight = (1.0 - self.dense_weight) * self.article_weight
        lo, hi = (min(s for _, s in hits), max(s for _, s in hits)) if hits else (0.0, 0.0)
        return {aid: weight * ((score - lo) / (hi - lo) if hi > lo else 1.0) for aid, score in hits}

    def _keyword_passages(self, aid: str, chunks: _ChunkMap, keyword_scores: np.ndarray, score: float,
                          n: int) -> list[Passage]:
        """Passages for an article that only the article-level list found: its chunks with the best
        BM25 scores (the first ones when none matches), scored just below the article."""
        keyword = self.store.keyword_index()
        # asked of the catalog for the few articles concerned (a map of every article's chunks costs memory)
        ids = [cid for cid in self.store.catalog.chunk_ids_of([aid])[aid] if cid in chunks.spans]
        rows = [keyword.row_of.get(cid) for cid in ids]
        bm25 = [float(keyword_scores[r]) if r is not None and r < keyword_scores.size else 0.0 for r in rows]
        best = sorted(range(len(ids)), key=lambda i: (-bm25[i], i))[:n]
        return [Passage(ids[i], aid, chunks.spans[ids[i]][1], chunks.spans[ids[i]][2], "", score * (1 - 0.01 * j))
                for j, i in enumerate(best)]

    def search(self, query: str, *, k: int = 5, filters: Filters | None = None,
               passages_per_source: int = 3) -> RetrievalResult:
        """The ``k`` best articles, each with up to ``passages_per_source`` passages and its text."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        filters = filters or Filters()
        if not self._chunk_map().spans:
            return RetrievalResult([], timings, None)
        qvec, qtokens = self._embed_query(query)
        embed_ms = (time.perf_counter() - t0) * 1e3
        article_list = self._article_list_used(query)
        ranked, keyword_scores, score = self._search_chunks(query, None, filters, timings, qvec, article_list)
        timings["embed_query_ms"] = embed_ms
        chunks = self._chunk_map()
        grouped: dict[str, list[Passage]] = {}
        for p in ranked:
            grouped.setdefault(p.article_id, []).append(p)
        # an article scores as its best chunk (long articles must not win by sheer number of chunks),
        # plus what the article-level list gives it (a question about the whole story finds it there)
        t1 = time.perf_counter()
        for aid, part in (self._article_list(query, chunks, filters) if article_list else {}).items():
            score[aid] = score.get(aid, 0.0) + part
        timings["article_keyword_ms"] = (time.perf_counter() - t1) * 1e3
        # wire copies of one story are one source (the best-scoring copy speaks for the group)
        scored: list[str] = []
        seen_groups: set[str] = set()
        for aid in sorted(score, key=lambda a: -score[a]):
            root = chunks.canonical.get(aid, aid)
            if root in seen_groups:
                continue
            seen_groups.add(root)
            scored.append(aid)
            if len(scored) == k:
                break
        copy_ids = {aid: [m for m in chunks.members.get(chunks.canonical.get(aid, aid), []) if m != aid]
                    for aid in scored}
        articles = self.store.catalog.get_articles(scored + [m for ms in copy_ids.values() for m in ms])
        sources = []
        for rank, aid in enumerate(scored, start=1):
            article = articles.get(aid)
            if article is None:  # removed by a commit between the two reads
                continue
            plist = grouped.get(aid) or self._keyword_passages(aid, chunks, keyword_scores, score[aid],
                                                               passages_per_source)
            with_text = [
                Passage(p.chunk_id, aid, p.start, p.end, article.text[p.start : p.end], p.score,
                        p.keyword_rank, p.dense_rank, p.dense_score)
                for p in plist[:passages_per_source]
            ]
            copies = [articles[m] for m in copy_ids[aid] if m in articles]
            sources.append(Source(article, with_text, score[aid], rank, copies))
        timings["retrieval_ms"] = (time.perf_counter() - t0) * 1e3
        return RetrievalResult(sources, timings, qvec, qtokens,
                               (query, self.query_token_layer) if qtokens is not None else None)

    def _embed_query(self, query: str) -> tuple[np.ndarray, np.ndarray | None]:
        if self.query_token_layer is not None:
            read = self.embedder.embed_query_with_tokens(query, layer=self.query_token_layer)
            if read is not None:
                return read
        return self.embedder.embed_queries([query])[0], None
