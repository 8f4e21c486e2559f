"""Canonical article URLs and the stable article ids made from them.

The same story reached through two links (``?utm_source=rss``, ``#comments``, ``HTTP://Example.COM:80``)
is one article: tracking parameters, fragments, default ports and letter case of the host are dropped
before the id is computed. The id is readable (host and slug) and unique (a hash of the whole URL).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: query parameters that say where a click came from, not which page it is
_TRACKING = re.compile(
    r"^(utm_\w+|xtor|xts|at_\w+|fbclid|gclid|dclid|mc_cid|mc_eid|igshid|ref|ref_src|cmpid|ns_\w+"
    r"|__twitter_impression)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_web_url(value: str) -> bool:
    return bool(re.match(r"^https?://[^\s/]+", value or "", re.IGNORECASE))


def feed_entry(entry: str) -> tuple[str | None, str]:
    """A feed as the settings list it, ``URL`` or ``Outlet name=URL``: (the outlet or None, the URL).
    ValueError, naming the entry, for anything else."""
    outlet, url = None, entry.strip()
    if not is_web_url(url) and "=" in url:
        outlet, url = (part.strip() for part in url.split("=", 1))
    if not is_web_url(url):
        raise ValueError(f"{entry!r} is not a feed URL (write http(s)://… or Outlet name=http(s)://…, separated "
                         "by commas)")
    return outlet or None, url


def canonical_url(url: str) -> str:
    """``url`` in one canonical spelling (scheme and host in lower case, no default port, no fragment,
    no tracking parameters, ``/`` for an empty path)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def host_of(url: str) -> str:
    """``host`` or ``host:port`` of a URL, the key of per-host politeness."""
    return urlsplit(url).netloc.lower()


def slugify(text: str, limit: int = 60) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w]+", "-", text.lower(), flags=re.ASCII).strip("-_")
    return text[:limit].rstrip("-_")


def article_id(url: str | None, guid: str | None = None) -> str:
    """A stable id for an article found at ``url`` (or, without a link, known by its feed ``guid``):
    ``host/slug-hash``, e.g. ``www.example.org/incendie-porte-d-orleans-1a2b3c4d5e``."""
    if url:
        canonical = canonical_url(url)
        parts = urlsplit(canonical)
        last = [p for p in parts.path.split("/") if p]
        slug = slugify(re.sub(r"\.(s?html?|php|aspx?)$", "", last[-1], flags=re.IGNORECASE)) if last else ""
        prefix = re.sub(r"[^a-z0-9.\-]+", "-", parts.netloc).strip(".-")[:80] or "web"
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:10]
    else:
        key = (guid or "").strip()
        if not key:
            raise ValueError("an article needs a link or a guid")
        prefix, slug = "guid", slugify(key.rsplit("/", 1)[-1])
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    return f"{prefix}/{slug}-{digest}" if slug else f"{prefix}/{digest}"
