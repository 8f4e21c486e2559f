"""What an answer is, for every front end: plain data, no Discord, no terminal."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.dates import format_date
from bot.messages import say


#: longest quote an answer shows whole, and longest title on a quote's line (characters). 360, not
#: less: a shorter window cuts out the answer when the bold span is the wrong part of the right
#: sentence (PIAF tune half, answers holding the gold: 240 → 51.3 %, 360 → 53.9 %, whole → 54.8 %)
EXCERPT_CHARS = 360
TITLE_CHARS = 60


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: a verbatim quote of one article, with where it stands."""

    n: int
    article_id: str
    title: str
    outlet: str | None
    date: str | None
    #: how the date is known (metadata, dateline... or embedded-post / mentioned: approximate)
    date_source: str
    url: str | None
    #: verbatim: ``article.text[start:end] == quote``
    quote: str
    start: int
    end: int
    #: other outlets that published the same story (wire copies collapsed into this source)
    also_in: tuple[str, ...] = ()
    #: the words of the quote that answer (a name, a date, a figure), verbatim:
    #: ``article.text[span_start:span_end] == answer_span``; None when the whole quote answers
    answer_span: str | None = None
    span_start: int | None = None
    span_end: int | None = None

    @property
    def date_is_approximate(self) -> bool:
        return bool(self.date) and self.date_source in {"embedded-post", "mentioned"}

    def excerpt(self, limit: int = EXCERPT_CHARS) -> str:
        """The quote as an answer shows it: whole when short, else the words around the answer span
        (verbatim pieces, cut at spaces, "…" where words were left out; the whole quote is one click
        away, under "Show the passages", and in ``quote``)."""
        quote = " ".join(self.quote.split())
        if len(quote) <= limit:
            return quote
        if self.answer_span and self.answer_span in quote:
            centre = quote.index(self.answer_span) + len(self.answer_span) // 2
        else:
            centre = limit // 2
        a = max(0, min(centre - limit // 2, len(quote) - limit))
        b = a + limit
        if a > 0:
            a = quote.find(" ", a) + 1 or a
        if b < len(quote):
            b = quote.rfind(" ", a, b) if quote.rfind(" ", a, b) > a else b
        return ("… " if a > 0 else "") + quote[a:b].strip() + (" …" if b < len(quote) else "")

    def short_title(self, limit: int = TITLE_CHARS) -> str:
        """The title, cut at a word when long (the sources list gives it whole)."""
        if len(self.title) <= limit:
            return self.title
        cut = self.title.rfind(" ", 0, limit)
        return self.title[: cut if cut > 0 else limit].rstrip(" ,;:—-") + "…"

    def date_label(self, lang: str = "fr") -> str:
        return format_date(self.date, lang, approx=self.date_is_approximate)

    def source_line(self, lang: str = "fr", numbers: list[int] | None = None) -> str:
        """``[2] Title — outlet, 12 janvier 2026`` (``[1], [2] …`` for two quotes of one article)."""
        refs = ", ".join(f"[{n}]" for n in (numbers or [self.n]))
        line = f"{refs} " + say(lang, "source.line", title=self.title, outlet=self.outlet_label(lang),
                                date=self.date_label(lang))
        if self.also_in:
            line += say(lang, "source.also_in", outlets=", ".join(self.also_in))
        return line

    def outlet_label(self, lang: str = "fr") -> str:
        return self.outlet or say(lang, "source.unknown_outlet")


@dataclass(frozen=True)
class WeighedSentence:
    """A sentence the reader weighed (``--explain``): its probability of answering and why."""

    article_id: str
    start: int
    end: int
    text: str
    probability: float
    chosen: bool
    cross_lingual: bool
    #: the named features the fitted scorer read
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation, for follow-up questions."""

    question: str
    answer: str = ""
    #: the standalone form the earlier question was resolved to, when known
    resolved_question: str | None = None
    article_ids: tuple[str, ...] = ()


@dataclass
class Answer:
    question: str
    #: the answer with ``[n]`` markers; the sources list is rendered separately
    text: str
    citations: list[Citation]
    refused: bool
    #: language of the question, which the frame of the answer follows: "fr" or "en"
    language: str
    #: "extractive" or "generative"
    mode: str
    #: the question as retrieval saw it (a follow-up resolved against the conversation)
    resolved_question: str = ""
    #: why a generative answer fell back to the extractive one, when it did
    fallback_reason: str | None = None
    #: on refusal: the closest passages, "related, but not an answer"
    related: list[Citation] = field(default_factory=list)
    #: ranked article ids that retrieval returned (for evaluation)
    retrieved: list[str] = field(default_factory=list)
    #: remarks about the sources, e.g. which of two disagreeing articles is newer
    notes: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: with ``explain``: the candidate sentences weighed, best first
    evidence: list[WeighedSentence] = field(default_factory=list)
    #: the reader's probability that the best sentence answers (extractive mode)
    answerable: float | None = None
    #: why the reader refused, when it did (extractive mode; for --explain)
    refusal_reason: str | None = None

    def sources(self) -> list[tuple[list[int], Citation]]:
        """One entry per cited article, with the numbers of all its quotes, in order of first citation."""
        grouped: dict[str, tuple[list[int], Citation]] = {}
        for c in self.citations:
            grouped.setdefault(c.article_id, ([], c))[0].append(c.n)
        return list(grouped.values())

    def sources_lines(self) -> list[str]:
        return [c.source_line(self.language, numbers) for numbers, c in self.sources()]
