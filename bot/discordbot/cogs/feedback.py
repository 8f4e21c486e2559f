"""Under every answer: 👍, 👎 and "show the passages"; and `/sources` for the verbatim quotes.

The buttons are dynamic items: their custom id carries the answer's key (``kiosque:vote:down:<key>``),
so the bot routes clicks on answers it sent before a restart too. A 👎 appends the answer to the
feedback file as a candidate evaluation question (feedback.py), once per answer.
"""

from __future__ import annotations

import asyncio
import logging
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.discordbot import policy
from bot.discordbot.cogs import who_is
from bot.discordbot.feedback import append_jsonl, feedback_record
from bot.discordbot.formatting import render_passages
from bot.discordbot.memory import AnswerRecord
from bot.discordbot.replies import InteractionReply
from bot.discordbot.texts import language_of
from bot.messages import say

log = logging.getLogger("kiosque.discord")


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"kiosque:vote:(?P<vote>up|down):(?P<key>\d+)"):
    def __init__(self, vote: str, key: int):
        super().__init__(discord.ui.Button(
            style=discord.ButtonStyle.secondary, emoji="👍" if vote == "up" else "👎",
            custom_id=f"kiosque:vote:{vote}:{key}",
        ))
        self.vote, self.key = vote, key

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]):
        return cls(match["vote"], int(match["key"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.get_cog("Feedback").vote(interaction, self.vote, self.key)


class PassagesButton(discord.ui.DynamicItem[discord.ui.Button], template=r"kiosque:passages:(?P<key>\d+)"):
    def __init__(self, key: int, lang: str = "fr"):
        super().__init__(discord.ui.Button(
            style=discord.ButtonStyle.secondary, emoji="📄", label=say(lang, "discord.button_passages"),
            custom_id=f"kiosque:passages:{key}",
        ))
        self.key = key

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]):
        return cls(int(match["key"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.get_cog("Feedback").show_passages(interaction, self.key)


def answer_view(key: int, lang: str) -> discord.ui.View:
    """The buttons under an answer (on its last message)."""
    view = discord.ui.View(timeout=None)
    view.add_item(PassagesButton(key, lang))
    view.add_item(VoteButton("up", key))
    view.add_item(VoteButton("down", key))
    return view


_MESSAGE_LINK = re.compile(r"(?:channels/\d+/\d+/)?(\d{15,22})\s*$")


class FeedbackCog(commands.Cog, name="Feedback"):
    def __init__(self, bot):
        self.bot = bot

    @staticmethod
    def lang_of(interaction: discord.Interaction, record: AnswerRecord | None) -> str:
        return record.answer.language if record else language_of("", str(interaction.locale))

    async def vote(self, interaction: discord.Interaction, vote: str, key: int) -> None:
        record = self.bot.memory.get(key)
        lang = self.lang_of(interaction, record)
        reply = InteractionReply(interaction)
        if record is None:
            await reply.send(say(lang, "discord.forgotten"), ephemeral=True)
            return
        user = interaction.user.id
        if vote == "up":
            record.voted_up.add(user)
            log.info("👍 on answer %s", key)
            await reply.send(say(lang, "discord.feedback_up"), ephemeral=True)
            return
        if record.feedback_written or user in record.voted_down:
            record.voted_down.add(user)
            await reply.send(say(lang, "discord.feedback_already"), ephemeral=True)
            return
        record.voted_down.add(user)
        record.feedback_written = True
        path = self.bot.settings.feedback_file
        try:
            await asyncio.to_thread(append_jsonl, path, feedback_record(record))
        except OSError:
            record.feedback_written = False
            log.exception("could not write the feedback file %s", path)
            await reply.send(say(lang, "discord.error"), ephemeral=True)
            return
        log.info("👎 on answer %s: candidate question appended to %s", key, path)
        await reply.send(say(lang, "discord.feedback_down"), ephemeral=True)

    async def show_passages(self, interaction: discord.Interaction, key: int) -> None:
        await self.send_passages(interaction, self.bot.memory.get(key))

    async def send_passages(self, interaction: discord.Interaction, record: AnswerRecord | None) -> None:
        reply = InteractionReply(interaction)
        lang = self.lang_of(interaction, record)
        if record is None:
            await reply.send(say(lang, "discord.forgotten"), ephemeral=True)
            return
        for part in render_passages(record.answer, self.bot.message_limit):
            await reply.send(part, ephemeral=True)

    @app_commands.command(name="sources", description="The verbatim passages behind an answer / Les passages cités")
    @app_commands.describe(message="Link or id of the answer (default: the latest one here)")
    async def sources(self, interaction: discord.Interaction, message: str | None = None) -> None:
        who = who_is(interaction.user, interaction.channel, interaction.guild, interaction.channel_id)
        decision = policy.may_ask(who, self.bot.rules)
        lang = language_of("", str(interaction.locale))
        if not decision.respond:
            await InteractionReply(interaction).send(say(lang, f"discord.{decision.notice}", roles=", ".join(
                sorted(self.bot.settings.allowed_roles))), ephemeral=True)
            return
        record = None
        if message:
            m = _MESSAGE_LINK.search(message.strip())
            record = self.bot.memory.by_message(int(m.group(1))) if m else None
        else:
            record = self.bot.memory.latest_in(interaction.channel_id)
        if record is None:
            await InteractionReply(interaction).send(say(lang, "discord.no_recent_answer"), ephemeral=True)
            return
        await self.send_passages(interaction, record)
