"""Keeping up with the news inside the bot: the background feed poll, the news channel, and `/feeds`.

The poll runs every `KIOSQUE_FEEDS_INTERVAL_MINUTES` (off by default) in a worker thread, exactly like
`kiosque update`: questions keep being answered from the committed index while it fetches and embeds,
and are answered from the new one as soon as it commits. With `KIOSQUE_DISCORD_NEWS_CHANNEL`, every
article new to the index gets one line there (title, outlet, date, link; no pings, no previews),
whether this bot's poll brought it or a `kiosque update` run by cron in another process (server mode):
the feed journal in the store says which articles are new since when.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.discordbot import policy
from bot.discordbot.cogs import who_is
from bot.discordbot.cogs.admin import Rebuild
from bot.discordbot.formatting import feeds_text, news_messages, split_message
from bot.discordbot.replies import NO_PINGS, InteractionReply
from bot.discordbot.texts import language_of
from bot.errors import USER_ERRORS
from bot.messages import say
from index.feeds.update import UpdateReport

log = logging.getLogger("kiosque.discord")

#: how often the journal is checked for articles another process added (only with a news channel)
NEWS_CHECK_SECONDS = 60.0
#: the poll's thread (and the threads its embedding starts) yields the CPU to answers: a higher nice value
POLL_NICENESS = 10


def _lower_priority() -> None:
    """Linux gives each thread its own nice value, inherited by the threads it starts (torch's OpenMP
    workers): an answer computed meanwhile gets most of the CPU. Elsewhere this changes nothing."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), POLL_NICENESS)
    except (AttributeError, OSError):
        pass


class FeedsCog(commands.Cog, name="Feeds"):
    def __init__(self, bot, *, interval_minutes: float = 0.0):
        self.bot = bot
        self.interval_minutes = interval_minutes
        self.news_channel = bot.settings.news_channel.strip()
        #: the poll in progress (for /status), or None
        self.poll_in_progress: Rebuild | None = None
        #: articles committed after this moment are announced (none from before the bot started)
        self.announced_until = time.time()
        self._announcing = asyncio.Lock()
        self._warned = False
        self._poll_thread = ThreadPoolExecutor(1, thread_name_prefix="kiosque-feeds", initializer=_lower_priority)
        self._loops: list[tasks.Loop] = []
        if interval_minutes > 0:
            self._loops.append(tasks.loop(minutes=interval_minutes)(self.poll))
        if self.news_channel:
            self._loops.append(tasks.loop(seconds=NEWS_CHECK_SECONDS)(self.announce))

    async def cog_load(self) -> None:
        for loop in self._loops:
            loop.before_loop(self.bot.wait_until_ready)
            loop.start()

    async def cog_unload(self) -> None:
        for loop in self._loops:
            loop.cancel()
        self._poll_thread.shutdown(wait=False)

    # -- the poll ----------------------------------------------------------------------------------
    async def poll(self) -> UpdateReport | None:
        """Poll the feeds once (skipped while a poll runs); then announce what is new."""
        if self.poll_in_progress is not None:
            return None
        poll = self.poll_in_progress = Rebuild(started_by="feeds", started_at=time.time())
        report = None
        try:
            report = await asyncio.get_running_loop().run_in_executor(
                self._poll_thread, self.bot.engine.update_feeds, poll.progress)
        except USER_ERRORS as exc:  # another update runs (cron), the store is busy or unwritable
            log.warning("feed poll skipped: %s", exc)
        except Exception:
            log.exception("feed poll crashed; the index is as it was, the next poll tries again")
        finally:
            self.poll_in_progress = None
        if report is not None:
            log.info("feed poll: %d new, %d updated, %d unchanged, %d failed, %d request(s) in %.1f s",
                     len(report.new), len(report.updated), report.unchanged, len(report.failed),
                     report.requests.get("requests", 0), report.seconds)
            for failure in report.failed:
                log.warning("feed poll: %s", failure.line())
        await self.announce()
        return report

    # -- the news channel --------------------------------------------------------------------------
    async def announce(self) -> int:
        """One line per article new since the last announcement; returns how many were announced."""
        if not self.news_channel:
            return 0
        async with self._announcing:
            try:
                fresh = await asyncio.to_thread(self.bot.engine.news_since, self.announced_until)
            except Exception:
                log.exception("could not read the feed journal")
                return 0
            if not fresh:
                return 0
            channel = self.bot.get_channel(int(self.news_channel)) if self.news_channel.isdigit() else None
            if channel is None:
                if not self._warned:
                    log.warning("KIOSQUE_DISCORD_NEWS_CHANNEL=%s: no such channel visible to the bot (a channel id, "
                                "in a server the bot is in)", self.news_channel)
                    self._warned = True
                return 0
            guild = getattr(channel, "guild", None)
            lang = language_of("", str(guild.preferred_locale) if guild else None)
            try:
                for part in news_messages(fresh, lang, self.bot.message_limit):
                    await channel.send(part, allowed_mentions=NO_PINGS, suppress_embeds=True)
            except discord.HTTPException as exc:
                log.warning("could not post the news in %s: %s", self.news_channel, exc)
                return 0
            self.announced_until = max(a["done_at"] for a in fresh)
            return len(fresh)

    # -- /feeds ------------------------------------------------------------------------------------
    @app_commands.command(name="feeds", description="The news feeds Kiosque follows (admins) / Les flux suivis")
    async def feeds_command(self, interaction: discord.Interaction) -> None:
        reply = InteractionReply(interaction)
        lang = language_of("", str(interaction.locale))
        who = who_is(interaction.user, interaction.channel, interaction.guild, interaction.channel_id)
        if not policy.is_admin(who, self.bot.rules):
            await reply.send(say(lang, "discord.feeds_refused"), ephemeral=True)
            return
        await reply.defer(ephemeral=True)
        try:
            feeds = await asyncio.to_thread(self.bot.engine.feeds)
        except Exception:
            log.exception("could not list the feeds")
            await reply.send(say(lang, "discord.error"), ephemeral=True)
            return
        for part in split_message(feeds_text(feeds, lang, self.interval_minutes), self.bot.message_limit):
            await reply.send(part, ephemeral=True)
