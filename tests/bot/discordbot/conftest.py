"""Fixtures for the Discord tests: the fake Discord server, a Kiosque over the seeds, and running bots.

The bot under test is the real `KiosqueBot` (real discord.py HTTP and gateway code) connected to the
fake server on 127.0.0.1, answering with the real answerer, embedder and Chroma store.
"""

from __future__ import annotations

import asyncio
import shutil

import discord
import pytest
import yarl

from bot.discordbot.client import KiosqueBot
from bot.discordbot.engine import KiosqueEngine
from bot.discordbot.formatting import MESSAGE_LIMIT
from bot.settings import DiscordSettings, load_settings
from bot.wiring import Kiosque
from tests.bot.discordbot.fake_discord import FakeDiscord
from tests.conftest import SEEDS, shared_nlp

#: short, so that a test sees many heartbeats (and a late one) in a second or two
HEARTBEAT_MS = 200


@pytest.fixture
def fake(monkeypatch):
    """The fake Discord; discord.py's REST base and gateway URL point at it for the test."""
    server = FakeDiscord(heartbeat_ms=HEARTBEAT_MS).start()
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
    yield server
    server.stop()


def make_kiosque(root, embedder, cache_dir, corpus=None, **overrides) -> Kiosque:
    """A Kiosque from settings, over its own store and corpus copy, sharing the session's loaded model."""
    if corpus is None:
        corpus = root / "corpus"
        shutil.copytree(SEEDS, corpus)
    settings = load_settings(None, store__dir=root / "store", corpus__dir=corpus, embed__cache_dir=cache_dir,
                             **overrides)
    kiosque = Kiosque(settings)
    kiosque.embedder = embedder  # the models are loaded once per test session, before any bot starts
    kiosque.nlp = shared_nlp()
    kiosque.nlp.warm_up()
    kiosque.ingest(in_serving_process=True)
    return kiosque


@pytest.fixture(scope="module")
def kiosque(tmp_path_factory, embedder, cache_dir):
    """The five seeds, indexed; shared by the tests of a module that do not change the corpus."""
    k = make_kiosque(tmp_path_factory.mktemp("discord-kiosque"), embedder, cache_dir)
    yield k
    k.close()


@pytest.fixture
async def start_bot(fake, kiosque, tmp_path):
    """Start bots connected to the fake server; at the end, check that none of them ever allowed a ping."""
    running: list[tuple[KiosqueBot, asyncio.Task]] = []

    async def start(engine=None, *, sync_commands: bool = False, message_limit: int = MESSAGE_LIMIT,
                    poll_minutes: float = 0.0, **discord_settings) -> KiosqueBot:
        options = {"feedback_file": tmp_path / "feedback" / "candidates.jsonl", "admin_roles": ["Admins"],
                   "rate_limit_count": 100, **discord_settings}
        bot = KiosqueBot(DiscordSettings(**options), engine or KiosqueEngine(kiosque), sync_commands=sync_commands,
                         message_limit=message_limit, poll_minutes=poll_minutes, guild_ready_timeout=0.05)
        task = asyncio.create_task(bot.start(fake.token))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if task in done:
                task.result()
            raise AssertionError("the bot did not get ready")
        running.append((bot, task))
        return bot

    yield start
    for bot, task in running:
        await bot.close()
        await asyncio.wait_for(task, 10)
    assert_no_pings(fake)


def assert_no_pings(fake: FakeDiscord) -> None:
    """Every call that sends text says ``allowed_mentions``: nobody, no role, no reply ping; and
    suppresses embeds (a quoted URL or invite never unfolds into a card)."""
    for call in fake.sends():
        body = call.body.get("data", call.body) if call.path.endswith("/callback") else call.body
        allowed = body.get("allowed_mentions")
        assert allowed is not None, f"no allowed_mentions in {call}"
        assert allowed.get("parse") == [] and not allowed.get("users") and not allowed.get("roles"), call
        assert allowed.get("replied_user", False) is False, call
        if body.get("content"):
            assert body.get("flags", 0) & 4, f"embeds not suppressed in {call}"
