"""The facts a sentence states — people, organisations, places (spaCy's entities), dates and
numbers (our own normalised values) — and which of them a passage does not state. The generative
check uses it: a generated sentence that names someone, or gives a date or a figure, that the
passage it cites lacks is removed, however many words it shares with that passage."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.answer.reader.lexicon import CALENDAR, COMMON_STARTS, NOT_NAMES, detect_language
from bot.answer.reader.matching import name_in, word_keys
from bot.answer.reader.values import Value, find_values, same_value
from index.keyword import fold

#: a name written otherwise in another language (États-Unis / United States) is the same place when
#: the embedding model puts the two this close
MIN_NAME_SIMILARITY = 0.88
_CAPITALISED_RUN = re.compile(r"(?<![\w’'])[A-ZÀ-ÝŒ][\w’'\-]+(?:\s+[A-ZÀ-ÝŒ][\w’'\-]+)*")


@dataclass(frozen=True)
class Fact:
    kind: str  # "name" or "value"
    text: str


def names(sentence: str, nlp) -> list[str]:
    """Named entities of the sentence (spaCy), and capitalised runs it missed (the French
    pipeline reads English sentences too, less well). A capitalised function word ("Ce", "D'après")
    is not a name."""
    found = [e.text for e in nlp.parse(sentence).ents if e.label_ in ("PER", "ORG", "LOC", "MISC")]
    for m in _CAPITALISED_RUN.finditer(sentence):
        words = [w for w in m.group(0).split() if not _function_word(w)]
        if words and not any(" ".join(words) in f or f in " ".join(words) for f in found):
            found.append(" ".join(words))
    return [f for f in found if re.search(r"[A-Za-zÀ-ÿ]{2}", f) and not all(_function_word(w) for w in f.split())]


def _function_word(word: str) -> bool:
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

    w = re.sub(r"^(l|d|qu|j|n|s|c)['’]", "", fold(word).strip("'’\"«»“”()"))
    return (w in NOT_NAMES or w in CALENDAR or w in COMMON_STARTS or w in STOPWORDS_EN
            or w in {fold(s) for s in STOPWORDS_FRENCH})


class ClaimCheck:
    """Which facts of a sentence are missing from the passages it cites."""

    def __init__(self, nlp, embedder=None):
        self.nlp = nlp
        self.embedder = embedder

    def missing(self, sentence: str, cited: list[str]) -> list[Fact]:
        text = " ".join(cited)
        keys = word_keys(text)
        out: list[Fact] = []
        passage_values = find_values(text)
        for v in find_values(sentence):
            if not any(_matches(v, p) for p in passage_values):
                out.append(Fact("value", sentence[v.start : v.end]))
        other_language = detect_language(sentence) != detect_language(text)
        unmatched = [n for n in names(sentence, self.nlp) if not name_in(n, keys)]
        if unmatched and other_language and self.embedder is not None:
            unmatched = self._not_translated(unmatched, text)
        out.extend(Fact("name", n) for n in unmatched)
        return out

    def _not_translated(self, unmatched: list[str], text: str) -> list[str]:
        """Names not written the same way may be the same name in another language."""
        theirs = list(dict.fromkeys(names(text[:3000], self.nlp)))
        if not theirs:
            return unmatched
        vectors = np.asarray(self.embedder.embed_queries(unmatched + theirs), dtype=np.float32)
        sims = vectors[: len(unmatched)] @ vectors[len(unmatched) :].T
        return [n for n, row in zip(unmatched, sims) if float(row.max()) < MIN_NAME_SIMILARITY]


def _matches(a: Value, b: Value) -> bool:
    return same_value(a, b) or (a.kind == "date" and b.kind == "number" and a.norm == b.norm)
