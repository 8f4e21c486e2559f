"""Rebuilding the index (`/reindex`, ``@Kiosque reindex``) and `/status`.

A rebuild is an incremental sync of the configured corpus directory, run in a worker thread of this
process (the bot holds the store's serving lock): answers keep coming from the committed index while it
runs. Only configured admin users and roles may start one, and only one runs at a time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import discord
from discord import app_commands
from discord.ext import commands

from bot.discordbot import policy
from bot.discordbot.cogs import who_is
from bot.discordbot.formatting import reindex_report, status_text
from bot.discordbot.replies import InteractionReply, MessageReply, Reply
from bot.discordbot.texts import language_of
from bot.errors import USER_ERRORS
from bot.messages import say

log = logging.getLogger("kiosque.discord")


@dataclass
class Rebuild:
    """The rebuild in progress."""

    started_by: str
    started_at: float
    stage: str = "read"
    done: int = 0
    total: int = 0

    def progress(self, stage: str, done: int, total: int) -> None:  # called from the worker thread
        self.stage, self.done, self.total = stage, done, total

    def describe(self) -> str:
        return f"{self.stage} {self.done}/{self.total}" if self.total else self.stage


class AdminCog(commands.Cog, name="Admin"):
    def __init__(self, bot):
        self.bot = bot
        self.rebuild: Rebuild | None = None

    # -- entry points ----------------------------------------------------------------------------
    @app_commands.command(name="reindex", description="Rebuild the index from the corpus (admins) / Reconstruire l'index")
    async def reindex_command(self, interaction: discord.Interaction) -> None:
        who = who_is(interaction.user, interaction.channel, interaction.guild, interaction.channel_id)
        await self.reindex(InteractionReply(interaction), who, str(interaction.user),
                           language_of("", str(interaction.locale)))

    @app_commands.command(name="status", description="Corpus size and last update / Taille du corpus et mise à jour")
    async def status_command(self, interaction: discord.Interaction) -> None:
        reply = InteractionReply(interaction)
        await reply.defer(ephemeral=True)
        await self.status(reply, language_of("", str(interaction.locale)))

    async def text_command(self, message: discord.Message, command: str) -> None:
        """``@Kiosque reindex`` / ``@Kiosque status`` (and ``!kiosque …`` with the Message Content intent)."""
        reply = MessageReply(message)
        locale = str(message.guild.preferred_locale) if message.guild else None
        lang = language_of("", locale)
        if command == "reindex":
            await self.reindex(reply, who_is(message.author, message.channel, message.guild), str(message.author), lang)
        elif command == "status":
            await self.status(reply, lang)

    # -- actions ---------------------------------------------------------------------------------
    async def reindex(self, reply: Reply, who: policy.Who, name: str, lang: str) -> None:
        if not policy.is_admin(who, self.bot.rules):
            log.info("reindex refused to %s (not an admin)", who.user_id)
            await reply.send(say(lang, "discord.admin_refused"), ephemeral=True)
            return
        running = self.rebuild
        if running is not None:
            since = time.strftime("%H:%M", time.localtime(running.started_at))
            await reply.send(say(lang, "discord.reindex_running", who=running.started_by, since=since), ephemeral=True)
            return
        rebuild = self.rebuild = Rebuild(started_by=name, started_at=time.time())  # no await since the check
        try:
            if isinstance(reply, InteractionReply):
                await reply.defer()
            else:
                await reply.send(say(lang, "discord.reindex_started"))
            log.info("reindex started by %s", who.user_id)
            try:
                report = await asyncio.to_thread(self.bot.engine.reindex, rebuild.progress)
            except USER_ERRORS as exc:
                log.warning("reindex failed: %s", exc)
                await reply.send(say(lang, "discord.reindex_failed", reason=str(exc)))
                return
            except Exception:
                log.exception("reindex crashed")
                await reply.send(say(lang, "discord.reindex_crashed"))
                return
            for p in report.problems:
                log.warning("reindex skipped %s: %s", p["source"], p["reason"])
            log.info("reindex done: %s", report.counts())
            await reply.send(reindex_report(report, lang))
        finally:
            self.rebuild = None

    async def status(self, reply: Reply, lang: str) -> None:
        try:
            info = await asyncio.to_thread(self.bot.engine.status)
            feeds = await asyncio.to_thread(self.bot.engine.feeds_status)
        except Exception:
            log.exception("status failed")
            await reply.send(say(lang, "discord.error"), ephemeral=True)
            return
        running = []
        if self.rebuild is not None:
            since = time.strftime("%H:%M:%S", time.localtime(self.rebuild.started_at))
            running.append(say(lang, "discord.status_running", since=since, progress=self.rebuild.describe()))
        poll = getattr(self.bot.get_cog("Feeds"), "poll_in_progress", None)
        if poll is not None:
            since = time.strftime("%H:%M:%S", time.localtime(poll.started_at))
            running.append(say(lang, "discord.status_polling", since=since, progress=poll.describe()))
        await reply.send(status_text(info, lang, feeds=feeds, running="\n".join(running) or None), ephemeral=True)
