"""A news site on 127.0.0.1 for the feed tests and benchmark: RSS 2.0, Atom and RDF feeds, article pages
wrapped in site furniture, and every way a real site fails (slow, 304, 404, 500, broken XML, HTML instead
of XML, gzip, Latin-1, redirect loops, oversize).

It runs in its own thread with its own event loop (like the fake Discord), answers conditional GETs
(ETag and Last-Modified) as a well-behaved server does, and records every request it serves, so tests
can count what Kiosque cost it and check how politely it asked.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

from aiohttp import web

from index.feeds.urls import slugify
from index.loading import load_paths
from tests.conftest import SEEDS

ORANGESUM_SAMPLE = Path(__file__).parent / "data" / "orangesum_sample.jsonl"


@dataclass
class Story:
    """An article as the site publishes it."""

    slug: str
    title: str
    paragraphs: list[str]
    #: the publication date the feed gives (None: the feed says nothing, the page may)
    date: str | None = None
    #: a date only the page's metadata gives
    page_date: str | None = None
    #: bumped when the story is edited (the feed's <updated>)
    revision: int = 0

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay_s: float = 0.0
    gzip: bool = False
    location: str | None = None
    #: Last-Modified of this version (changes with the body)
    modified: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class Served:
    path: str
    status: int
    headers: dict
    started: float
    ended: float = 0.0


# -- the stories -----------------------------------------------------------------------------------
def paragraphs_of(text: str) -> list[str]:
    # OrangeSum's text joins sentences without a space ("étage.Tous"): the page had paragraphs there
    text = re.sub(r"([.!?»])(?=[A-ZÀ-Ý«])", r"\1\n", text)
    return [p.strip() for p in text.split("\n") if p.strip()]


def seed_stories() -> dict[str, Story]:
    """The five seeds, cleaned as Kiosque reads them, keyed by seed id."""
    out = {}
    for a in load_paths([SEEDS], SEEDS, 10**7):
        out[a.id] = Story(a.id.split("_")[0] + "-" + slugify(a.title, 40), a.title, paragraphs_of(a.text))
    return out


def orangesum_stories() -> list[Story]:
    """A handful of OrangeSum articles with their true dates."""
    stories = []
    for line in ORANGESUM_SAMPLE.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        stories.append(Story(r["doc_id"], r["title"], paragraphs_of(r["text"]), date=r["date"]))
    return stories


# -- documents -------------------------------------------------------------------------------------
def article_page(story: Story, site: str, *, charset: str = "utf-8") -> bytes:
    """The story inside a site's furniture: navigation, a related-articles box, a newsletter form, a footer."""
    nav = "".join(f'<li><a href="/rubrique/{i}">Rubrique {i}</a></li>' for i in range(25))
    related = "".join(f'<li><a href="/articles/autre-{i}.html">Un autre article, numéro {i}, à lire aussi</a></li>'
                      for i in range(8))
    meta = f'<meta property="article:published_time" content="{story.page_date}T08:00:00+02:00">' \
        if story.page_date else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
    html = (
        f'<!doctype html><html lang="fr"><head><meta charset="{charset}"><title>{escape(story.title)} | {escape(site)}'
        f'</title><meta property="og:site_name" content="{escape(site)}">{meta}</head><body>'
        f'<header><div class="logo">{escape(site)}</div><nav><ul>{nav}</ul></nav></header>'
        f'<main><article><h1>{escape(story.title)}</h1><div class="byline">Par la rédaction</div>{body}</article>'
        f'<aside><h2>Lire aussi</h2><ul>{related}</ul></aside></main>'
        f'<section class="newsletter"><h2>Newsletter</h2><form><input type="email" placeholder="Votre e-mail">'
        f'<button>Je m\'abonne</button></form></section>'
        f'<footer><p>© {escape(site)} — Tous droits réservés</p><a href="/mentions">Mentions légales</a></footer>'
        f'</body></html>'
    )
    return html.encode(charset, "xmlcharrefreplace")  # what a Latin-1 site does with an em dash


def _rfc822(iso: str, revision: int = 0) -> str:
    d = datetime.fromisoformat(iso).replace(hour=9, minute=revision % 60, tzinfo=timezone.utc)
    return format_datetime(d)


def _rfc3339(iso: str | None, revision: int = 0) -> str:
    return f"{iso or '2020-01-01'}T09:{revision % 60:02d}:00+00:00"


