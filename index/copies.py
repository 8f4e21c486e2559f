"""Wire copies: the same agency story republished by several outlets. They are found at ingest
(MinHash over word shingles, then checked exactly) so that answers list one source with all its
outlets instead of filling the top results with copies.

An *update* is not a copy: a later version of a story that changes a figure or a name keeps its
own identity, so that answers can show both values with their dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import numpy as np

from index.keyword import fold

NUM_PERM = 64
#: datasketch's permutation scheme, pinned: stored signatures must stay comparable across versions
SCHEME = "affine32"
SHINGLE = 5
#: estimated Jaccard similarity of word 5-grams above which two articles may be copies
THRESHOLD = 0.7
#: copies of a wire story appear within days of each other
MAX_DAYS_APART = 3
_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,\s]\d+)*")


def shingles(text: str) -> set[bytes]:
    words = _WORD.findall(fold(text))
    if len(words) < SHINGLE:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}


def signature(text: str) -> np.ndarray:
    from datasketch import MinHash

    m = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    m.update_batch(list(shingles(text)))
    return m.hashvalues.astype(np.uint64)


def numbers(text: str) -> list[str]:
    return sorted(re.sub(r"[\s.,]", "", n) for n in _NUMBER.findall(text))


def _days_apart(a: str | None, b: str | None) -> int:
    if not a or not b:
        return 0
    return abs((date.fromisoformat(a) - date.fromisoformat(b)).days)


def is_copy(text_a: str, text_b: str, date_a: str | None, date_b: str | None) -> bool:
    """The exact check behind the MinHash candidates: mostly the same words, the same figures,
    published within a few days."""
    sa, sb = shingles(text_a), shingles(text_b)
    if not sa or not sb:
        return False
    jaccard = len(sa & sb) / len(sa | sb)
    return jaccard >= THRESHOLD and numbers(text_a) == numbers(text_b) and _days_apart(date_a, date_b) <= MAX_DAYS_APART


def group(articles: Iterable[tuple[str, np.ndarray, str | None]], load_text) -> dict[str, str]:
    """Map every article id that has copies to its group's canonical id (the earliest-dated, then
    smallest id). ``articles``: (id, signature, date); ``load_text(ids) -> {id: text}``."""
    from datasketch import MinHash, MinHashLSH

    items = list(articles)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    dates = {}
    for aid, sig, d in items:
        lsh.insert(aid, MinHash(num_perm=NUM_PERM, seed=1, hashvalues=sig, scheme=SCHEME))
        dates[aid] = d
    parent = {aid: aid for aid, _, _ in items}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    candidates: set[tuple[str, str]] = set()
    for aid, sig, _ in items:
        for other in lsh.query(MinHash(num_perm=NUM_PERM, seed=1, hashvalues=sig, scheme=SCHEME)):
            if other != aid:
                candidates.add((min(aid, other), max(aid, other)))
    if candidates:
        texts = load_text({x for pair in candidates for x in pair})
        for a, b in sorted(candidates):
            if is_copy(texts[a], texts[b], dates[a], dates[b]):
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = {}
    for aid in parent:
        members.setdefault(find(aid), []).append(aid)
    out: dict[str, str] = {}
    for ids in members.values():
        if len(ids) > 1:
            canonical = min(ids, key=lambda i: (dates[i] or "9999", i))
            out.update({i: canonical for i in ids})
    return out
