"""One update: poll every feed once, fetch the pages of new and changed items, ingest them.

The order makes it safe to kill at any point:

1. each feed that changed has its items recorded as pending, with its new ETag, in one transaction;
2. the pages of all pending items (this run's, and earlier runs' failures) are fetched and extracted;
3. they are ingested in batches, each committed to the index, then marked done in the journal.

A crash before 3 leaves items pending and the index as it was (answering); a crash after a batch's
commit but before its journal entry only makes the next run fetch those pages again and find them
unchanged. A feed item that disappears from its feed is never a deletion: articles only come and change.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace

from index.articles import Article, LoadProblem
from index.errors import IngestBusy
from index.feeds.http import FetchFailed, FetchPolicy, PoliteFetcher
from index.feeds.journal import FeedJournal, ItemRow, Listed, PollCounts
from index.feeds.pages import article_from_page
from index.feeds.parse import NotAFeed, parse_feed
from index.feeds.urls import article_id, canonical_url, host_of
from index.ingest import IngestReport, Progress
from index.store import FileLock

log = logging.getLogger("kiosque.feeds")

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, "
               "text/xml;q=0.8, */*;q=0.1")
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"

#: ingest(articles, progress) -> IngestReport: the store's incremental ingest
IngestArticles = Callable[[list[Article], Progress | None], IngestReport]


@dataclass(frozen=True)
class Subscription:
    url: str
    outlet: str | None = None
    #: "store" (`kiosque feeds add`) or "settings" (KIOSQUE_FEEDS_URLS)
    origin: str = "store"


@dataclass(frozen=True)
class Failure:
    """Something that could not be read this run, and will be tried again on the next one."""

    url: str
    reason: str
    #: "feed" or "page"
    kind: str = "page"
    #: for a page: the feed that listed it
    feed: str | None = None
    #: the item failed too many runs in a row: it is left alone until its feed lists it changed
    gave_up: bool = False
    #: an update tries it again; a page given to `ingest URL` is not remembered
    retried: bool = True

    def line(self) -> str:
        line = f"{self.kind} {self.url}: {self.reason}"
        if self.gave_up:
            return line + " (given up after repeated failures, until its feed changes it)"
        return line + " (retried next run)" if self.retried else line


@dataclass
class UpdateReport:
    feeds: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    #: articles new to the index, and changed ones: {article_id, title, outlet, date, url}
    new: list[dict] = field(default_factory=list)
    updated: list[dict] = field(default_factory=list)
    unchanged: int = 0
    failed: list[Failure] = field(default_factory=list)
    chunks_embedded: int = 0
    requests: dict = field(default_factory=dict)
    seconds: float = 0.0
    #: of which reading feeds and fetching and extracting pages (the rest is the ingest)
    fetch_seconds: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["failed"] = [{**asdict(f), "line": f.line()} for f in self.failed]
        return d

    def summary(self) -> PollCounts:
        """Counts only: what the journal keeps and `/status` shows."""
        return PollCounts(feeds=self.feeds, feeds_not_modified=self.feeds_not_modified, feeds_failed=self.feeds_failed,
                          new=len(self.new), updated=len(self.updated), unchanged=self.unchanged,
                          failed=len(self.failed), chunks_embedded=self.chunks_embedded,
                          requests=self.requests.get("requests", 0), seconds=self.seconds)


@dataclass
class _Fetched:
    """A page fetched and extracted, waiting to be ingested; ``article`` is None when the page answered 304."""

    article: Article | None
    etag: str | None
    last_modified: str | None


class UpdateBusy(IngestBusy):
    """Another update holds the store's feed lock."""


