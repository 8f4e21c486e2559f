"""Candidate sentences, the second step of the reader: every sentence of the passages retrieval
returned, with where it stands (article rank, passage rank and score, the sentence before it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answer.reader.lexicon import detect_language
from index.articles import Article
from index.retrieval import Passage, RetrievalResult, Source
from index.sentences import split_sentences

#: "— Name (@handle) August 5, 2024": the signature of an embedded post, never an answer
_SIGNATURE = re.compile(r"^[—–-]\s*.{1,80}\(@\w{1,30}\)")


@dataclass
class Candidate:
    source: Source
    passage: Passage
    #: rank of the article among the sources, and of the passage among all passages (0 = best)
    article_rank: int
    passage_rank: int
    #: the sentence: ``article.text[start:end]``
    start: int
    end: int
    text: str
    #: the sentence before it in the same paragraph ("" when it opens one)
    previous: str
    #: position of the sentence in its passage (0 = first)
    position: int
    #: the sentence is not in the question's language (words cannot match, meaning must)
    cross_lingual: bool = False

    @property
    def article(self) -> Article:
        return self.source.article


def candidates(retrieval: RetrievalResult, question_language: str,
               exclude: set[tuple[str, int, int]] | frozenset = frozenset()) -> list[Candidate]:
    """The sentences of every retrieved passage, each once (passages of one article can overlap)."""
    ranked = sorted(((p.score, s_i, p_i) for s_i, s in enumerate(retrieval.sources) for p_i, p in enumerate(s.passages)),
                    key=lambda t: -t[0])
    passage_rank = {(s_i, p_i): r for r, (_, s_i, p_i) in enumerate(ranked)}
    out: list[Candidate] = []
    for s_i, source in enumerate(retrieval.sources):
        text = source.article.text
        seen: set[tuple[int, int]] = set()
        for p_i, passage in enumerate(source.passages):
            spans = split_sentences(text, passage.start, passage.end)
            for position, (a, b) in enumerate(spans):
                if (a, b) in seen or (source.article.id, a, b) in exclude:
                    continue
                seen.add((a, b))
                sentence = text[a:b]
                if sentence.endswith("?") or _SIGNATURE.match(sentence):
                    continue  # a sub-heading asking a question, or an embedded post's signature
                previous = _previous(text, spans[position - 1] if position else None, a)
                out.append(Candidate(
                    source=source, passage=passage, article_rank=s_i, passage_rank=passage_rank[(s_i, p_i)],
                    start=a, end=b, text=sentence, previous=previous, position=position,
                    cross_lingual=detect_language(sentence) != question_language,
                ))
    return out


def _previous(text: str, before: tuple[int, int] | None, start: int) -> str:
    """The sentence before ``start`` in the same paragraph (looked up in the article when the
    passage starts at ``start``)."""
    if before is None:
        spans = split_sentences(text, max(0, start - 600), start)
        if not spans:
            return ""
        before = spans[-1]
    if "\n\n" in text[before[1] : start]:
        return ""
    return text[before[0] : before[1]]
