"""An answer as JSON: one record per dataclass, every field of it, read back to the same record, and an
unknown key refused wherever it is."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from pydantic import ValidationError

from bot.answer.records import AnswerRecord, CitationRecord, EvidenceRecord, TimelineRecord
from bot.answer.timeline import Timeline
from bot.answer.types import Answer, Citation, WeighedSentence

QUOTE = "Choïgou s'est entretenu avec Ali Akbar Ahmadian."


def cited(n: int = 1, **kw) -> Citation:
    values = dict(n=n, article_id="004", title="Téhéran", outlet="Brussels Morning", date="2026-01-12",
                  date_source="dateline", url="https://example.org/4", quote=QUOTE, start=120, end=120 + len(QUOTE),
                  also_in=("JForum (13 janvier 2026)",), answer_span="Ali Akbar Ahmadian", span_start=149,
                  span_end=167)
    return Citation(**{**values, **kw})


def full_answer() -> Answer:
    """Every field set to something other than its default."""
    weighed = WeighedSentence(article_id="004", start=120, end=120 + len(QUOTE), text=QUOTE, probability=0.91,
                              chosen=True, cross_lingual=False, features={"coverage_soft": 0.8, "dense": 0.42})
    return Answer(question="Avec qui Choïgou s'est-il entretenu ?", text="**Ali Akbar Ahmadian** [1]",
                  citations=[cited(1), cited(2, outlet=None, url=None, also_in=(), answer_span=None, span_start=None,
                                         span_end=None)],
                  refused=False, language="fr", mode="generative", resolved_question="Avec qui Choïgou ?",
                  fallback_reason="no valid sentence", related=[cited(3)], retrieved=["004", "003"],
                  notes=["L'article [1] est plus récent."], timings_ms={"total_ms": 12.5}, evidence=[weighed],
                  answerable=0.91, refusal_reason="below the fitted threshold")


@pytest.mark.parametrize("record, dataclass", [(AnswerRecord, Answer), (CitationRecord, Citation),
                                               (EvidenceRecord, WeighedSentence), (TimelineRecord, Timeline)])
def test_each_record_has_every_field_of_what_it_records(record, dataclass):
    assert list(record.model_fields) == [f.name for f in fields(dataclass)]


def test_an_answer_round_trips_through_json():
    record = AnswerRecord.of(full_answer())
    data = json.loads(json.dumps(record.to_dict(), ensure_ascii=False))
    assert AnswerRecord.model_validate(data) == record and AnswerRecord.model_validate(data).to_dict() == data
    first, second = data["citations"]
    assert (first["answer_span"], first["span_start"], first["span_end"]) == ("Ali Akbar Ahmadian", 149, 167)
    assert QUOTE[first["span_start"] - first["start"]:first["span_end"] - first["start"]] == first["answer_span"]
    assert second["outlet"] is None and second["answer_span"] is None  # every key, null included
    assert data["answerable"] == 0.91 and data["evidence"][0]["features"] == {"coverage_soft": 0.8, "dense": 0.42}
    timeline = Timeline(topic="Russie Iran", language="fr", entries=[cited(1)], text="Chronologie : Russie Iran")
    assert TimelineRecord.model_validate(json.loads(json.dumps(TimelineRecord.of(timeline).to_dict()))) == \
        TimelineRecord.of(timeline)


@pytest.mark.parametrize("where", [(), ("citations", 0), ("related", 0), ("evidence", 0)])
def test_an_unknown_key_is_refused_wherever_it_is(where):
    data = AnswerRecord.of(full_answer()).to_dict()
    target = data
    for step in where:
        target = target[step]
    target["colour"] = "blue"
    with pytest.raises(ValidationError) as caught:
        AnswerRecord.model_validate(data)
    [error] = caught.value.errors()
    assert error["type"] == "extra_forbidden" and error["loc"] == (*where, "colour")


def test_a_wrong_type_is_refused_and_old_citations_still_read():
    data = AnswerRecord.of(full_answer()).to_dict()
    with pytest.raises(ValidationError, match="mode"):
        AnswerRecord.model_validate({**data, "mode": "generatve"})
    with pytest.raises(ValidationError, match="span_start"):
        CitationRecord.model_validate({**data["citations"][0], "span_start": "149th"})
    # feedback records and question sets written before citations kept their offsets and span
    old = {"n": 1, "article_id": "004", "title": "Téhéran", "outlet": "O", "date": "2026-01-12", "url": None,
           "quote": QUOTE}
    assert CitationRecord.model_validate(old).to_dict() == {**{k: v for k, v in old.items() if v is not None},
                                                           "also_in": []}
