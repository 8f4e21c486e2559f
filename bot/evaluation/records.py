"""What the evaluation reads from and writes to disk, defined once: the filters and fields a question is
scored on (shared by the question record, questions.py, and each line of results.jsonl), a line of
results.jsonl (the question, the `AnswerRecord` of what was answered, the scores), and how a record that
does not validate is described to a person (the field, then why).

Every record refuses unknown keys (bot/records.py), so a misspelt key is an error rather than a value
silently dropped.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (ConfigDict, Field, StrictBool, StringConstraints, ValidationError, ValidationInfo,
                      field_validator, model_validator)

from bot.answer.records import AnswerRecord
from bot.dates import date_error_message
from bot.records import Record
from index.dates import DateError
from index.retrieval import Filters

#: bumped when summary.json or results.jsonl change shape (2: every results key always present; citations
#: with outlet and url; the question's filters. 3: what was answered is one "answer" object, an
#: `AnswerRecord`, as `kiosque ask --json` prints it; citations with their offsets and answer span)
FORMAT_VERSION = 3

#: a string with something in it (surrounding spaces are dropped)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class QuestionFilters(Record):
    """The retrieval limits a question is asked with (e.g. a Discord /ask with ``as_of:``), as a
    person writes them: dates in any form `Filters.parse` reads."""

    date_from: str | None = Field(None, alias="from")
    date_to: str | None = Field(None, alias="to")
    as_of: str | None = None
    outlets: list[Text] = []

    @model_validator(mode="after")
    def _readable(self):
        self.filters()  # a bad date is refused when the record is read, not when its question is asked
        return self

    def filters(self) -> Filters:
        try:
            return Filters.parse(date_from=self.date_from, date_to=self.date_to, as_of=self.as_of,
                                 outlets=self.outlets, names=_FILTER_NAMES)
        except DateError as exc:
            raise ValueError(date_error_message(exc, "en")) from None

    @classmethod
    def of(cls, filters: Filters | None) -> QuestionFilters | None:
        """What to record for ``filters`` (days as ISO); None when there are none."""
        if filters is None or not filters.active:
            return None
        days = filters.to_dict()
        return cls.model_validate({"from": days["date_from"], "to": days["date_to"], "outlets": days["outlets"]})


_FILTER_NAMES = {"date_from": '"filters"."from"', "date_to": '"filters"."to"', "as_of": '"filters"."as_of"'}


class QuestionFields(Record):
    """What a question is scored on; shared by the question record and each line of results."""

    model_config = ConfigDict(frozen=True)

    id: Text
    question: Text
    lang: Literal["fr", "en"] | None = None
    answerable: StrictBool = True
    relevant_articles: tuple[Text, ...] = ()
    #: each fact is a list of accepted spellings; any one of them counts
    expected_facts: tuple[tuple[Text, ...], ...] = ()
    category: str | None = None
    filters: QuestionFilters | None = None

    @field_validator("expected_facts", mode="before")
    @classmethod
    def _facts_are_lists(cls, value):
        for i, fact in enumerate(value if isinstance(value, list) else []):
            if isinstance(fact, str):
                raise ValueError(f'"expected_facts"[{i}] must be a list of accepted spellings, e.g. '
                                 f'[{json.dumps(fact, ensure_ascii=False)}], not a bare string')
            if fact == []:
                raise ValueError(f'"expected_facts"[{i}] is empty: give at least one spelling')
        return value

    @field_validator("relevant_articles", "expected_facts")
    @classmethod
    def _none_when_unanswerable(cls, value, info: ValidationInfo):
        if value and info.data.get("answerable") is False:
            raise ValueError(f'an unanswerable question ("answerable": false) has no "{info.field_name}"')
        return tuple(dict.fromkeys(value)) if info.field_name == "relevant_articles" else value

    @property
    def label(self) -> str:
        """The category, or what the question is when it has none."""
        return self.category or ("answerable" if self.answerable else "unanswerable")


class ResultRecord(QuestionFields):
    """One line of results.jsonl: the question, what was answered, and how it scored. Every key is
    written, null included: a results line always has the same shape."""

    model_config = ConfigDict(frozen=False)
    every_key: ClassVar[bool] = True

    #: what was answered (its text, citations, retrieved articles...); None when answering raised
    answer: AnswerRecord | None = None
    latency_ms: float = 0.0
    error: str | None = None
    passed: bool = False
    failures: list[str] = []
    #: per-question measures (`QuestionScores.to_dict`, less ``passed`` and ``failures``); None on an error
    scores: dict[str, Any] | None = None
    #: the LLM judge's verdict, when the run was judged
    judge: dict[str, Any] | None = None


def kind_of(value) -> str:
    """What a JSON value is, in words: 'a string', 'a number', 'an empty string'..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    return {int: "a number", float: "a number", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _where(loc: tuple) -> str:
    """("expected_facts", 0) → '"expected_facts"[0]'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f'"{part}"' if not out else f'."{part}"')
    return out


#: pydantic's error types, said for people
_SAID = {
    "string_type": "must be a string", "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "int_type": "must be a whole number", "int_parsing": "must be a whole number", "float_type": "must be a number",
    "float_parsing": "must be a number", "list_type": "must be a list", "tuple_type": "must be a list",
    "dict_type": "must be an object", "model_type": "must be an object", "model_attributes_type": "must be an object",
}


def describe(error: dict, known: tuple[str, ...] = ()) -> str:
    """One pydantic error as a sentence naming the field: '"lang" must be "fr" or "en", not "de"'."""
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    where = _where(loc)
    if kind == "missing":
        return f"missing {where}"
    if kind == "extra_forbidden":
        field = loc[-1]
        listed = f" (known: {', '.join(known)})" if known and len(loc) == 1 else ""
        return f"unknown key {field!r}" + (f" in {_where(loc[:-1])}" if len(loc) > 1 else "") + listed
    if kind == "literal_error":
        expected = error["ctx"]["expected"].replace("'", '"')
        return f"{where} must be {expected}, not {json.dumps(value, ensure_ascii=False)}"
    if kind in ("string_too_short", "too_short") and isinstance(value, str):
        return f"{where} must be a non-empty string, not {kind_of(value)}"
    if kind in _SAID:
        return f"{where} {_SAID[kind]}, not {kind_of(value)}"
    if kind == "value_error":  # our validators' own sentences name their field
        return error["msg"].removeprefix("Value error, ")
    return f"{where} {error['msg'].lower()}" if where else error["msg"]


def problems_of(exc: ValidationError, known: tuple[str, ...] = ()) -> list[str]:
    return [describe(e, known) for e in exc.errors(include_url=False)]