class FeedUpdater:
    """Polls feeds into one store. ``indexed(ids)`` says which articles the index has (a page is
    fetched conditionally only when its article is really there)."""

    def __init__(self, journal: FeedJournal, ingest: IngestArticles, policy: FetchPolicy, *,
                 indexed: Callable[[Iterable[str]], set[str]], lock: FileLock | None = None, batch_size: int = 100):
        self.journal = journal
        self.ingest = ingest
        self.policy = policy
        self.indexed = indexed
        self.lock = lock
        self.batch_size = max(1, batch_size)

    # -- public -----------------------------------------------------------------------------------
    def update(self, subscriptions: list[Subscription], *, progress: Progress | None = None,
               trigger: str = "cli") -> UpdateReport:
        """Poll ``subscriptions``, fetch what is new or changed, ingest it. Raises UpdateBusy when another
        update runs on this store."""
        progress = progress or (lambda *a: None)
        with self._exclusive():
            started = time.perf_counter()
            run_id = self.journal.start_run(trigger)
            report = UpdateReport(feeds=len(subscriptions))
            for sub in subscriptions:  # a row for its ETag and status, whatever named it
                self.journal.ensure_feed(sub.url, sub.outlet if sub.origin == "settings" else None)
            fetched, failures, stats = asyncio.run(self._fetch(subscriptions, report, progress))
            report.requests = stats
            report.fetch_seconds = round(time.perf_counter() - started, 3)
            self._ingest(fetched, failures, report, progress)
            report.seconds = round(time.perf_counter() - started, 3)
            self.journal.finish_run(run_id, report.summary())
            return report

    def ingest_urls(self, urls: list[str], *, outlet: str | None = None,
                    progress: Progress | None = None) -> UpdateReport:
        """Fetch single article pages and ingest them (no feed, no journal: run it again to retry)."""
        progress = progress or (lambda *a: None)
        started = time.perf_counter()
        report = UpdateReport()
        urls = list(dict.fromkeys(canonical_url(u) for u in urls))

        async def fetch_all():
            async with PoliteFetcher(self.policy, self.journal) as fetcher:
                done = 0

                async def one(url: str):
                    nonlocal done
                    try:
                        got = await fetcher.get(url, accept=PAGE_ACCEPT)
                        article = await asyncio.to_thread(
                            article_from_page, got.body, article_id=article_id(url), url=url, charset=got.charset,
                            outlet=outlet)
                    except FetchFailed as exc:
                        return Failure(url, str(exc), retried=False)
                    finally:
                        done += 1
                        progress("pages", done, len(urls))
                    if isinstance(article, LoadProblem):
                        return Failure(url, article.reason, retried=False)
                    return _Fetched(_with_outlet(article, url), got.etag, got.last_modified)

                results = await asyncio.gather(*(one(u) for u in urls))
                return results, fetcher.stats.to_dict()

        results, report.requests = asyncio.run(fetch_all())
        report.failed = [r for r in results if isinstance(r, Failure)]
        fetched = [r for r in results if isinstance(r, _Fetched)]
        if fetched:
            self._ingest_batch(fetched, report, progress)
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    # -- steps ------------------------------------------------------------------------------------
    @contextmanager
    def _exclusive(self):
        lock = self.lock
        if lock is not None and not lock.acquire():
            holder = lock.holder()
            since = time.strftime("%H:%M:%S", time.localtime(holder.get("since", time.time())))
            raise UpdateBusy(f"another feed update is running on this store (pid {holder.get('pid', '?')}, "
                             f"since {since})")
        try:
            yield
        finally:
            if lock is not None:
                lock.release()

    async def _fetch(self, subscriptions: list[Subscription], report: UpdateReport, progress: Progress):
        async with PoliteFetcher(self.policy, self.journal) as fetcher:
            polled = 0

            async def poll(sub: Subscription):
                nonlocal polled
                try:
                    await self._poll(fetcher, sub, report)
                finally:
                    polled += 1
                    progress("feeds", polled, len(subscriptions))

            await asyncio.gather(*(poll(s) for s in subscriptions))
            due = self.journal.due_items()
            in_index = self.indexed([i.article_id for i in due]) if due else set()
            fetched: list[tuple[ItemRow, _Fetched]] = []
            failures: list[tuple[ItemRow, str]] = []
            done = 0

            async def page(item: ItemRow):
                nonlocal done
                try:
                    result = await self._page(fetcher, item, item.article_id in in_index)
                finally:
                    done += 1
                    progress("pages", done, len(due))
                (failures if isinstance(result, str) else fetched).append((item, result))

            await asyncio.gather(*(page(i) for i in due))
            return fetched, failures, fetcher.stats.to_dict()

    async def _poll(self, fetcher: PoliteFetcher, sub: Subscription, report: UpdateReport) -> None:
        journal = self.journal
        row = journal.feed(sub.url)
        try:
            got = await fetcher.get(sub.url, etag=row.etag if row else None,
                                    last_modified=row.last_modified if row else None, accept=FEED_ACCEPT)
            if got.not_modified:
                journal.record_not_modified(sub.url)
                report.feeds_not_modified += 1
                return
            parsed = await asyncio.to_thread(parse_feed, got.body, got.url, got.content_type, got.charset)
        except (FetchFailed, NotAFeed) as exc:
            journal.record_feed_failure(sub.url, str(exc))
            report.feeds_failed += 1
            report.failed.append(Failure(sub.url, str(exc), kind="feed"))
            log.debug("feed %s: %s", sub.url, exc)
            return
        outlet = sub.outlet or parsed.title or host_of(sub.url)
        listed = []
        for item in parsed.items:
            aid = article_id(item.url, item.guid)
            if item.guid:
                aid = journal.id_for_guid(item.guid) or aid
            listed.append(Listed(aid, item.url, item.guid, item.title, item.date, outlet, item.fingerprint))
        # a feed read only in part keeps no validators: the next run reads it in full again
        whole = parsed.problem is None
        journal.record_listing(sub.url, title=parsed.title, etag=got.etag if whole else None,
                               last_modified=got.last_modified if whole else None, items=listed,
                               status=f"{len(listed)} item(s)")
        if not whole:
            report.feeds_failed += 1
            report.failed.append(Failure(sub.url, parsed.problem, kind="feed"))

    async def _page(self, fetcher: PoliteFetcher, item: ItemRow, in_index: bool) -> _Fetched | str:
        """The item's article, or why not."""
        if not item.url:
            return "the feed gives no link to the article"
        conditional = in_index and item.outcome is not None
        try:
            got = await fetcher.get(item.url, etag=item.page_etag if conditional else None,
                                    last_modified=item.page_last_modified if conditional else None, accept=PAGE_ACCEPT)
        except FetchFailed as exc:
            return str(exc)
        if got.not_modified:
            return _Fetched(None, item.page_etag, item.page_last_modified)
        article = await asyncio.to_thread(article_from_page, got.body, article_id=item.article_id, url=item.url,
                                          charset=got.charset, title=item.title, date=item.date, outlet=item.outlet)
        if isinstance(article, LoadProblem):
            return article.reason
        return _Fetched(_with_outlet(article, item.url), got.etag, got.last_modified)

    def _ingest(self, fetched: list[tuple[ItemRow, _Fetched]], failures: list[tuple[ItemRow, str]],
                report: UpdateReport, progress: Progress) -> None:
        journal = self.journal
        if failures:
            gave_up = journal.mark_failed((item.article_id, reason) for item, reason in failures)
            for item, reason in failures:
                report.failed.append(Failure(item.url or item.article_id, reason, feed=item.feed_url,
                                             gave_up=gave_up.get(item.article_id, False)))
                log.debug("page %s: %s", item.url, reason)
        not_modified = [(item, f) for item, f in fetched if f.article is None]
        if not_modified:
            journal.mark_done((item.article_id, "unchanged", f.etag, f.last_modified) for item, f in not_modified)
            report.unchanged += len(not_modified)
        pages = [f for _, f in fetched if f.article is not None]
        for i in range(0, len(pages), self.batch_size):
            self._ingest_batch(pages[i : i + self.batch_size], report, progress)

    def _ingest_batch(self, batch: list[_Fetched], report: UpdateReport, progress: Progress) -> None:
        result = self.ingest([f.article for f in batch], progress)
        added, updated = set(result.added_ids), set(result.updated_ids)
        done = []
        for f in batch:
            a = f.article
            outcome = "new" if a.id in added else "updated" if a.id in updated else "unchanged"
            if outcome == "unchanged":
                report.unchanged += 1
            else:
                (report.new if outcome == "new" else report.updated).append(
                    {"article_id": a.id, "title": a.title, "outlet": a.outlet, "date": a.date, "url": a.url})
            done.append((a.id, outcome, f.etag, f.last_modified))
        report.chunks_embedded += result.chunks_embedded
        self.journal.mark_done(done)


def _with_outlet(article: Article, url: str) -> Article:
    """Every web article names an outlet: the feed's, the page's, or at least its site."""
    return article if article.outlet else replace(article, outlet=host_of(url))
