"""The language the bot speaks to someone on Discord, and durations in words.

Handlers never hold user-facing text inline: they call bot/messages.py `say(lang, "discord.<key>", ...)`,
so a wording change is one place (``[discord]`` in prompts/messages/<lang>.toml) and every language
stays complete.
"""

from __future__ import annotations

import re

from bot.answer.reader.lexicon import detect_language
from bot.messages import say


def language_of(text: str, locale: str | None = None) -> str:
    """"fr" or "en" for the bot's own messages: the question's language as the answerer sees it (so the
    bot's words match the answer's), else the Discord locale, else French."""
    if re.search(r"\w", text or ""):
        return detect_language(text)
    if locale:
        return "fr" if str(locale).lower().startswith("fr") else "en"
    return "fr"


def duration(seconds: float, lang: str) -> str:
    seconds = round(seconds)
    if seconds < 90:
        return say(lang, "discord.seconds", n=seconds)
    minutes = round(seconds / 60)
    if minutes < 90:
        return say(lang, "discord.minutes", n=minutes)
    return say(lang, "discord.hours", n=round(minutes / 60))
