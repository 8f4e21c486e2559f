"""A 👎 becomes one line in the feedback file, in the evaluation question format."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone

from bot.answer.types import Answer, Citation, Turn
from bot.discordbot.feedback import append_jsonl, feedback_record
from bot.discordbot.memory import AnswerRecord
from bot.evaluation.questions import Question, load_questions, parse_question
from index.retrieval import Filters

EVAL_FIELDS = {"id", "question", "lang", "answerable", "relevant_articles", "expected_facts", "category"}


def record(filters: Filters | None = None) -> AnswerRecord:
    cits = [Citation(n, aid, f"T{n}", "O", "2026-01-12", "metadata", None, f"quote {n}", 0, 7)
            for n, aid in ((1, "art-b"), (2, "art-a"), (3, "art-b"))]
    a = Answer(question="Et quand ?", text="« quote 1 » [1] « quote 2 » [2]", citations=cits, refused=False,
               language="fr", mode="extractive", resolved_question="Qui a vu Shoigu ? Et quand ?")
    return AnswerRecord(key=123, question="Et quand ?", answer=a, history=[Turn("Qui a vu Shoigu ?", "…")],
                        message_ids=[456, 457], channel_id=789, guild_id=10, filters=filters)


def test_record_is_an_eval_question_with_provenance():
    r = feedback_record(record(), now=datetime(2026, 2, 1, 12, tzinfo=timezone.utc)).to_dict()
    assert EVAL_FIELDS <= set(r) and "filters" not in r
    assert r["id"] == "discord-123" and r["question"] == "Et quand ?" and r["lang"] == "fr"
    assert r["answerable"] is True and r["expected_facts"] == [] and r["category"] == "feedback"
    assert r["relevant_articles"] == ["art-b", "art-a"]  # cited ids, in order, once each
    assert r["source"] == "discord-feedback" and r["created_at"] == "2026-02-01T12:00:00+00:00"
    assert r["answer_given"].startswith("« quote 1 »") and r["refused"] is False
    assert [c["article_id"] for c in r["citations"]] == ["art-b", "art-a", "art-b"]
    assert r["citations"][0] == {"n": 1, "article_id": "art-b", "title": "T1", "outlet": "O", "date": "2026-01-12",
                                 "date_source": "metadata", "quote": "quote 1", "start": 0, "end": 7, "also_in": []}
    assert r["resolved_question"] == "Qui a vu Shoigu ? Et quand ?" and r["history"] == ["Qui a vu Shoigu ?"]
    assert r["discord"] == {"guild_id": "10", "channel_id": "789", "message_id": "456"}


def test_the_options_an_answer_was_given_under_are_kept_and_read_back(tmp_path):
    """A 👎 on `/ask … as_of: 31/12/2025 source: Brussels Morning` is replayed with the same limits."""
    asked = Filters.parse(as_of="31/12/2025", outlets=["Brussels Morning"])
    path = tmp_path / "feedback.jsonl"
    append_jsonl(path, feedback_record(record(asked)))
    line = json.loads(path.read_text(encoding="utf-8"))
    assert line["filters"] == {"to": "2025-12-31", "outlets": ["Brussels Morning"]}
    [q] = load_questions(path)
    assert q.filters.filters() == asked and q.to_dict() == line


def test_the_record_refuses_unknown_or_mistyped_fields():
    good = feedback_record(record()).to_dict()
    for bad, reason in (({**good, "colour": "blue"}, "unknown key 'colour'"),
                        ({**good, "discord": {**good["discord"], "user": "bob"}}, "unknown key 'user' in \"discord\""),
                        ({**good, "citations": [{**good["citations"][0], "page": 3}]},
                         "unknown key 'page' in \"citations\"[0]"),
                        ({**good, "filters": {"as_of": "hier"}}, '"filters"."as_of": “hier” is not a date'),
                        ({**good, "created_at": "yesterday"}, '"created_at" must be an ISO 8601 date and time')):
        question, reasons = parse_question(bad)
        assert question is None and len(reasons) == 1 and reasons[0].startswith(reason), reasons


def test_append_creates_the_directory_and_writes_whole_lines(tmp_path):
    path = tmp_path / "deep" / "er" / "feedback.jsonl"
    threads = [threading.Thread(target=append_jsonl, args=(path, Question(id=str(i), question="é" * 5000)))
               for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert sorted(int(json.loads(line)["id"]) for line in lines) == list(range(20))
