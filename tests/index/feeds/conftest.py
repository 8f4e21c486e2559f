"""The local news site every feed test reads (a real HTTP server on 127.0.0.1), and a fast fetch policy."""

from __future__ import annotations

import pytest

from index.feeds.http import FetchPolicy
from index.feeds.journal import FeedJournal
from index.feeds.update import FeedUpdater
from index.ingest import Ingester
from index.store import FileLock
from tests.helpers.feed_site import FeedSite

#: polite, but quick: the site is local
FAST = FetchPolicy(timeout_s=1.0, max_bytes=200_000, host_delay_s=0.0, host_concurrency=4)


@pytest.fixture
def site():
    server = FeedSite().start()
    yield server
    server.stop()


def make_updater(store, embedder, policy=FAST, batch_size: int = 100) -> FeedUpdater:
    """The updater as the application wires it, over one store."""
    ingester = Ingester(store, embedder)
    return FeedUpdater(
        FeedJournal(store.dir / "feeds.sqlite"), lambda articles, progress: ingester.run_articles(articles),
        policy, indexed=lambda ids: set(ids) & set(store.catalog.article_hashes()),
        lock=FileLock(store.dir / "feeds.lock"), batch_size=batch_size)
