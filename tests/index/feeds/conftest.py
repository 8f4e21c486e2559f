"""The local news site every feed test reads (a real HTTP server on 127.0.0.1), and a fast fetch policy."""

from __future__ import annotations

import pytest

from index.feeds.http import FetchPolicy
from tests.helpers.feed_site import FeedSite

#: polite, but quick: the site is local
FAST = FetchPolicy(timeout_s=1.0, max_bytes=200_000, host_delay_s=0.0, host_concurrency=4)


@pytest.fixture
def site():
    server = FeedSite().start()
    yield server
    server.stop()
