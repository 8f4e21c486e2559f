"""The evaluation question set: one JSON object a line, validated strictly before any work starts.

Every malformed line is reported with its line number and a reason, all at once, so a person fixes
the file in one pass; a file with any problem yields no questions at all (an eval that silently
skipped half its questions would look complete and be wrong). The format is described in
``evals/README.md``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pydantic import PrivateAttr, StrictBool, ValidationError, field_validator

from bot.answer.records import CitationRecord
from bot.errors import KiosqueError
from bot.evaluation.records import QuestionFields, Text, kind_of, problems_of
from bot.records import Record

#: problems listed in an error message; the rest are counted
MAX_LISTED = 50


class QuestionSetError(KiosqueError):
    """A question file that cannot be used; ``problems`` holds every (line, reason) found."""

    def __init__(self, path: Path | str, problems: list[tuple[int, str]]):
        self.path = Path(path)
        self.problems = problems
        lines = [f"line {n}: {reason}" if n else reason for n, reason in problems[:MAX_LISTED]]
        if len(problems) > MAX_LISTED:
            lines.append(f"... and {len(problems) - MAX_LISTED} more")
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{self.path}: {len(problems)} {noun}, nothing was run:\n  " + "\n  ".join(lines))


class DiscordPlace(Record):
    """Where a 👎 answer was given (no user names or ids)."""

    guild_id: str | None = None
    channel_id: str | None = None
    message_id: str | None = None


class Question(QuestionFields):
    """One question of an evaluation set, as read from and written to JSONL (evals/README.md).

    The provenance fields are what a 👎 feedback record carries (bot/discordbot/feedback.py): kept
    with the question, never scored."""

    reference_answer: str | None = None
    source: str | None = None
    created_at: str | None = None
    answer_given: str | None = None
    refused: StrictBool | None = None
    citations: tuple[CitationRecord, ...] | None = None
    resolved_question: str | None = None
    history: tuple[Text, ...] | None = None
    discord: DiscordPlace | None = None
    #: the line of the file it was read from (1-based; 0 when it was not read from a file)
    _line: int = PrivateAttr(0)

    @field_validator("created_at")
    @classmethod
    def _iso_time(cls, value: str | None):
        if value is not None:
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f'"created_at" must be an ISO 8601 date and time, not '
                                 f'{json.dumps(value, ensure_ascii=False)}') from None
        return value

    @property
    def line(self) -> int:
        return self._line


#: the keys a question may have, listed when an unknown one is found
KEYS = tuple(f.alias or name for name, f in Question.model_fields.items())


def parse_question(obj, line: int = 0) -> tuple[Question | None, list[str]]:
    """One decoded JSON line → a question, or the reasons it is not one (each naming its field)."""
    if not isinstance(obj, dict):
        return None, [f"expected a JSON object, got {kind_of(obj)}"]
    try:
        question = Question.model_validate(obj)
    except ValidationError as exc:
        return None, problems_of(exc, KEYS)
    question._line = line
    return question, []


def parse_lines(lines, path: Path | str = "<questions>") -> list[Question]:
    """Every question of ``lines``; raises `QuestionSetError` listing every problem (blank lines are fine)."""
    questions: list[Question] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append((n, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        question, why = parse_question(obj, n)
        problems.extend((n, r) for r in why)
        qid = obj.get("id") if isinstance(obj, dict) else None
        if isinstance(qid, str) and qid.strip():  # a duplicate is reported even on an otherwise bad line
            qid = qid.strip()
            if qid in seen:
                problems.append((n, f"id {qid!r} is already used on line {seen[qid]}"))
                continue
            seen[qid] = n
        if question is not None:
            questions.append(question)
    if not questions and not problems:
        problems.append((0, "no questions: the file is empty"))
    if problems:
        raise QuestionSetError(path, problems)
    return questions


def load_questions(path: Path | str) -> list[Question]:
    """Read and validate a question file (JSONL, UTF-8)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise QuestionSetError(path, [(0, "no such file")]) from None
    except IsADirectoryError:
        raise QuestionSetError(path, [(0, "is a directory, not a JSONL file")]) from None
    except OSError as exc:
        raise QuestionSetError(path, [(0, f"cannot be read: {exc.strerror or exc}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise QuestionSetError(path, [(line, "not UTF-8 text")]) from None
    return parse_lines(text.splitlines(), path)


def check_articles(questions: list[Question], known_ids: set[str], path: Path | str) -> None:
    """Relevant articles must exist in the store evaluated, or every score about them is meaningless."""
    problems = [
        (q.line, f"question {q.id!r}: relevant article {aid!r} is not in the store")
        for q in questions for aid in q.relevant_articles if aid not in known_ids
    ]
    if problems:
        raise QuestionSetError(path, problems)
