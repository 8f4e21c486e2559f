"""The one narrow surface the bot reaches Kiosque through (Onyx's habit: the bot only adapts).

Everything here is blocking: the bot calls it from worker threads (`asyncio.to_thread`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.answer.timeline import Timeline, build_timeline
from bot.answer.types import Answer, Turn
from index.feeds.journal import LastPoll
from index.feeds.update import UpdateReport
from index.ingest import IngestReport
from index.retrieval import Filters
from index.store import StoreStatus

log = logging.getLogger("kiosque.discord")

#: progress(stage, done, total), as the ingest reports it
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FeedsStatus:
    """The feeds' part of `/status`."""

    subscriptions: int
    #: None before the first poll
    last_poll: LastPoll | None


class Engine(Protocol):
    def answer(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None) -> Answer: ...

    def timeline(self, topic: str, filters: Filters | None = None) -> Timeline: ...

    def reindex(self, progress: Progress | None = None) -> IngestReport: ...

    def status(self) -> StoreStatus: ...

    def warm_up(self) -> None: ...

    def feeds_status(self) -> FeedsStatus: ...

    def update_feeds(self, progress: Progress | None = None) -> UpdateReport: ...

    def feeds(self) -> list[dict]: ...

    def news_since(self, since: float) -> list[dict]: ...


class KiosqueEngine:
    """`Engine` over an assembled `Kiosque` (bot/wiring.py): its answerer, ingest and store."""

    def __init__(self, kiosque):
        self.kiosque = kiosque

    def answer(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None) -> Answer:
        return self.kiosque.answerer.answer(question, history=history or None, filters=filters)

    def timeline(self, topic: str, filters: Filters | None = None) -> Timeline:
        return build_timeline(self.kiosque.answerer, topic, filters=filters)

    def reindex(self, progress: Progress | None = None) -> IngestReport:
        """Incremental sync of the configured corpus directory, in this (serving) process."""
        return self.kiosque.ingest(None, progress=progress, in_serving_process=True)

    def status(self) -> StoreStatus:
        return self.kiosque.store.status()

    def feeds_status(self) -> FeedsStatus:
        """How many feeds are followed, and the last poll (by the bot or by cron)."""
        return FeedsStatus(subscriptions=len(self.kiosque.subscriptions()), last_poll=self.kiosque.feeds.last_run())

    def update_feeds(self, progress: Progress | None = None) -> UpdateReport:
        """Poll every feed once and ingest what is new, in this (serving) process."""
        return self.kiosque.update_feeds(progress=progress, in_serving_process=True, trigger="bot")

    def feeds(self) -> list[dict]:
        return self.kiosque.feed_list()

    def news_since(self, since: float) -> list[dict]:
        """Articles the feeds brought since ``since``, whoever polled (this bot, or cron in another process)."""
        return self.kiosque.feeds.new_articles_since(since)

    def warm_up(self) -> None:
        """Claim the store for this process and load the model before the first question, so the first
        answer is not seconds late and worker threads never race to load it."""
        self.kiosque.store.hold_serving_lock()
        _ = self.kiosque.answerer  # starts loading spaCy in the background
        self.kiosque.embedder.embed_queries(["Kiosque"])
        self.kiosque.nlp.warm_up()
