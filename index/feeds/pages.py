"""An article page fetched from the web, as an `Article`: its bytes decoded, its story extracted by
trafilatura (site furniture dropped), and what the feed said about it (title, date, outlet) kept."""

from __future__ import annotations

import codecs
import re

from index.articles import Article, LoadProblem
from index.loading import article_from_html, decode_bytes

#: a page whose story is shorter than this is a page without a story (a video, a gallery, an index)
MIN_TEXT_CHARS = 80
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


def decode_page(body: bytes, charset: str | None) -> tuple[str | None, str | None]:
    """(text, note) or (None, reason): the charset the server or the page declares, else UTF-8, else
    the likeliest legacy encoding (Windows-1252 / Latin-1 for old French sites)."""
    declared = charset or (m.group(1).decode("ascii", "ignore") if (m := _META_CHARSET.search(body[:4096])) else None)
    if declared:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            codec = None
        if codec:
            try:
                return body.decode(codec), None if codec in ("utf-8", "ascii") else f"decoded as {declared}"
            except UnicodeDecodeError:
                pass
    return decode_bytes(body)


def article_from_page(body: bytes, *, article_id: str, url: str, charset: str | None = None,
                      title: str | None = None, date: str | None = None,
                      outlet: str | None = None) -> Article | LoadProblem:
    """The article at ``url``. ``title``, ``date`` and ``outlet`` (from the feed, or the command line)
    win over the page's metadata; without them the page's own are used."""
    html, note = decode_page(body, charset)
    if html is None:
        return LoadProblem(url, note or "not a text page", article_id=article_id)
    article = article_from_html(article_id, url, html, url=url, guess_dates=False,
                                known={"title": title, "date": date, "source": outlet, "url": url})
    if isinstance(article, Article) and len(article.text) < MIN_TEXT_CHARS:
        return LoadProblem(url, f"no article text found in the page (only {len(article.text)} characters)",
                           article_id=article_id)
    return article