def rss(title: str, base: str, items: list[tuple[str, Story]], encoding: str = "utf-8") -> bytes:
    """RSS 2.0: ``items`` are (article URL, story)."""
    entries = "".join(
        f"<item><title>{escape(s.title)}</title><link>{escape(u)}</link><guid isPermaLink=\"true\">{escape(u)}</guid>"
        + (f"<pubDate>{_rfc822(s.date, s.revision)}</pubDate>" if s.date else "")
        + f"<description>{escape(s.paragraphs[0][:200])}</description></item>"
        for u, s in items)
    return (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>{base}/</link><description>Les dernières nouvelles</description>{entries}</channel></rss>"
            ).encode(encoding)


def atom(title: str, base: str, items: list[tuple[str, Story]]) -> bytes:
    entries = "".join(
        f'<entry><title>{escape(s.title)}</title><link rel="alternate" href="{escape(u)}"/>'
        f"<id>tag:{base.split('//')[1]},2020:{s.slug}</id>"
        + (f"<published>{_rfc3339(s.date)}</published>" if s.date else "")
        + f"<updated>{_rfc3339(s.date, s.revision)}</updated>"
        f"<summary>{escape(s.paragraphs[0][:200])}</summary></entry>"
        for u, s in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f'<title>{escape(title)}</title><id>{base}/</id><updated>2026-01-01T00:00:00Z</updated>'
            f'<link rel="self" href="{base}/feed"/>{entries}</feed>').encode("utf-8")


def rdf(title: str, base: str, items: list[tuple[str, Story]]) -> bytes:
    """RSS 1.0 (RDF), dates in Dublin Core."""
    seq = "".join(f'<rdf:li rdf:resource="{escape(u)}"/>' for u, _ in items)
    entries = "".join(
        f'<item rdf:about="{escape(u)}"><title>{escape(s.title)}</title><link>{escape(u)}</link>'
        + (f"<dc:date>{_rfc3339(s.date, s.revision)}</dc:date>" if s.date else "")
        + f"<description>{escape(s.paragraphs[0][:200])}</description></item>"
        for u, s in items)
    return ('<?xml version="1.0" encoding="utf-8"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<channel rdf:about="{base}/"><title>{escape(title)}</title><link>{base}/</link>'
            f"<description>Nouvelles</description><items><rdf:Seq>{seq}</rdf:Seq></items></channel>{entries}"
            "</rdf:RDF>").encode("utf-8")


FORMATS = {"rss": (rss, "application/rss+xml"), "atom": (atom, "application/atom+xml"),
           "rdf": (rdf, "application/rdf+xml")}


