"""The Discord client: intents, cogs, the worker threads answers run in, and command sync on request.

`KiosqueBot` is a `commands.Bot` with no text-prefix commands (the few text commands, like
``@Kiosque reindex``, are recognised by policy.py in the ask cog). It never syncs slash commands on
start: `kiosque bot --sync-commands` does, once.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord.ext import commands

from bot.answer.timeline import Timeline
from bot.answer.types import Answer, Turn
from bot.discordbot.engine import Engine
from bot.discordbot.formatting import MESSAGE_LIMIT
from bot.discordbot.memory import AnswerMemory
from bot.discordbot.policy import RateLimiter, Rules
from bot.discordbot.replies import NO_PINGS
from bot.settings import DiscordSettings
from index.retrieval import Filters

log = logging.getLogger("kiosque.discord")

#: answers computed at once in worker threads (more would only queue for the same CPU cores)
MAX_CONCURRENT_ANSWERS = 4


def intents_for(settings: DiscordSettings) -> discord.Intents:
    """Guild messages and DMs; the privileged Message Content intent only when it is needed: plain-message
    channels, or follow-ups in threads that don't mention the bot (`message_content`)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = bool(settings.plain_channels) or settings.message_content
    return intents


class KiosqueBot(commands.Bot):
    def __init__(self, settings: DiscordSettings, engine: Engine, *, sync_commands: bool = False,
                 message_limit: int = MESSAGE_LIMIT, poll_minutes: float = 0.0, **options):
        # Kiosque has no voice: discord.py's warnings about voice libraries would only alarm people
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned, intents=intents_for(settings), help_command=None,
            allowed_mentions=NO_PINGS, **options,
        )
        self.settings = settings
        self.engine = engine
        self.rules = Rules.from_settings(settings)
        self.rate_limiter = RateLimiter(settings.rate_limit_count, settings.rate_limit_seconds)
        self.memory = AnswerMemory()
        self.message_limit = message_limit
        self.sync_on_start = sync_commands
        #: the feeds are polled every this many minutes (0: never; `kiosque update` from cron does it)
        self.poll_minutes = poll_minutes
        self._answer_slots = asyncio.Semaphore(MAX_CONCURRENT_ANSWERS)

    async def setup_hook(self) -> None:
        from bot.discordbot.cogs.admin import AdminCog
        from bot.discordbot.cogs.ask import AskCog
        from bot.discordbot.cogs.feedback import FeedbackCog, PassagesButton, VoteButton
        from bot.discordbot.cogs.feeds import FeedsCog

        await self.add_cog(AskCog(self))
        await self.add_cog(AdminCog(self))
        await self.add_cog(FeedbackCog(self))
        await self.add_cog(FeedsCog(self, interval_minutes=self.poll_minutes))
        # buttons are routed by their custom id, so those under answers sent before a restart still work
        self.add_dynamic_items(VoteButton, PassagesButton)
        if self.sync_on_start:
            await self.sync_commands()

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: the ask cog decides what a message is (see policy.should_respond)."""

    async def on_ready(self) -> None:
        guilds = ", ".join(g.name for g in self.guilds) or "none yet (invite it: see README)"
        log.info("connected to Discord as %s (id %s); guilds: %s", self.user, self.user.id if self.user else "?",
                 guilds)

    async def sync_commands(self) -> int:
        """Publish the slash commands: to each configured guild (immediate), else globally (up to an hour)."""
        if self.settings.guilds:
            count = 0
            for gid in self.settings.guilds:
                guild = discord.Object(id=int(gid))
                self.tree.copy_global_to(guild=guild)
                count = len(await self.tree.sync(guild=guild))
            log.info("synced %d slash command(s) to %d guild(s)", count, len(self.settings.guilds))
            return count
        count = len(await self.tree.sync())
        log.info("synced %d slash command(s) globally (Discord may take up to an hour to show them)", count)
        return count

    async def answer(self, question: str, history: list[Turn] | None, filters: Filters | None = None) -> Answer:
        """The answerer, in a worker thread: the event loop (and the gateway heartbeat) never waits on it."""
        async with self._answer_slots:
            return await asyncio.to_thread(self.engine.answer, question, history or None, filters)

    async def timeline(self, topic: str, filters: Filters | None = None) -> Timeline:
        async with self._answer_slots:
            return await asyncio.to_thread(self.engine.timeline, topic, filters)

