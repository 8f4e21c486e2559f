"""Polite HTTP for feeds and article pages (aiohttp).

What a site owner may expect from a feed reader, and what keeps Kiosque safe from a broken or hostile
site: a `User-Agent` that names Kiosque; ``robots.txt`` read once a day per host and obeyed (its
``Crawl-delay`` too); at most a few requests at a time per host, spaced by a delay; conditional GETs
(ETag / Last-Modified) so that an unchanged feed costs one 304; a timeout on every request; responses
cut off past a size limit (after gzip decoding); redirects followed by hand, so each hop is counted,
checked against ``robots.txt``, and a loop is named as one. Every failure is a `FetchFailed` whose
message is one line a person can read.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import aiohttp

from index.feeds import DEFAULT_USER_AGENT
from index.feeds.urls import host_of

#: robots.txt is re-read after this long (RFC 9309 asks for no more than 24 hours)
ROBOTS_MAX_AGE_S = 24 * 3600
#: a Crawl-delay above this is capped (a site asking for an hour between requests gets a minute)
MAX_CRAWL_DELAY_S = 60.0
_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str = DEFAULT_USER_AGENT
    #: seconds for one request, connection to last byte
    timeout_s: float = 20.0
    #: responses larger than this (decoded) are refused
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    #: seconds between the starts of two requests to one host (robots.txt may ask for more)
    host_delay_s: float = 1.0
    #: requests in flight to one host at a time
    host_concurrency: int = 2
    #: requests in flight in all
    total_concurrency: int = 16


@dataclass(frozen=True)
class Fetched:
    """A response: 200 with its body, or 304 (not modified) without one."""

    url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchFailed(Exception):
    """A URL that could not be fetched; the message is the reason, in one line."""


class RobotsCache(Protocol):
    """Where robots.txt files are kept between runs (the feed journal)."""

    def get_robots(self, host: str) -> tuple[int, str, float] | None: ...

    def put_robots(self, host: str, status: int, text: str) -> None: ...


@dataclass
class FetchStats:
    """What a run cost the sites it visited."""

    requests: int = 0
    by_status: Counter = field(default_factory=Counter)
    bytes: int = 0

    def to_dict(self) -> dict:
        return {"requests": self.requests, "bytes": self.bytes,
                "by_status": {str(k): v for k, v in sorted(self.by_status.items(), key=lambda kv: str(kv[0]))}}


class _Host:
    def __init__(self, policy: FetchPolicy):
        self.slots = asyncio.Semaphore(policy.host_concurrency)
        self.turn = asyncio.Lock()
        self.next_start = 0.0
        self.delay = policy.host_delay_s
        self.robots: asyncio.Future | None = None


class PoliteFetcher:
    """``async with PoliteFetcher(policy) as fetcher: await fetcher.get(url, etag=...)``."""

    def __init__(self, policy: FetchPolicy, robots_cache: RobotsCache | None = None):
        self.policy = policy
        self.robots_cache = robots_cache
        self.stats = FetchStats()
        self._hosts: dict[str, _Host] = {}
        self._session: aiohttp.ClientSession | None = None
        self._all = asyncio.Semaphore(policy.total_concurrency)

    async def __aenter__(self) -> PoliteFetcher:
        p = self.policy
        self._session = aiohttp.ClientSession(
            headers={"User-Agent": p.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=aiohttp.ClientTimeout(total=p.timeout_s, sock_connect=min(p.timeout_s, 10.0)),
            connector=aiohttp.TCPConnector(limit=p.total_concurrency, ttl_dns_cache=300),
            auto_decompress=True,
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- public -----------------------------------------------------------------------------------
    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                  accept: str | None = None) -> Fetched:
        """GET ``url`` politely, following redirects; raises FetchFailed with the reason."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        chain = [url]
        current = url
        for _hop in range(self.policy.max_redirects + 1):
            if not await self._allowed(current):
                raise FetchFailed("disallowed by the site's robots.txt")
            location, fetched = await self._request(current, headers)
            if location is None:
                if fetched.status not in (200, 304):
                    raise FetchFailed(f"HTTP {fetched.status} {fetched.content_type}".rstrip())
                return fetched
            nxt = urljoin(current, location)
            if urlsplit(nxt).scheme not in ("http", "https"):
                raise FetchFailed(f"redirected to a non-web address ({nxt[:100]})")
            if nxt in chain:
                raise FetchFailed(f"redirect loop ({' → '.join(_short(u) for u in chain + [nxt])})")
            chain.append(nxt)
            current = nxt
        raise FetchFailed(f"too many redirects (more than {self.policy.max_redirects})")

    # -- one request --------------------------------------------------------------------------------
    def _host(self, url: str) -> _Host:
        key = host_of(url)
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(self.policy)
        return host

    async def _request(self, url: str, headers: dict) -> tuple[str | None, Fetched | None]:
        """One hop: (redirect location, None) or (None, response); an error status is a response whose
        ``content_type`` holds the reason phrase and whose body is not read."""
        host = self._host(url)
        p = self.policy
        async with host.slots, self._all:
            async with host.turn:  # starts to one host are spaced by its delay
                loop = asyncio.get_running_loop()
                wait = host.next_start - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                host.next_start = loop.time() + host.delay
            self.stats.requests += 1
            try:
                async with self._session.get(url, headers=headers, allow_redirects=False) as resp:
                    self.stats.by_status[resp.status] += 1
                    if resp.status in _REDIRECTS:
                        location = resp.headers.get("Location")
                        if not location:
                            raise FetchFailed(f"HTTP {resp.status} redirect without a Location")
                        return location, None
                    if resp.status == 304:
                        return None, Fetched(url, 304, etag=resp.headers.get("ETag"),
                                             last_modified=resp.headers.get("Last-Modified"))
                    if resp.status != 200:
                        return None, Fetched(url, resp.status, content_type=resp.reason or "")
                    body = await self._read(resp)
                    return None, Fetched(
                        str(resp.url), 200, body, resp.content_type or "", resp.charset,
                        resp.headers.get("ETag"), resp.headers.get("Last-Modified"))
            except FetchFailed:
                raise
            except asyncio.TimeoutError:
                self.stats.by_status["timeout"] += 1
                raise FetchFailed(f"timed out after {p.timeout_s:g} s") from None
            except aiohttp.ClientConnectorError as exc:
                self.stats.by_status["no connection"] += 1
                why = getattr(exc.os_error, "strerror", None) or str(exc.os_error or exc)
                raise FetchFailed(f"cannot connect to {host_of(url)} ({why})") from None
            except aiohttp.ClientPayloadError as exc:
                raise FetchFailed(f"broken response body ({_first_line(exc)})") from None
            except aiohttp.ClientError as exc:
                raise FetchFailed(f"{type(exc).__name__}: {_first_line(exc)}") from None

    async def _read(self, resp: aiohttp.ClientResponse) -> bytes:
        limit = self.policy.max_bytes
        if resp.content_length is not None and resp.content_length > limit and \
                not resp.headers.get("Content-Encoding"):
            raise FetchFailed(f"response too large ({resp.content_length:,} bytes; the limit is {limit:,})")
        parts, size = [], 0
        async for chunk in resp.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > limit:
                raise FetchFailed(f"response too large (more than {limit:,} bytes)")
            parts.append(chunk)
        self.stats.bytes += size
        return b"".join(parts)

    # -- robots.txt -----------------------------------------------------------------------------------
    async def _allowed(self, url: str) -> bool:
        host = self._host(url)
        if host.robots is None:
            host.robots = asyncio.ensure_future(self._load_robots(url, host))
        parser = await asyncio.shield(host.robots)
        return parser is None or parser.can_fetch(self.policy.user_agent, url)

    async def _load_robots(self, url: str, host: _Host) -> RobotFileParser | None:
        """The host's rules (None: everything allowed). A robots.txt that cannot be read for a
        transient reason (5xx, timeout, no connection) fails the host's URLs this run: better to wait
        than to trespass."""
        key = host_of(url)
        cached = self.robots_cache.get_robots(key) if self.robots_cache else None
        if cached and time.time() - cached[2] < ROBOTS_MAX_AGE_S:
            status, text = cached[0], cached[1]
        else:
            parts = urlsplit(url)
            robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
            try:
                status, text = await self._get_robots(robots_url)
            except FetchFailed as exc:  # every URL of this host fails at once this run; the next run retries
                raise FetchFailed(f"cannot read {key}/robots.txt: {exc}") from None
            if self.robots_cache:
                self.robots_cache.put_robots(key, status, text)
        return self._rules(status, text, host)

    async def _get_robots(self, robots_url: str) -> tuple[int, str]:
        """(status, text) of a robots.txt; a 5xx or a network failure raises (try again later)."""
        current = robots_url
        for _ in range(self.policy.max_redirects + 1):
            location, fetched = await self._request(current, {})
            if location is None:
                if fetched.status >= 500:
                    raise FetchFailed(f"HTTP {fetched.status} {fetched.content_type}".rstrip())
                return fetched.status, fetched.body.decode("utf-8", "replace")
            current = urljoin(current, location)
        return 404, ""  # a redirect maze for robots.txt: treated as no robots.txt

    def _rules(self, status: int, text: str, host: _Host) -> RobotFileParser | None:
        parser = RobotFileParser()
        if status in (401, 403):
            parser.disallow_all = True
            return parser
        if status != 200:
            return None
        parser.parse(text.splitlines())
        delay = parser.crawl_delay(self.policy.user_agent)
        if delay:
            host.delay = max(host.delay, min(float(delay), MAX_CRAWL_DELAY_S))
        return parser


def _short(url: str) -> str:
    parts = urlsplit(url)
    return parts.path or "/" if parts.netloc else url


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