# -- the server ------------------------------------------------------------------------------------
class FeedSite:
    """``site = FeedSite().start()``; ``site.url("/feeds/x.rss")``; ``site.stop()``."""

    def __init__(self, *, robots: str = "User-agent: *\nDisallow: /private/\n"):
        self.resources: dict[str, Resource] = {}
        self.served: list[Served] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.port = 0
        self._feeds: dict[str, tuple[str, str, list[tuple[str, Story]]]] = {}
        self._site_of: dict[str, str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.put("/robots.txt", Resource(robots.encode(), "text/plain"))

    # -- life ------------------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> FeedSite:
        started = threading.Event()

        def serve():
            loop = self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._start())
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="feed-site", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the feed site did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    # -- content ---------------------------------------------------------------------------------
    def put(self, path: str, resource: Resource) -> None:
        self.resources[path] = resource

    def publish(self, path: str, story: Story, site: str, *, charset: str = "utf-8", **kw) -> str:
        """An article page; returns its URL."""
        self._site_of[path] = site
        self.put(path, Resource(article_page(story, site, charset=charset), f"text/html; charset={charset}", **kw))
        return self.url(path)

    def feed(self, path: str, kind: str, title: str, stories: list[Story], *, site: str | None = None,
             prefix: str = "/articles/") -> list[str]:
        """A feed of ``kind`` (rss, atom, rdf) listing ``stories``, each published at prefix + slug + .html;
        returns the article URLs."""
        items = []
        for s in stories:
            page = f"{prefix}{s.slug}.html"
            if page not in self.resources:
                self.publish(page, s, site or title)
            items.append((self.url(page), s))
        self._feeds[path] = (kind, title, items)
        self._render_feed(path)
        return [u for u, _ in items]

    def _render_feed(self, path: str) -> None:
        kind, title, items = self._feeds[path]
        build, content_type = FORMATS[kind]
        old = self.resources.get(path)
        body = build(title, self.base, items)
        if old is None or old.body != body:
            self.put(path, Resource(body, content_type))

    def append(self, path: str, story: Story, *, prefix: str = "/articles/") -> str:
        """Publish one more story in the feed at ``path``; returns its URL."""
        kind, title, items = self._feeds[path]
        return self.feed(path, kind, title, [s for _, s in items] + [story], prefix=prefix)[-1]

    def edit(self, story: Story, new_paragraphs: list[str]) -> None:
        """Change a published story: its page, and its entry in every feed (a later <updated>)."""
        story.paragraphs = new_paragraphs
        story.revision += 1
        for path, site in self._site_of.items():
            if path.endswith(f"/{story.slug}.html"):
                old = self.resources[path]
                self.put(path, Resource(article_page(story, site), old.content_type))
        for path in self._feeds:
            self._render_feed(path)

    def withdraw(self, feed_path: str, story: Story) -> None:
        """Drop a story from a feed (its page stays)."""
        kind, title, items = self._feeds[feed_path]
        self._feeds[feed_path] = (kind, title, [(u, s) for u, s in items if s is not story])
        self._render_feed(feed_path)

    def requests_to(self, path: str) -> list[Served]:
        return [s for s in self.served if s.path == path]

    # -- serving ---------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        served = Served(path, 0, dict(request.headers), time.monotonic())
        self.served.append(served)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            response = await self._respond(request, path)
            served.status = response.status
            return response
        finally:
            self.in_flight -= 1
            served.ended = time.monotonic()

    async def _respond(self, request: web.Request, path: str) -> web.StreamResponse:
        res = self.resources.get(path)
        if res is None:
            return web.Response(status=404, text="<html><body>Page introuvable</body></html>", content_type="text/html")
        if res.delay_s:
            await asyncio.sleep(res.delay_s)
        if res.location:
            raise web.HTTPFound(res.location)
        if res.status != 200:
            return web.Response(status=res.status, text=f"<html><body>Erreur {res.status}</body></html>",
                                content_type="text/html")
        modified = format_datetime(datetime.fromtimestamp(int(res.modified), timezone.utc), usegmt=True)
        headers = {"ETag": res.etag, "Last-Modified": modified, "Content-Type": res.content_type}
        if request.headers.get("If-None-Match") == res.etag or (
                "If-None-Match" not in request.headers and request.headers.get("If-Modified-Since") == modified):
            return web.Response(status=304, headers={"ETag": res.etag, "Last-Modified": modified})
        body = res.body
        if res.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=body, headers=headers)


# -- the sites the tests read ------------------------------------------------------------------------
@dataclass
class News:
    """Feeds of the seeds and of OrangeSum articles, in the three formats."""

    feeds: dict[str, str]
    seeds: dict[str, Story]
    orangesum: list[Story]

    def story(self, key: str) -> Story:
        return self.seeds[key] if key in self.seeds else next(s for s in self.orangesum if s.slug == key)


#: the dates and outlets the news site gives the seeds (the seeds themselves lack most of them)
SEED_FEEDS = {
    "allisrael": ("rss", "All Israel News",
                  {"000_479cb51d5ccf07b4": "2026-01-17", "003_747d8f32a30fbfc0": "2024-08-05"}),
    "jforum": ("atom", "JForum", {"002_c0b1337957862e59": "2025-06-23"}),
    "brussels": ("rdf", "Brussels Morning", {"004_49cb5cfbe3980482": "2026-01-12", "001_e8db62af22f3ad35": None}),
}
#: a date only the page's metadata gives (the RDF item has no dc:date)
PAGE_ONLY_DATE = ("001_e8db62af22f3ad35", "2023-10-16")


def publish_news(site: FeedSite, *, seeds: bool = True, orangesum: bool = True) -> News:
    """RSS 2.0, Atom and RDF feeds of the seeds; an Atom and an RDF feed of OrangeSum articles (true dates)."""
    feeds: dict[str, str] = {}
    stories = seed_stories()
    if seeds:
        for name, (kind, title, dated) in SEED_FEEDS.items():
            listed = []
            for key, day in dated.items():
                stories[key].date = day
                if key == PAGE_ONLY_DATE[0]:
                    stories[key].page_date = PAGE_ONLY_DATE[1]
                listed.append(stories[key])
            path = f"/feeds/{name}.{kind}"
            site.feed(path, kind, title, listed)
            feeds[name] = site.url(path)
    sample = orangesum_stories()
    if orangesum:
        site.feed("/feeds/orange.atom", "atom", "Orange Actu", sample[:2], prefix="/actu/")
        site.feed("/feeds/faits-divers.rdf", "rdf", "Orange Actu", sample[2:4], prefix="/actu/")
        feeds["orange"], feeds["faits-divers"] = site.url("/feeds/orange.atom"), site.url("/feeds/faits-divers.rdf")
    return News(feeds, stories, sample)


