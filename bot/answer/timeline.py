"""A timeline of the corpus on a topic: the relevant articles in date order, each with a
one-sentence quoted gist and its citation. Built from the same retrieval and sentence scoring as
answers; no LLM."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.answer.reader.candidates import candidates
from bot.answer.reader.compose import citation
from bot.answer.reader.features import FEATURES, Featurizer
from bot.answer.reader.lexicon import detect_language
from bot.answer.reader.pipeline import Finding
from bot.answer.reader.question import analyse
from bot.answer.types import Citation
from bot.messages import say
from index.retrieval import Filters

#: an article belongs to the timeline when one of its sentences covers this share of the topic's words
MIN_COVERAGE = 0.5


@dataclass
class Timeline:
    topic: str
    language: str
    entries: list[Citation] = field(default_factory=list)
    text: str = ""


def build_timeline(answerer, topic: str, *, k: int = 12, filters: Filters | None = None) -> Timeline:
    topic = re.sub(r"\s+", " ", topic or "").strip()[:300]
    lang = detect_language(topic)
    if not re.search(r"\w", topic):
        return Timeline(topic, lang, [], say(lang, "answer.empty_question"))
    retrieval = answerer.retriever.search(topic, k=k, filters=filters)
    if not retrieval.sources:
        return Timeline(topic, lang, [], say(lang, "timeline.empty"))
    q = analyse(topic, answerer.keyword_language)
    reader = answerer.reader
    featurizer = Featurizer(reader.analyzer, reader.keyword_index().idf)
    col = {n: i for i, n in enumerate(FEATURES)}
    gists = []
    for source in retrieval.sources:
        sub = type(retrieval)([source], {}, retrieval.query_vector, retrieval.query_tokens,
                             retrieval.query_tokens_of)
        cands = [c for c in candidates(sub, lang) if len(c.text) >= 40]
        if not cands:
            continue
        m = featurizer.lexical(q, cands)
        prob = reader.weights.lexical.probabilities(m, FEATURES)
        # the sentence that speaks most of the topic (names count: Shoigu is Choïgou elsewhere)
        i = max(range(len(cands)), key=lambda i: (m[i, col["coverage_soft"]] + (m[i, col["names_here"]] if q.names else 0),
                                                   prob[i]))
        named = bool(q.names) and m[i, col["names_here"]] == 1.0
        if (m[i, col["coverage_soft"]] < MIN_COVERAGE and not named) or m[i, col["names_article"]] < 1.0:
            continue
        gists.append(cands[i])
    gists.sort(key=lambda c: (c.article.date or "9999-99-99", c.article.id))
    entries = [citation(i + 1, Finding(c, 0.0), lang) for i, c in enumerate(gists)]
    if not entries:
        return Timeline(topic, lang, [], say(lang, "timeline.empty"))
    lines = [say(lang, "timeline.title", topic=topic)]
    for c in entries:
        lines.append(say(lang, "timeline.entry", date=c.date_label(lang), title=c.title, outlet=c.outlet_label(lang),
                         n=c.n, quote=re.sub(r"\s*\n\s*", " ", c.quote)))
    return Timeline(topic, lang, entries, "\n".join(lines))
