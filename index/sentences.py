"""Sentence boundaries as character offsets, for chunking and for quoting single sentences.

News text scraped from the web glues sentences together (``...jeudi.Le gouvernement``) and is full
of abbreviations (``M. Peskov``, ``J.-C.``); this splitter copes with both and never changes the
text: it only returns spans into it.
"""

from __future__ import annotations

import re

#: words after which a period does not end a sentence
ABBREVIATIONS = {
    "m", "mm", "mme", "mmes", "mlle", "dr", "pr", "me", "mgr", "st", "ste", "gén", "gen", "col", "cdt", "lt",
    "sgt", "capt", "prof", "mr", "mrs", "ms", "jr", "sr", "vs", "etc", "cf", "ex", "env", "av", "apr", "no",
    "n°", "vol", "p", "pp", "fig", "art", "al", "inc", "ltd", "co", "corp", "dept", "est", "ouest", "nord",
    "sud", "j.-c", "c.-à-d", "i.e", "e.g", "u.s", "u.k", "u.e", "o.n.u", "jan", "fév", "janv", "févr", "sept",
    "oct", "nov", "déc", "dec", "feb", "aug", "gal",
}
_OPENERS = "\"'«“‘([—–-"
# a terminator, optional closing quotes/brackets, then either space(s) or a capital glued on
_BOUNDARY = re.compile(
    r"(?P<term>[.!?…]+)(?P<close>(?:[\u00a0\u202f ]?[»”]|[\"'’)\]])*)(?P<gap>\s+|(?=[A-ZÀ-ÝŒ«\"“])|(?=-\s[A-ZÀ-Ý]))"
)
_WORD_BEFORE = re.compile(r"([\w.'’\-°]+)$")


def _is_boundary(text: str, m: re.Match) -> bool:
    start, end = m.start(), m.end()
    nxt = text[end : end + 2]
    if not nxt:
        return True
    # what follows must look like a sentence start
    first = nxt[0]
    if nxt == "- ":  # a list glued after a sentence: ".- Secteur aérien"
        return True
    if not (first.isupper() or first.isdigit() or first in _OPENERS or first in "¿¡#@"):
        return False
    if m.group("term") != ".":
        return True
    before = _WORD_BEFORE.search(text[max(0, start - 25) : start])
    word = before.group(1) if before else ""
    bare = word.lower().lstrip("(«\"'“")
    if bare in ABBREVIATIONS or bare.rstrip(".") in ABBREVIATIONS:
        return False
    if len(bare) == 1 and bare.isalpha():  # an initial: "J. Smith", "U.S."
        return False
    if re.fullmatch(r"(\w\.)+\w", bare):  # "U.S", "J.-C" glued initials
        return False
    if not m.group("gap").strip() and not m.group("gap"):
        # glued: "jeudi.Le" only when a real word (2+ letters, lowercase end) precedes
        return len(bare) >= 2 and bare[-1].islower()
    return True


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of the sentences in ``text[start:end]``, whitespace trimmed.
    Line breaks always end a sentence."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        ls, le = start + line.start(), start + line.end()
        cursor = ls
        segment = text[ls:le]
        for m in _BOUNDARY.finditer(segment):
            if _is_boundary(segment, m):
                cut = ls + m.end("close")
                _add(text, spans, cursor, cut)
                cursor = cut
        _add(text, spans, cursor, le)
    return spans


def _add(text: str, spans: list[tuple[int, int]], a: int, b: int) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        spans.append((a, b))
