"""RSS 0.9x/1.0 (RDF)/2.0 and Atom feeds, read with feedparser, as the items Kiosque tracks.

An item's date is the one the feed gives (published, else updated), read from the feed's own text so
that an article published at 23:30 in Paris stays on its day; its fingerprint changes when the feed
says the item changed (title, link or dates), which is when its page is fetched again.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import feedparser

from index.dates import parse_date
from index.feeds.urls import canonical_url, is_web_url


@dataclass(frozen=True)
class FeedItem:
    url: str | None
    guid: str | None
    title: str | None
    #: YYYY-MM-DD, as the feed dates the item
    date: str | None
    fingerprint: str


@dataclass
class ParsedFeed:
    title: str | None
    items: list[FeedItem] = field(default_factory=list)
    #: the XML was malformed but feedparser recovered these items: the feed is read, and retried in full
    problem: str | None = None


class NotAFeed(Exception):
    """The response is no feed; the message says what it is instead."""


def _entry_date(entry) -> str | None:
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        parsed = parse_date(raw) if raw else None
        if parsed:
            return parsed
        struct = entry.get(f"{key}_parsed")
        if struct:
            return datetime.fromtimestamp(calendar.timegm(struct), timezone.utc).date().isoformat()
    return None


def _fingerprint(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:20]


def _looks_like_html(body: bytes, content_type: str) -> bool:
    head = body[:2048].lstrip().lower()
    return "html" in (content_type or "").lower() or head.startswith((b"<!doctype html", b"<html"))


def parse_feed(body: bytes, url: str, content_type: str = "", charset: str | None = None) -> ParsedFeed:
    """The items of a feed; raises NotAFeed for an HTML page, malformed XML with no item, or anything else."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type + (f"; charset={charset}" if charset else "")
    if not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise NotAFeed(f"not an RSS or Atom feed ({content_type or 'no content type'}, no XML)")
    doc = feedparser.parse(body, response_headers=headers)
    entries = doc.get("entries") or []
    problem = None
    if doc.get("bozo") and not entries:
        if _looks_like_html(body, content_type) and not doc.get("version"):
            raise NotAFeed(f"not a feed: the server sent an HTML page ({content_type or 'no content type'})")
        raise NotAFeed(f"malformed feed XML ({_reason(doc.get('bozo_exception'))})")
    if not doc.get("version") and not entries:
        if _looks_like_html(body, content_type):
            raise NotAFeed(f"not a feed: the server sent an HTML page ({content_type or 'no content type'})")
        raise NotAFeed(f"not an RSS or Atom feed ({content_type or 'no content type'})")
    if doc.get("bozo") and isinstance(doc.get("bozo_exception"), Exception) and \
            not isinstance(doc.get("bozo_exception"), feedparser.CharacterEncodingOverride):
        problem = f"malformed feed XML ({_reason(doc.get('bozo_exception'))}); {len(entries)} item(s) read anyway"
    items = []
    for entry in entries:
        link = entry.get("link") or None
        link = canonical_url(link) if link and is_web_url(link) else None
        guid = (entry.get("id") or "").strip() or None
        if link is None and guid is None:
            continue
        if link is None and guid and is_web_url(guid):
            link = canonical_url(guid)
        title = " ".join((entry.get("title") or "").split()) or None
        date = _entry_date(entry)
        items.append(FeedItem(link, guid, title, date, _fingerprint(title, link, guid, date,
                                                                     entry.get("updated") or entry.get("published"))))
    title = " ".join((doc.get("feed", {}).get("title") or "").split()) or None
    return ParsedFeed(title, items, problem)


def _reason(exc) -> str:
    text = str(exc or "unknown error").strip().splitlines()[0]
    return re.sub(r"^<unknown>:", "line ", text)[:160]
