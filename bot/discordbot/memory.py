"""The bot's recent answers, in memory and bounded: what the buttons, `/sources` and follow-ups need.

Each answer is recorded under a key (the id of the question's message or interaction, which is also
in the buttons' custom ids) and found again by any of the ids of the messages that carry it. After a
restart the memory is empty: buttons still work (they say so politely) and follow-ups fall back to
reading the messages themselves (see history.py).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from bot.answer.types import Answer, Turn
from index.retrieval import Filters


@dataclass
class AnswerRecord:
    key: int
    question: str
    answer: Answer
    #: the conversation the question was answered with (earlier turns, oldest first)
    history: list[Turn] = field(default_factory=list)
    #: the /ask options it was answered under (as_of:, source:)
    filters: Filters | None = None
    message_ids: list[int] = field(default_factory=list)
    channel_id: int = 0
    guild_id: int | None = None
    #: the thread opened for follow-ups, if any
    thread_id: int | None = None
    created_at: float = field(default_factory=time.time)
    #: ids of the users who already gave 👎 / 👍 (one record per answer in the feedback file)
    voted_down: set[int] = field(default_factory=set)
    voted_up: set[int] = field(default_factory=set)
    feedback_written: bool = False

    def turn(self) -> Turn:
        a = self.answer
        ids = tuple(dict.fromkeys(c.article_id for c in a.citations))
        return Turn(question=self.question, answer=a.text, resolved_question=a.resolved_question or None,
                    article_ids=ids)

    def conversation(self, max_turns: int) -> list[Turn]:
        """The history a follow-up to this answer is asked with: this answer's, then this answer."""
        return (self.history + [self.turn()])[-max_turns:]


class AnswerMemory:
    def __init__(self, size: int = 1000):
        self.size = size
        self._records: OrderedDict[int, AnswerRecord] = OrderedDict()
        self._by_message: dict[int, int] = {}
        self._lock = threading.Lock()

    def add(self, record: AnswerRecord) -> None:
        with self._lock:
            self._records[record.key] = record
            self._records.move_to_end(record.key)
            for mid in record.message_ids:
                self._by_message[mid] = record.key
            while len(self._records) > self.size:
                _, old = self._records.popitem(last=False)
                for mid in old.message_ids:
                    self._by_message.pop(mid, None)

    def attach_message(self, record: AnswerRecord, message_id: int) -> None:
        with self._lock:
            if message_id not in record.message_ids:
                record.message_ids.append(message_id)
            if record.key in self._records:
                self._by_message[message_id] = record.key

    def get(self, key: int) -> AnswerRecord | None:
        return self._records.get(key)

    def by_message(self, message_id: int) -> AnswerRecord | None:
        key = self._by_message.get(message_id)
        return self._records.get(key) if key is not None else None

    def latest_in(self, channel_id: int) -> AnswerRecord | None:
        """The most recent answer given in a channel or thread."""
        with self._lock:
            for record in reversed(self._records.values()):
                if channel_id in (record.channel_id, record.thread_id):
                    return record
        return None

    def __len__(self) -> int:
        return len(self._records)
