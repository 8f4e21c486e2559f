"""Composing the answer, the reader's last step: the answer first, in bold, with its citation; then
the verbatim sentence that contains it, attributed to its article, outlet and date. A list gives
its items; a why/how question gives the sentence that answers. Frames in the question's language
come from the message catalogue (``[answer]`` in prompts/messages/<lang>.toml); quotes stay in the
article's language."""

from __future__ import annotations

import re

from bot.answer.reader.pipeline import Finding, Reading
from bot.answer.types import Citation
from bot.dates import format_date
from bot.messages import say
from index.retrieval import Source


def also_in(source: Source, lang: str) -> tuple[str, ...]:
    """"Outlet (date)" of each wire copy of a source: one story, every outlet that ran it."""
    out = []
    for copy in source.copies:
        label = copy.outlet or copy.title
        out.append(say(lang, "source.copy", outlet=label, date=format_date(copy.date, lang)) if copy.date else label)
    return tuple(dict.fromkeys(out))


def citation(n: int, finding: Finding, lang: str) -> Citation:
    c = finding.candidate
    a = c.article
    span = finding.span
    return Citation(
        n=n, article_id=a.id, title=a.title, outlet=a.outlet, date=a.date, date_source=a.date_source, url=a.url,
        quote=c.text, start=c.start, end=c.end, also_in=also_in(c.source, lang),
        answer_span=span.text if span else None, span_start=c.start + span.start if span else None,
        span_end=c.start + span.end if span else None,
    )


def citations_of(reading: Reading, lang: str) -> tuple[list[Citation], list[tuple[str, int]]]:
    """The numbered citations (one per quoted sentence, in the order quoted) and, for a list
    question, its items with the number of the sentence each comes from."""
    sentences = list(reading.findings)
    for item in reading.items:  # an item from a sentence not quoted yet brings its sentence
        if not any(item.candidate is f.candidate for f in sentences):
            sentences.append(Finding(item.candidate, item.probability, item.span))
    citations = [citation(i + 1, f, lang) for i, f in enumerate(sentences)]
    number = {id(f.candidate): i + 1 for i, f in enumerate(sentences)}
    items = [(i.span.text, number[id(i.candidate)]) for i in reading.items if i.span is not None]
    return citations, items


def compose(lang: str, citations: list[Citation], items: list[tuple[str, int]] = ()) -> tuple[str, list[str]]:
    """(answer text with [n] markers, notes about the sources' dates)."""
    lines: list[str] = []
    if items and len(items) > 1:
        lines.append(_joined([say(lang, "answer.item", answer=_one_line(text), n=n) for text, n in items], lang))
    elif citations and citations[0].answer_span:
        lines.append(say(lang, "answer.item", answer=_one_line(citations[0].answer_span), n=citations[0].n))
        for c in citations[1:]:  # another article gives the fact otherwise: say so up front
            if c.answer_span and c.article_id != citations[0].article_id:
                lines[-1] += say(lang, "answer.other", answer=_one_line(c.answer_span), n=c.n)
    numbered = len(citations) > 1 or not lines
    for i, c in enumerate(citations):
        quote = c.excerpt()
        if i and citations[i - 1].article_id == c.article_id:
            attribution = say(lang, "answer.same_article")
        elif c.outlet:
            attribution = say(lang, "answer.attribution_outlet", title=c.short_title(), outlet=c.outlet,
                              date=c.date_label(lang))
        else:
            attribution = say(lang, "answer.attribution_title", title=c.short_title(), date=c.date_label(lang))
        key = "answer.quote_numbered" if numbered else "answer.quote"
        lines.append(say(lang, key, n=c.n, quote=quote, attribution=attribution))
    notes = date_notes(lang, citations)
    return "\n".join(lines + notes), notes


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text)


def _joined(parts: list[str], lang: str) -> str:
    if len(parts) < 2:
        return "".join(parts)
    return ", ".join(parts[:-1]) + say(lang, "answer.and") + parts[-1]


def date_notes(lang: str, citations: list[Citation]) -> list[str]:
    """When the cited articles differ in date, say which is newer (and which dates are unknown)."""
    by_article: dict[str, Citation] = {}
    for c in citations:
        by_article.setdefault(c.article_id, c)
    dated = sorted((c for c in by_article.values() if c.date), key=lambda c: c.date, reverse=True)
    undated = [c for c in by_article.values() if not c.date]
    if len({c.date for c in dated}) < 2:
        if dated and undated:
            return [say(lang, "answer.undated", refs=", ".join(f"[{c.n}]" for c in undated))]
        return []
    if len(dated) == 2:
        newer, older = dated
        notes = [say(lang, "answer.newer_two", newer=newer.n, newer_date=newer.date_label(lang), older=older.n,
                     older_date=older.date_label(lang))]
    else:
        order = ", ".join(f"[{c.n}] ({c.date_label(lang)})" for c in dated)
        notes = [say(lang, "answer.newer_many", order=order)]
    if undated:
        notes.append(say(lang, "answer.undated", refs=", ".join(f"[{c.n}]" for c in undated)))
    return notes
