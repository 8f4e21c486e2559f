"""Sending, the same way for messages and slash commands: never a ping, replies where they belong.

Every send passes ``allowed_mentions=AllowedMentions.none()`` explicitly (the client default is the
same): quoted article text must never notify anyone, not even the person who asked.
"""

from __future__ import annotations

import contextlib
import logging
import time

import discord

log = logging.getLogger("kiosque.discord")

NO_PINGS = discord.AllowedMentions.none()
#: an interaction token lives 15 minutes; past this, answer in the channel instead
INTERACTION_TOKEN_S = 14 * 60


class Reply:
    """Where the bot's messages about one request go."""

    channel: discord.abc.Messageable | None

    async def send(self, content: str, *, view: discord.ui.View | None = None,
                   ephemeral: bool = False) -> discord.Message | None:
        raise NotImplementedError


#: every send also suppresses embeds: a URL or invite quoted from an article never unfolds into a card
class MessageReply(Reply):
    """To a message: the first send replies to it (a message reference, no ping), the next ones follow."""

    def __init__(self, message: discord.Message):
        self.message = message
        self.channel = message.channel
        self._replied = False

    async def send(self, content, *, view=None, ephemeral=False):
        extra = {"view": view} if view is not None else {}
        if not self._replied:
            self._replied = True
            return await self.message.reply(content, mention_author=False, allowed_mentions=NO_PINGS,
                                            suppress_embeds=True, **extra)
        return await self.message.channel.send(content, allowed_mentions=NO_PINGS, suppress_embeds=True, **extra)


class InteractionReply(Reply):
    """To a slash command or a button: the interaction response first, then follow-ups."""

    def __init__(self, interaction: discord.Interaction):
        self.interaction = interaction
        self.channel = interaction.channel
        self._started = time.monotonic()

    async def defer(self, *, ephemeral: bool = False) -> None:
        if not self.interaction.response.is_done():
            await self.interaction.response.defer(thinking=True, ephemeral=ephemeral)

    async def send(self, content, *, view=None, ephemeral=False):
        i = self.interaction
        extra = {"view": view} if view is not None else {}
        if not i.response.is_done():
            await i.response.send_message(content, ephemeral=ephemeral, allowed_mentions=NO_PINGS,
                                          suppress_embeds=True, **extra)
            return None
        if time.monotonic() - self._started > INTERACTION_TOKEN_S and not ephemeral and self.channel is not None:
            return await self.channel.send(content, allowed_mentions=NO_PINGS, suppress_embeds=True, **extra)
        return await i.followup.send(content, ephemeral=ephemeral, allowed_mentions=NO_PINGS, suppress_embeds=True,
                                     wait=True, **extra)


@contextlib.asynccontextmanager
async def working(channel):
    """The typing indicator while the bot thinks; a channel that refuses it changes nothing."""
    typing = None
    if channel is not None and hasattr(channel, "typing"):
        typing = channel.typing()
        try:
            await typing.__aenter__()
        except (discord.HTTPException, AttributeError) as exc:
            log.debug("no typing indicator in %s: %s", getattr(channel, "id", "?"), exc)
            typing = None
    try:
        yield
    finally:
        if typing is not None:
            with contextlib.suppress(Exception):
                await typing.__aexit__(None, None, None)
