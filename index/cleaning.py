"""Clean a scraped article: split off the title, drop the site furniture that follows the story
(related articles, newsletter, "About Us", share buttons, staff blurbs), and read the outlet and the
publication date when the text states them. Everything else stays verbatim, because answers quote it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from index.dates import find_dates

# Zero-width characters and the BOM carry no text; other control characters are noise from scrapers.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

#: lines that start the furniture after a story; everything from such a line on is dropped
_TRAILER_START = re.compile(
    r"""^(
        about\ us | à\ propos | a\ propos | qui\ sommes-nous
      | similaires? | sur\ le\ même\ sujet | articles?\ similaires? | à\ lire\ (aussi|également) | a\ lire\ aussi
      | lire\ aussi | voir\ aussi | related(\ articles|\ posts|\ stories)? | read\ more | you\ may\ also\ like
      | vous\ aimerez\ aussi | nos\ derniers\ articles | les\ plus\ lus | most\ read
      | subscribe | s['’]abonner | abonnez-vous | inscrivez-vous | newsletter | sign\ up\ for | recevez\ notre
      | partager\ cet\ article | partagez\ cet\ article | share\ this | partager\ : | share\ :
      | la\ source\ de\ cet\ article | tags?\ : | mots[-\ ]clés | © | copyright | tous\ droits\ réservés
      | all\ rights\ reserved | le\ staff\ de\ .+\ est\ une\ équipe | the\ staff\ of\ .+\ is\ a\ team
      | la\ rédaction\ de\ .+\ retirera | commentaires? | comments? | laisser\ un\ commentaire | leave\ a\ (reply|comment)
    )(\b|\s|$|:|\.)""",
    re.IGNORECASE | re.VERBOSE,
)
#: a line that is only a site name or domain ("Jforum.fr"), as outlets sign off their stories
_DOMAIN_LINE = re.compile(r"^[\w-]+(\.[\w-]+)*\.(fr|com|org|net|info|be|ch|ca|news|eu|uk|io|tv)$", re.IGNORECASE)
#: bylines directly under the title
_BYLINE = re.compile(
    r"^(editor|éditeur|rédaction|the\ editors|staff|(par|by)\ [A-ZÀ-Ý][\w.' -]{1,60})$", re.IGNORECASE | re.VERBOSE
)

_OUTLET_PATTERNS = [
    re.compile(r"^(?P<o>[A-Z][\w&.' -]{1,60}?) is an? (daily |weekly |monthly |independent |leading )*"
               r"(online |digital |european |international )*(newspaper|news|magazine|media|publication)"),
    re.compile(r"^Le Staff de (?P<o>.{2,60}?) est une équipe", re.IGNORECASE),
    re.compile(r"^The staff of (?P<o>.{2,60}?) is a team", re.IGNORECASE),
    re.compile(r"^La rédaction de (?P<o>[\w&.' -]{2,60}?),? retirera", re.IGNORECASE),
    re.compile(r"^(?P<o>[A-Z][\w&.' -]{1,60}?) est un (quotidien|journal|média|magazine|site d'information)"),
]
#: "Moscou (Le Journal de Bruxelles) 12 janvier 2026 –": city, outlet, date, dash
_DATELINE = re.compile(r"^[A-ZÀ-Ý][\w' -]{1,40}\s*\((?P<o>[^)]{2,60})\)\s*[,–—-]?\s*(?P<rest>.{0,60})")
#: a byline ("Par Jean Dupont | Publié le 12 janvier 2026 à 10h") is short, its "publié le" early
_BYLINE_MAX, _BYLINE_LEAD = 120, 60
_PUBLISHED = re.compile(r"\b(publié le|mis à jour le|published( on)?|updated( on)?)\s*:?\s*", re.IGNORECASE)
#: the signature of an embedded post: "— Name (@handle) August 5, 2024"
_EMBED_SIGNATURE = re.compile(r"^[—–-]\s*.{1,80}\(@\w{1,30}\)\s+(?P<d>.+)$")

TITLE_MAX_CHARS = 200


@dataclass(frozen=True)
class CleanedArticle:
    title: str
    text: str
    title_source: str = "line"
    outlet: str | None = None
    date: str | None = None
    date_source: str = ""


def normalize_text(text: str) -> str:
    """Unicode NFC, Unix newlines, no invisible or control characters, no trailing spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text.replace("\t", " "))
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n ")


def _looks_like_title(line: str) -> bool:
    if len(line) > TITLE_MAX_CHARS:
        return False
    words = line.split()
    return not (line.endswith(".") and len(words) > 25)


