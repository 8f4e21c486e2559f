"""A 👎 on an answer becomes a candidate question for the evaluation set.

One JSON object per line, in the evaluation question format (a `Question`, bot/evaluation/questions.py)::

    {"id", "question", "lang", "answerable", "relevant_articles", "expected_facts", "category", "filters"}

which a person later reviews and edits into the fixed question set (the bot cannot know the right
answer: ``answerable`` is a guess, ``expected_facts`` is empty and ``relevant_articles`` are the
articles the rejected answer cited). Provenance fields say where the candidate comes from:

- ``source``: ``"discord-feedback"``; ``created_at``: ISO 8601, UTC;
- ``answer_given``: the text of the rejected answer; ``refused``: whether it said "the articles don't say";
- ``citations``: what it cited, as bot/answer/records.py `CitationRecord` writes a citation everywhere: ``n``,
  ``article_id``, ``title``, ``outlet``, ``date`` (and ``date_source``), ``url``, ``quote`` with its offsets,
  ``also_in``, and the ``answer_span`` with its offsets when the reader found one;
- ``resolved_question`` and ``history`` (earlier questions) for a follow-up, which may not stand alone;
- ``discord``: guild, channel and answer message ids (no user names or ids).
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from bot.answer.records import CitationRecord
from bot.discordbot.memory import AnswerRecord
from bot.evaluation.questions import DiscordPlace, Question
from bot.evaluation.records import QuestionFilters
from bot.records import Record

_write_lock = threading.Lock()


def feedback_record(record: AnswerRecord, *, now: datetime | None = None) -> Question:
    """The candidate question a 👎 on ``record`` becomes (validated as every question is)."""
    a = record.answer
    now = now or datetime.now(timezone.utc)
    return Question(
        id=f"discord-{record.key}", question=record.question, lang=a.language if a.language in ("fr", "en") else "fr",
        answerable=True, relevant_articles=tuple(c.article_id for c in a.citations), category="feedback",
        filters=QuestionFilters.of(record.filters), source="discord-feedback",
        created_at=now.isoformat(timespec="seconds"), answer_given=a.text, refused=a.refused,
        citations=tuple(CitationRecord.of(c) for c in a.citations),
        resolved_question=a.resolved_question or record.question, history=tuple(t.question for t in record.history),
        discord=DiscordPlace(guild_id=str(record.guild_id) if record.guild_id else None,
                             channel_id=str(record.channel_id),
                             message_id=str(record.message_ids[0]) if record.message_ids else None),
    )


def append_jsonl(path: Path, record: Record) -> None:
    """Append one record as a line, whole or not at all as far as readers go (one O_APPEND write), then fsync."""
    path = Path(path)
    data = (json.dumps(record.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
    with _write_lock:
        created = not path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:  # the new file's directory entry must survive a crash too
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
