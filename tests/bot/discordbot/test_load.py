"""Load on the real bot through the fake Discord: many questions at once, and many in a row. The
gateway heartbeat is never late (answers run in worker threads) and memory stays bounded."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from tests.bot.discordbot.conftest import HEARTBEAT_MS
from tests.bot.discordbot.test_bot import LETTER, SHOIGU, replying_to

QUESTIONS = [SHOIGU, LETTER, "Qui est l'ambassadeur russe en Israël ?", "Pourquoi Poutine a-t-il appelé Netanyahu ?",
             "De quoi Choïgou a-t-il parlé au téléphone ?", "Quel est le PIB de la France ?",
             "Who did Shoigu meet in Tehran?", "Combien de réacteurs la Russie construit-elle à Bushehr ?",
             "Qui dirigera le Mossad ?", "Quelle est la durée de l'accord entre la Russie et l'Iran ?"]


def rss_mb() -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", open("/proc/self/status").read()).group(1)) / 1024


def heartbeat_gaps(fake, start: float, end: float) -> list[float]:
    beats = [t for t in fake.heartbeats if start <= t <= end]
    return [b - a for a, b in zip(beats, beats[1:])]


@pytest.mark.slow
async def test_fifty_concurrent_questions_all_answered_heartbeat_on_time(fake, start_bot):
    bot = await start_bot()
    users = [fake.alice, fake.bob, fake.carol]
    await asyncio.sleep(HEARTBEAT_MS / 1000 * 2)
    mark, start = fake.mark(), time.monotonic()
    posted = await asyncio.gather(*(fake.say(QUESTIONS[i % len(QUESTIONS)], mention_bot=True, user=users[i % 3])
                                    for i in range(50)))
    replies = await asyncio.gather(*(fake.wait_for_message(replying_to(q), after=mark, timeout=300) for q in posted))
    end = time.monotonic()
    assert len(replies) == 50 and len({r["id"] for r in replies}) == 50
    for q in posted:  # each question has its own recorded answer, none lost or swapped
        record = bot.memory.get(int(q["id"]))
        assert record is not None and record.question in QUESTIONS
    gaps = heartbeat_gaps(fake, start, end)
    assert gaps and max(gaps) < HEARTBEAT_MS / 1000 * 3, f"heartbeat late: {max(gaps):.2f} s"


@pytest.mark.slow
async def test_memory_stays_bounded_over_many_questions(fake, start_bot):
    """600 questions in waves of 20; the soak benchmark runs thousands (docs/reliability.md)."""
    bot = await start_bot(rate_limit_count=10_000)
    users = [fake.alice, fake.bob, fake.carol]

    async def wave(n: int, offset: int) -> None:
        mark = fake.mark()
        posted = await asyncio.gather(*(fake.say(f"{QUESTIONS[(offset + i) % len(QUESTIONS)]} ({offset + i})",
                                                 mention_bot=True, user=users[i % 3]) for i in range(n)))
        await asyncio.gather(*(fake.wait_for_message(replying_to(q), after=mark, timeout=300) for q in posted))
        fake.calls.clear()  # the fake server's own log is not the bot's memory

    for w in range(5):  # warm-up: model, caches, allocator
        await wave(20, w * 20)
    warm = rss_mb()
    for w in range(5, 30):
        await wave(20, w * 20)
    grown = rss_mb() - warm
    assert len(bot.memory) <= 1000
    assert grown < 80, f"RSS grew {grown:.0f} MB over 500 questions"
