"""One feature per cog: asking (ask.py), rebuilding and status (admin.py), buttons and /sources (feedback.py),
feeds: the background poll, the news channel and /feeds (feeds.py)."""

from __future__ import annotations

import discord

from bot.discordbot.policy import Who


def who_is(user: discord.abc.User, channel, guild: discord.Guild | None, channel_id: int | None = None) -> Who:
    """The policy's facts about a person and a place, from discord objects."""
    roles = getattr(user, "roles", None) or []
    return Who(
        user_id=user.id,
        guild_id=guild.id if guild else None,
        channel_id=channel_id or getattr(channel, "id", 0) or 0,
        parent_id=channel.parent_id if isinstance(channel, discord.Thread) else None,
        role_ids=tuple(r.id for r in roles),
        role_names=tuple(r.name for r in roles),
    )
