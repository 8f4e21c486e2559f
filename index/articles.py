"""The article record every other part of Kiosque reads: cleaned text plus what we know about it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    """One cleaned article. ``text`` is what answers quote, so it stays verbatim: offsets of
    chunks and citations index into it."""

    id: str
    title: str
    text: str
    #: ISO date (YYYY-MM-DD) when known
    date: str | None = None
    #: where the date comes from: metadata, dateline, published-line, embedded-post, mentioned
    date_source: str = ""
    outlet: str | None = None
    url: str | None = None
    #: the file (and line, for JSONL) it was read from, relative to the corpus root
    source: str = ""
    #: "line" (first line of the file), "metadata", or "derived" (from the first sentence)
    title_source: str = "line"
    language: str | None = None

    @property
    def content_hash(self) -> str:
        """Changes whenever anything we index or show changes; drives incremental ingest."""
        payload = json.dumps(
            [self.title, self.text, self.date, self.date_source, self.outlet, self.url, self.language],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def text_hash(self) -> str:
        """Identical body text under two ids is the same article twice."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LoadProblem:
    """A file (or record) that could not be ingested, with a reason a person can act on."""

    source: str
    reason: str
    #: "skipped" = not ingested; "warning" = ingested, but something was odd (e.g. decoded as cp1252)
    severity: str = "skipped"
    #: the id the article would have had, when known (a sync keeps its indexed version)
    article_id: str | None = None

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"

