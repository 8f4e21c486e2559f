"""An answer as JSON, defined once: `kiosque ask --json` and `timeline --json` print these records, the
evaluation's results.jsonl holds an `AnswerRecord` per question, and a 👎 feedback record (like every
question's provenance) keeps the answer's citations as `CitationRecord`s.

Each record is built from the dataclass it serialises, field by field (`of`), so a field added to
`Citation`, `WeighedSentence` or `Answer` without its record fails at once rather than going missing from
the files. Fields that records written before them lack (a citation's offsets and answer span) are
optional, so older question sets and feedback files still read."""

from __future__ import annotations

from dataclasses import fields
from typing import ClassVar

from bot.answer.types import Answer, Citation, WeighedSentence
from bot.records import Record
from bot.settings import AnswerMode


def _values(obj) -> dict:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


class CitationRecord(Record):
    """A numbered, verbatim quote of one article, with where it stands (`Citation`)."""

    n: int
    article_id: str
    title: str
    outlet: str | None = None
    date: str | None = None
    #: how the date is known (metadata, dateline... or embedded-post / mentioned: approximate)
    date_source: str | None = None
    url: str | None = None
    #: verbatim: ``article.text[start:end] == quote``
    quote: str
    start: int | None = None
    end: int | None = None
    #: other outlets that published the same story
    also_in: tuple[str, ...] = ()
    #: the words of the quote that answer: ``article.text[span_start:span_end] == answer_span``
    answer_span: str | None = None
    span_start: int | None = None
    span_end: int | None = None

    @classmethod
    def of(cls, citation: Citation) -> CitationRecord:
        return cls(**_values(citation))


class EvidenceRecord(Record):
    """A sentence the reader weighed (`WeighedSentence`, with ``--explain``)."""

    article_id: str
    start: int
    end: int
    text: str
    probability: float
    chosen: bool
    cross_lingual: bool
    features: dict[str, float] = {}

    @classmethod
    def of(cls, sentence: WeighedSentence) -> EvidenceRecord:
        return cls(**_values(sentence))


class AnswerRecord(Record):
    """An `Answer`: the text with its ``[n]`` markers, what it cites, and how it was reached. Every key is
    written, null included: an answer always has the same shape."""

    every_key: ClassVar[bool] = True

    question: str
    text: str
    citations: list[CitationRecord]
    refused: bool
    language: str
    mode: AnswerMode
    resolved_question: str = ""
    fallback_reason: str | None = None
    #: on a refusal, the closest passages, "related, but not an answer"
    related: list[CitationRecord] = []
    #: ranked article ids that retrieval returned
    retrieved: list[str] = []
    notes: list[str] = []
    timings_ms: dict[str, float] = {}
    evidence: list[EvidenceRecord] = []
    #: the reader's probability that its best sentence answers (extractive mode)
    answerable: float | None = None
    #: why the reader refused, when it did (extractive mode)
    refusal_reason: str | None = None

    @classmethod
    def of(cls, answer: Answer) -> AnswerRecord:
        values = _values(answer)
        for name in ("citations", "related"):
            values[name] = [CitationRecord.of(c) for c in values[name]]
        values["evidence"] = [EvidenceRecord.of(e) for e in values["evidence"]]
        return cls(**values)


class TimelineRecord(Record):
    """A `Timeline` (`kiosque timeline --json`): the articles on a topic in date order, one quote each."""

    every_key: ClassVar[bool] = True

    topic: str
    language: str
    entries: list[CitationRecord] = []
    text: str = ""

    @classmethod
    def of(cls, timeline) -> TimelineRecord:
        return cls(topic=timeline.topic, language=timeline.language,
                   entries=[CitationRecord.of(c) for c in timeline.entries], text=timeline.text)
