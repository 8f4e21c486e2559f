"""The bot's language: chosen like the answer's; durations in its words (the sentences themselves are
the message catalogue's, tests/bot/test_messages.py)."""

from __future__ import annotations

from bot.discordbot.texts import duration, language_of
from bot.messages import say


def test_language_follows_the_question_then_the_locale():
    assert language_of("Who met Shoigu in Tehran?") == "en"
    assert language_of("Qui a rencontré Shoigu à Téhéran ?") == "fr"
    assert language_of("", "en-US") == "en" and language_of("", "fr") == "fr" and language_of("") == "fr"
    assert language_of("Who is it?", "fr") == "en"  # the words win over the locale


def test_say_and_durations():
    assert say("en", "discord.rate_limited", count=5, window=duration(60, "en"), wait=12).startswith(
        "Easy there: you asked 5 question(s) in less than 60 s.")
    assert [duration(s, "fr") for s in (30, 600, 7200)] == ["30 s", "10 min", "2 h"]