def derive_title(text: str, limit: int = 90) -> str:
    """A title for an article that has none: its first sentence, shortened at a word boundary."""
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0].strip()
    if len(first) <= limit:
        return first.rstrip(".")
    cut = first[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _outlet_from(lines: list[str]) -> str | None:
    for line in lines:
        for pattern in _OUTLET_PATTERNS:
            m = pattern.search(line)
            if m:
                return m.group("o").strip(" .,")
    for line in lines:
        if _DOMAIN_LINE.match(line.strip()):
            return line.strip()
    return None


def _split_trailer(lines: list[str]) -> tuple[list[str], list[str]]:
    """(story lines, furniture lines). Furniture starts at the first trailer marker in the last
    part of the article, plus a lone domain line just before it."""
    nonempty = [i for i, line in enumerate(lines) if line.strip()]
    if len(nonempty) < 3:
        return lines, []
    # never cut into the first third of the story: a "Lire aussi" high up is an inline link
    floor = nonempty[max(2, len(nonempty) // 3)]
    cut = None
    for i in range(floor, len(lines)):
        if _TRAILER_START.match(lines[i].strip()):
            cut = i
            break
    if cut is None:
        return lines, []
    j = cut - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if j >= 0 and _DOMAIN_LINE.match(lines[j].strip()):
        cut = j
    return lines[:cut], lines[cut:]


def _find_date(body: str, trailer: list[str]) -> tuple[str | None, str]:
    head = body[:600]
    # a dateline at the start of a paragraph near the top: "Moscou (Outlet) 12 janvier 2026 –"
    for line in head.split("\n")[:6]:
        m = _DATELINE.match(line.strip())
        if m:
            dates = find_dates(m.group("rest"))
            if dates:
                return dates[0].value.isoformat(), "dateline"
    # "Publié le 12/01/2026" on a byline-like line; in a sentence of the story ("le livre, publié le
    # 1er mars 2017, ...") it dates something else (8 of 8 such matches were wrong on OrangeSum)
    for m in _PUBLISHED.finditer(body[:2000] + "\n" + "\n".join(trailer)):
        line_start = m.string.rfind("\n", 0, m.start()) + 1
        line_end = m.string.find("\n", m.end())
        line = m.string[line_start : line_end if line_end >= 0 else len(m.string)]
        if len(line.strip()) > _BYLINE_MAX or len(m.string[line_start : m.start()].strip()) > _BYLINE_LEAD:
            continue
        dates = find_dates(m.string[m.end() : m.end() + 40])
        if dates and dates[0].start == 0:
            return dates[0].value.isoformat(), "published-line"
    # an embedded post is signed with its own date; the story is from the same days
    for line in body.split("\n"):
        m = _EMBED_SIGNATURE.match(line.strip())
        if m:
            dates = find_dates(m.group("d"))
            if dates:
                return dates[0].value.isoformat(), "embedded-post"
    return None, ""


def clean_article(raw: str, *, title: str | None = None) -> CleanedArticle:
    """Clean one article. With ``title`` given (JSONL, HTML metadata) the body is all of ``raw``;
    otherwise the first non-empty line is the title when it looks like one."""
    text = normalize_text(raw)
    lines = text.split("\n")
    title_source = "metadata" if title else "line"
    if title is None:
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is not None and _looks_like_title(lines[first].strip()) and len(lines) > first + 1:
            title = lines[first].strip()
            lines = lines[first + 1 :]
        else:
            title_source = "derived"
    # bylines right under the title ("Editor", "Par Jean Dupont")
    head = [i for i, line in enumerate(lines) if line.strip()][:2]
    for i in head:
        if _BYLINE.match(lines[i].strip()):
            lines[i] = ""
    story, trailer = _split_trailer(lines)
    body = "\n".join(story).strip("\n ")
    body = re.sub(r"\n{3,}", "\n\n", body)
    if not title:
        title = derive_title(body) if body else ""
        title_source = "derived"
    trailer_text = [line.strip() for line in trailer if line.strip()]
    outlet = _outlet_from(trailer_text)
    if outlet is None:
        for line in body[:600].split("\n")[:6]:
            m = _DATELINE.match(line.strip())
            if m:
                outlet = m.group("o").strip()
                break
    date, date_source = _find_date(body, trailer_text)
    return CleanedArticle(
        title=normalize_text(title).replace("\n", " "), text=body, title_source=title_source,
        outlet=outlet, date=date, date_source=date_source,
    )
