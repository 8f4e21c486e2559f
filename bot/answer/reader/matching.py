"""How the reader decides that a word of the question is in a sentence: analysed terms (stemmed,
accent-folded) match exactly or as a derivation (assassiné ~ assassinat: one stem a prefix of the
other), and names match across transliterations (Shoigu ~ Choïgou, Netanyahu ~ Netanyahou)."""

from __future__ import annotations

import os
import re
from difflib import SequenceMatcher
from functools import lru_cache

from bot.answer.reader.lexicon import NOT_NAMES, WORD
from index.keyword import fold


@lru_cache(maxsize=200_000)
def name_key(word: str) -> str:
    """A spelling-tolerant key for names across French/English transliterations."""
    w = fold(word).strip("'’-")
    w = re.sub(r"^(l|d|qu)['’]", "", w)
    for a, b in (("sh", "ch"), ("ph", "f"), ("kh", "h"), ("ou", "u"), ("y", "i"), ("k", "c"), ("w", "v"),
                 ("dj", "j"), ("tch", "ch")):
        w = w.replace(a, b)
    return w


@lru_cache(maxsize=100_000)
def similar_keys(a: str, b: str) -> bool:
    """Same name: equal keys, a near spelling (Goffman / Gofman, Téhéran / Tehran), or a shared
    stem of at least four letters (Russie / russe, Iran / iranien)."""
    if a == b:
        return True
    if min(len(a), len(b)) < 4:
        return False
    common = len(os.path.commonprefix([a, b]))
    if common >= 4 and common >= 0.6 * min(len(a), len(b)):
        return True
    m = SequenceMatcher(None, a, b)  # the quick ratios are upper bounds of ratio(), and cheap
    return m.real_quick_ratio() >= 0.8 and m.quick_ratio() >= 0.8 and m.ratio() >= 0.8


@lru_cache(maxsize=1024)
def word_keys(text: str) -> frozenset[str]:
    """The name keys of a text's words; kept for the sentences that recur question after question.
    (The caches here are bounded for a bot that runs for months: a sentence's keys take ~2 KB.)"""
    return frozenset(name_key(w) for w in WORD.findall(text))


@lru_cache(maxsize=1024)
def _by_initial(keys: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """``keys`` grouped by first letter: a near spelling shares its first letter (``_part_in``)."""
    groups: dict[str, list[str]] = {}
    for k in keys:
        groups.setdefault(k[:1], []).append(k)
    return {initial: tuple(ks) for initial, ks in groups.items()}


def name_parts(name: str) -> list[str]:
    parts = [name_key(p) for p in WORD.findall(name) if fold(p) not in NOT_NAMES]
    return [p for p in parts if len(p) > 1]


def name_in(name: str, keys: set[str]) -> bool:
    """Is the (possibly multi-word) ``name`` in a text whose word keys are ``keys``? A person is
    found by the surname alone ("Viktorov" for "Anatoly Viktorov")."""
    parts = name_parts(name)
    if not parts:
        return True
    return _part_in(parts[-1], keys) or all(_part_in(p, keys) for p in parts)


def _part_in(part: str, keys: set[str] | frozenset[str]) -> bool:
    if part in keys:
        return True
    # near spellings share their first letter and are of a similar length (a cheap filter first)
    same_initial = _by_initial(keys).get(part[:1], ()) if isinstance(keys, frozenset) else keys
    return any(k[:1] == part[:1] and abs(len(k) - len(part)) <= 4 and similar_keys(part, k) for k in same_initial)


def names_share(names: tuple[str, ...], keys: set[str]) -> float:
    """Share of the question's names found (1.0 when the question names nobody)."""
    if not names:
        return 1.0
    return sum(1 for n in names if name_in(n, keys)) / len(names)


def derived(term: str, other: str) -> bool:
    """Two analysed terms of one family: one a prefix of the other (assassin / assassinat), long
    enough not to be chance (never part / partenariat)."""
    short, long_ = (term, other) if len(term) <= len(other) else (other, term)
    return len(short) >= 4 and long_.startswith(short) and (len(short) >= 5 or len(long_) - len(short) <= 3)


@lru_cache(maxsize=2048)
def _by_prefix(terms: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """``terms`` of four letters or more, grouped by their first four: two terms of one family
    (``derived``) share them."""
    groups: dict[str, list[str]] = {}
    for t in terms:
        if len(t) >= 4:
            groups.setdefault(t[:4], []).append(t)
    return {prefix: tuple(ts) for prefix, ts in groups.items()}


def term_in(term: str, terms: set[str] | frozenset[str]) -> bool:
    if term in terms:
        return True
    if len(term) < 4:
        return False
    if isinstance(terms, frozenset):  # a sentence's, a passage's or the question's terms, met again and again
        return any(derived(term, t) for t in _by_prefix(terms).get(term[:4], ()))
    return any(derived(term, t) for t in terms)

