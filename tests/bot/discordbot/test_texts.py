"""The bot's own sentences: both languages complete, and the language chosen like the answer's."""

from __future__ import annotations

import string

from bot.discordbot.texts import TEXTS, duration, language_of, say


def test_both_languages_have_the_same_sentences_and_placeholders():
    assert TEXTS["fr"].keys() == TEXTS["en"].keys()
    for key in TEXTS["fr"]:
        fields = [{f for _, f, _, _ in string.Formatter().parse(TEXTS[lang][key]) if f} for lang in ("fr", "en")]
        assert fields[0] == fields[1], key


def test_language_follows_the_question_then_the_locale():
    assert language_of("Who met Shoigu in Tehran?") == "en"
    assert language_of("Qui a rencontré Shoigu à Téhéran ?") == "fr"
    assert language_of("", "en-US") == "en" and language_of("", "fr") == "fr" and language_of("") == "fr"
    assert language_of("Who is it?", "fr") == "en"  # the words win over the locale


def test_say_and_durations():
    assert say("en", "rate_limited", count=5, window=duration(60, "en"), wait=12).startswith("Easy there: you asked 5")
    assert say("de", "sources") == "Sources"  # unknown languages fall back to English
    assert [duration(s, "fr") for s in (30, 600, 7200)] == ["30 s", "10 min", "2 h"]
