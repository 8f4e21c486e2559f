"""A 👎 on an answer becomes a candidate question for the evaluation set.

One JSON object per line, in the evaluation question format::

    {"id", "question", "lang", "answerable", "relevant_articles", "expected_facts", "category"}

which a person later reviews and edits into the fixed question set (the bot cannot know the right
answer: ``answerable`` is a guess, ``expected_facts`` is empty and ``relevant_articles`` are the
articles the rejected answer cited). Provenance fields say where the candidate comes from:

- ``source``: ``"discord-feedback"``; ``created_at``: ISO 8601, UTC;
- ``answer_given``: the text of the rejected answer; ``refused``: whether it said "the articles don't say";
- ``citations``: what it cited (``n``, ``article_id``, ``title``, ``outlet``, ``date``, ``url``, ``quote``);
- ``resolved_question`` and ``history`` (earlier questions) for a follow-up, which may not stand alone;
- ``discord``: guild, channel and answer message ids (no user names or ids).
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from bot.discordbot.memory import AnswerRecord

_write_lock = threading.Lock()


def feedback_record(record: AnswerRecord, *, now: datetime | None = None) -> dict:
    a = record.answer
    cited = list(dict.fromkeys(c.article_id for c in a.citations))
    now = now or datetime.now(timezone.utc)
    return {
        "id": f"discord-{record.key}",
        "question": record.question,
        "lang": a.language if a.language in ("fr", "en") else "fr",
        "answerable": True,
        "relevant_articles": cited,
        "expected_facts": [],
        "category": "feedback",
        "source": "discord-feedback",
        "created_at": now.isoformat(timespec="seconds"),
        "answer_given": a.text,
        "refused": a.refused,
        "citations": [
            {"n": c.n, "article_id": c.article_id, "title": c.title, "outlet": c.outlet, "date": c.date,
             "url": c.url, "quote": c.quote}
            for c in a.citations
        ],
        "resolved_question": a.resolved_question or record.question,
        "history": [t.question for t in record.history],
        "discord": {
            "guild_id": str(record.guild_id) if record.guild_id else None,
            "channel_id": str(record.channel_id),
            "message_id": str(record.message_ids[0]) if record.message_ids else None,
        },
    }


def append_jsonl(path: Path, obj: dict) -> None:
    """Append one line, whole or not at all as far as readers go (one O_APPEND write), then fsync."""
    path = Path(path)
    data = (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")
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
