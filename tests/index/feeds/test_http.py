"""The fetcher against a real server on 127.0.0.1: conditional GETs, robots.txt, limits, politeness."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from index.feeds.http import FetchFailed, PoliteFetcher
from index.feeds.journal import FeedJournal
from index.feeds.pages import decode_page
from tests.helpers.feed_site import Resource, article_page, orangesum_stories, publish_trouble
from tests.index.feeds.conftest import FAST


async def fetch(policy, url, **kw):
    async with PoliteFetcher(policy) as fetcher:
        return await fetcher.get(url, **kw), fetcher.stats


async def test_conditional_get_costs_a_304_and_names_kiosque(site):
    site.put("/feed.xml", Resource(b"<rss/>", "application/rss+xml"))
    async with PoliteFetcher(FAST) as fetcher:
        first = await fetcher.get(site.url("/feed.xml"))
        again = await fetcher.get(site.url("/feed.xml"), etag=first.etag, last_modified=first.last_modified)
        by_date = await fetcher.get(site.url("/feed.xml"), last_modified=first.last_modified)
    assert (first.status, again.status, by_date.status) == (200, 304, 304)
    assert first.body == b"<rss/>" and again.body == b"" and again.not_modified
    served = site.requests_to("/feed.xml")
    assert served[1].headers["If-None-Match"] == first.etag
    assert all(s.headers["User-Agent"].startswith("Kiosque/") for s in site.served)


async def test_every_failure_is_one_line(site):
    trouble = publish_trouble(site, timeout_s=FAST.timeout_s, max_bytes=FAST.max_bytes)
    async with PoliteFetcher(FAST) as fetcher:
        for name in ("missing", "error", "slow", "huge", "loop", "robots"):
            with pytest.raises(FetchFailed) as caught:
                await fetcher.get(trouble.pages[name])
            message = str(caught.value)
            assert trouble.reasons[name] in message and "\n" not in message, (name, message)
        gz = await fetcher.get(trouble.pages["gzip"])  # decompressed on the way in
        latin = await fetcher.get(trouble.pages["latin1"])
    assert gz.body.startswith(b"<!doctype html>")
    text, _ = decode_page(latin.body, latin.charset)
    assert latin.charset == "iso-8859-1" and "disparu vendredi 18 mai à Lavars" in text


async def test_robots_txt_is_read_once_and_remembered_in_the_journal(site, tmp_path):
    journal = FeedJournal(tmp_path / "feeds.sqlite")
    site.put("/a.html", Resource(b"a"))
    for _ in range(2):
        async with PoliteFetcher(FAST, journal) as fetcher:
            await fetcher.get(site.url("/a.html"))
            await fetcher.get(site.url("/a.html"))
    assert len(site.requests_to("/robots.txt")) == 1
    assert journal.get_robots(f"127.0.0.1:{site.port}")[0] == 200


async def test_a_site_that_forbids_kiosque_is_not_read(site):
    site.put("/robots.txt", Resource(b"User-agent: Kiosque\nDisallow: /\n\nUser-agent: *\nAllow: /\n", "text/plain"))
    site.put("/a.html", Resource(b"a"))
    with pytest.raises(FetchFailed, match="robots.txt"):
        await fetch(FAST, site.url("/a.html"))
    assert site.requests_to("/a.html") == []
    await fetch(dataclasses.replace(FAST, user_agent="OtherBot/1.0"), site.url("/a.html"))  # the rule names Kiosque


async def test_an_unreadable_robots_txt_stops_the_visit_for_now(site):
    site.put("/robots.txt", Resource(b"", status=503))
    site.put("/a.html", Resource(b"a"))
    async with PoliteFetcher(FAST) as fetcher:
        for _ in range(3):
            with pytest.raises(FetchFailed, match=r"cannot read .*robots.txt: HTTP 503"):
                await fetcher.get(site.url("/a.html"))
    assert site.requests_to("/a.html") == [] and len(site.requests_to("/robots.txt")) == 1  # asked once a run


async def test_per_host_concurrency_and_delay(site):
    page = article_page(orangesum_stories()[0], "Le Canard")
    for i in range(6):
        site.put(f"/p{i}.html", Resource(page, delay_s=0.2))
    policy = dataclasses.replace(FAST, host_concurrency=2, host_delay_s=0.05)
    async with PoliteFetcher(policy) as fetcher:
        await asyncio.gather(*(fetcher.get(site.url(f"/p{i}.html")) for i in range(6)))
    assert site.max_in_flight == 2
    starts = sorted(s.started for s in site.served if s.path.startswith("/p"))
    assert all(b - a >= 0.04 for a, b in zip(starts, starts[1:])), starts


async def test_robots_crawl_delay_is_obeyed(site):
    site.put("/robots.txt", Resource(b"User-agent: *\nCrawl-delay: 1\n", "text/plain"))
    for i in range(2):
        site.put(f"/p{i}.html", Resource(b"p"))
    async with PoliteFetcher(FAST) as fetcher:
        for i in range(2):
            await fetcher.get(site.url(f"/p{i}.html"))
    first, second = [s.started for s in site.served if s.path.startswith("/p")]
    assert second - first >= 0.95


async def test_too_many_redirects(site):
    for i in range(4):
        site.put(f"/r{i}", Resource(b"", location=f"/r{i + 1}"))
    site.put("/r4", Resource(b"end"))
    with pytest.raises(FetchFailed, match=r"too many redirects \(more than 2\)"):
        await fetch(dataclasses.replace(FAST, max_redirects=2), site.url("/r0"))
    got, stats = await fetch(FAST, site.url("/r0"))
    assert got.body == b"end" and got.url.endswith("/r4") and stats.requests == 6  # robots.txt + 5 hops
