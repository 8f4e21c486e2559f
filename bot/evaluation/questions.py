"""The evaluation question set: one JSON object a line, validated strictly before any work starts.

Every malformed line is reported with its line number and a reason, all at once, so a person fixes
the file in one pass; a file with any problem yields no questions at all (an eval that silently
skipped half its questions would look complete and be wrong). The format is described in
``evals/README.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import KiosqueError

#: the fields of a question, with what they must hold
FIELDS = {
    "id": "a non-empty string, unique in the file",
    "question": "a non-empty string",
    "lang": '"fr" or "en" (optional)',
    "answerable": "true or false (default true)",
    "relevant_articles": "a list of article ids",
    "expected_facts": 'a list of facts, each a list of accepted spellings, e.g. [["Shoigu", "Choïgou"]]',
    "reference_answer": "a string (optional)",
    "category": "a string (optional)",
}
#: provenance fields that 👎 feedback records carry (bot/discordbot/feedback.py; documented in
#: evals/README.md); kept with the question, never scored
PROVENANCE = {
    "source": "where the question came from, e.g. \"discord-feedback\" (optional)",
    "answer_given": "the answer the bot gave when the question was recorded (optional)",
    "created_at": "when it was recorded, ISO 8601 (optional)",
    "refused": "whether that answer was a refusal (optional)",
    "citations": "what that answer cited, a list of objects (optional)",
    "resolved_question": "the standalone form of a follow-up question (optional)",
    "history": "the earlier questions of the conversation, a list of strings (optional)",
    "discord": "where the answer was given: guild, channel and message ids, an object (optional)",
}
#: provenance fields kept as attributes of `Question`; the others go to `Question.provenance`
_STRING_PROVENANCE = ("source", "answer_given", "created_at", "resolved_question")
LANGS = ("fr", "en")
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


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    lang: str | None = None
    answerable: bool = True
    relevant_articles: tuple[str, ...] = ()
    #: each fact is a tuple of accepted spellings; any one of them counts
    expected_facts: tuple[tuple[str, ...], ...] = ()
    reference_answer: str | None = None
    category: str | None = None
    source: str | None = None
    answer_given: str | None = None
    created_at: str | None = None
    #: the other provenance fields of a feedback record, as read (refused, citations, history...)
    provenance: dict = field(default_factory=dict)
    #: the line of the file it was read from (1-based)
    line: int = 0

    @property
    def label(self) -> str:
        """The category, or what the question is when it has none."""
        return self.category or ("answerable" if self.answerable else "unanswerable")

    def to_dict(self) -> dict:
        """The JSONL form (what `load_questions` reads back)."""
        out: dict = {"id": self.id, "question": self.question}
        if self.lang:
            out["lang"] = self.lang
        out["answerable"] = self.answerable
        out["relevant_articles"] = list(self.relevant_articles)
        out["expected_facts"] = [list(f) for f in self.expected_facts]
        for key in ("reference_answer", "category", "source", "answer_given", "created_at"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out.update(self.provenance)
        return out


def _string_list(value, what: str) -> tuple[list[str] | None, str | None]:
    if not isinstance(value, list):
        return None, f"{what} must be a list, not {_kind(value)}"
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            return None, f"{what}[{i}] must be a non-empty string, not {_kind(item)}"
    return value, None


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    return {int: "a number", float: "a number", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def parse_question(obj, line: int) -> tuple[Question | None, list[str]]:
    """One decoded line → a question, or the reasons it is not one."""
    if not isinstance(obj, dict):
        return None, [f"expected a JSON object, got {_kind(obj)}"]
    reasons: list[str] = []
    unknown = [k for k in obj if k not in FIELDS and k not in PROVENANCE]
    for key in unknown:
        reasons.append(f"unknown key {key!r} (known: {', '.join([*FIELDS, *PROVENANCE])})")

    qid, text = obj.get("id"), obj.get("question")
    if "id" not in obj:
        reasons.append('missing "id"')
    elif not isinstance(qid, str) or not qid.strip():
        reasons.append(f'"id" must be a non-empty string, not {_kind(qid)}')
    if "question" not in obj:
        reasons.append('missing "question"')
    elif not isinstance(text, str) or not text.strip():
        reasons.append(f'"question" must be a non-empty string, not {_kind(text)}')

    lang = obj.get("lang")
    if lang is not None and lang not in LANGS:
        reasons.append(f'"lang" must be "fr" or "en", not {json.dumps(lang, ensure_ascii=False)}')
    answerable = obj.get("answerable", True)
    if not isinstance(answerable, bool):
        reasons.append(f'"answerable" must be true or false, not {_kind(answerable)}')
        answerable = True

    relevant, why = _string_list(obj.get("relevant_articles", []), '"relevant_articles"')
    if why:
        reasons.append(why)
    facts: list[tuple[str, ...]] = []
    raw_facts = obj.get("expected_facts", [])
    if not isinstance(raw_facts, list):
        reasons.append(f'"expected_facts" must be a list of facts, not {_kind(raw_facts)}')
    else:
        for i, fact in enumerate(raw_facts):
            if isinstance(fact, str):
                reasons.append(f'"expected_facts"[{i}] must be a list of accepted spellings, '
                               f'e.g. [{json.dumps(fact, ensure_ascii=False)}], not a bare string')
                continue
            alternatives, why = _string_list(fact, f'"expected_facts"[{i}]')
            if why:
                reasons.append(why)
            elif not alternatives:
                reasons.append(f'"expected_facts"[{i}] is empty: give at least one spelling')
            else:
                facts.append(tuple(alternatives))
    if answerable is False:
        if relevant:
            reasons.append('an unanswerable question ("answerable": false) has no "relevant_articles"')
        if raw_facts:
            reasons.append('an unanswerable question ("answerable": false) has no "expected_facts"')
    for key in ("reference_answer", "category", *_STRING_PROVENANCE):
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            reasons.append(f'"{key}" must be a string, not {_kind(value)}')
    if obj.get("refused") is not None and not isinstance(obj["refused"], bool):
        reasons.append(f'"refused" must be true or false, not {_kind(obj["refused"])}')
    if obj.get("citations") is not None and (
        not isinstance(obj["citations"], list) or not all(isinstance(c, dict) for c in obj["citations"])
    ):
        reasons.append('"citations" must be a list of objects')
    if obj.get("history") is not None:
        _, why = _string_list(obj["history"], '"history"')
        if why:
            reasons.append(why)
    if obj.get("discord") is not None and not isinstance(obj["discord"], dict):
        reasons.append(f'"discord" must be an object, not {_kind(obj["discord"])}')
    if reasons:
        return None, reasons
    return Question(
        id=qid.strip(), question=text.strip(), lang=lang, answerable=answerable,
        relevant_articles=tuple(dict.fromkeys(relevant or [])), expected_facts=tuple(facts),
        reference_answer=obj.get("reference_answer"), category=obj.get("category"), source=obj.get("source"),
        answer_given=obj.get("answer_given"), created_at=obj.get("created_at"),
        provenance={k: obj[k] for k in PROVENANCE if k in obj and k not in ("source", "answer_given", "created_at")},
        line=line,
    ), []


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
        question, reasons = parse_question(obj, n)
        problems.extend((n, r) for r in reasons)
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