@dataclass
class Trouble:
    """A feed whose pages fail in every way, feeds that fail, and the few odd ones that must work."""

    #: feed name -> URL
    feeds: dict[str, str]
    #: page name -> URL, for the pages of the `pages` feed
    pages: dict[str, str]
    #: the reason each failure is expected to be reported with
    reasons: dict[str, str]
    latin1: Story = None
    gzipped: Story = None


def publish_trouble(site: FeedSite, *, timeout_s: float, max_bytes: int) -> Trouble:
    """Everything that goes wrong on the web. ``timeout_s`` and ``max_bytes`` are the fetch policy's."""
    sample = orangesum_stories()
    latin1, gzipped, healed = sample[4], sample[5], sample[0]
    pages = {
        "latin1": site.publish("/actu/latin1.html", latin1, "Le Canard", charset="iso-8859-1"),
        "gzip": site.publish("/actu/gzip.html", gzipped, "Le Canard", gzip=True),
    }
    broken = {
        "missing": (Resource(b"", status=404), "HTTP 404"),
        "error": (Resource(b"", status=500), "HTTP 500"),
        "slow": (Resource(article_page(healed, "Le Canard"), delay_s=timeout_s * 3), "timed out"),
        "huge": (Resource(b"<html><body><p>" + b"x" * (max_bytes + 50_000) + b"</p></body></html>"), "too large"),
        "loop": (Resource(b"", location="/broken/loop-back.html"), "redirect loop"),
        "empty": (Resource(b"<html><head><title>Video</title></head><body><nav><a href='/'>Accueil</a></nav>"
                           b"<iframe src='/player/1'></iframe></body></html>"), "no article text"),
    }
    site.put("/broken/loop-back.html", Resource(b"", location="/broken/loop.html"))
    for name, (res, _) in broken.items():
        site.put(f"/broken/{name}.html", res)
        pages[name] = site.url(f"/broken/{name}.html")
    site.put("/private/secret.html", Resource(article_page(healed, "Le Canard")))
    pages["robots"] = site.url("/private/secret.html")
    reasons = {name: why for name, (_, why) in broken.items()} | {"robots": "robots.txt"}
    items = [(url, Story(name, f"Article {name}", [f"Résumé de l'article {name}."], date="2020-06-01"))
             for name, url in pages.items()]
    site.put("/feeds/pages.rss", Resource(rss("Le Canard", site.base, items), "application/rss+xml"))

    feeds = {"pages": site.url("/feeds/pages.rss")}
    bad_feeds = {
        "missing": (Resource(b"", status=404), "HTTP 404"),
        "error": (Resource(b"", status=500), "HTTP 500"),
        "broken": (Resource(b'<?xml version="1.0"?><rss version="2.0"><channel><title>X</title><<<>>></rss>',
                            "application/rss+xml"), "malformed feed XML"),
        "html": (Resource(article_page(healed, "Le Canard")), "not a feed: the server sent an HTML page"),
        "slow": (Resource(rss("Lent", site.base, []), "application/rss+xml", delay_s=timeout_s * 3), "timed out"),
        "loop": (Resource(b"", location="/feeds/loop.rss"), "redirect loop"),
    }
    for name, (res, why) in bad_feeds.items():
        site.put(f"/feeds/{name}.rss", res)
        feeds[name] = site.url(f"/feeds/{name}.rss")
        reasons[f"feed-{name}"] = why
    # two odd feeds that are fine: gzip-compressed, and Latin-1 encoded
    site.put("/feeds/gzip.rss", Resource(rss("Le Canard", site.base, [(pages["gzip"], gzipped)]),
                                         "application/rss+xml", gzip=True))
    site.put("/feeds/latin1.rss", Resource(rss("Le Canard", site.base, [(pages["latin1"], latin1)], "iso-8859-1"),
                                           "application/rss+xml; charset=iso-8859-1"))
    feeds["gzip"], feeds["latin1"] = site.url("/feeds/gzip.rss"), site.url("/feeds/latin1.rss")
    return Trouble(feeds, pages, reasons, latin1, gzipped)
