"""Dates said to people in their language: a day written out, and what is wrong with a date they typed.

index/dates.py reads dates and says what is wrong with one as data (`DateError`); the words are the
message catalogue's (``[dates]`` and ``[date_error]`` in prompts/messages/<lang>.toml)."""

from __future__ import annotations

from datetime import date

from bot.messages import say, words
from index.dates import DateError

#: a typed value longer than this is cut in messages (a pasted paragraph is not echoed back whole)
SHOWN_CHARS = 40


def format_date(iso: str | None, lang: str = "fr", *, approx: bool = False) -> str:
    """``2026-01-12`` -> ``12 janvier 2026`` / ``12 January 2026``; unknown dates say so."""
    if not iso:
        return say(lang, "dates.unknown")
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    month = words(lang, "dates.months")[d.month - 1]
    text = say(lang, "dates.first_day" if d.day == 1 else "dates.day", day=d.day, month=month, year=d.year)
    return say(lang, "dates.approximate", date=text) if approx else text


def date_error_message(error: DateError, lang: str = "en") -> str:
    """One line saying why a typed date names no single day, and how to write it."""
    shown = error.value if len(error.value) <= SHOWN_CHARS else error.value[: SHOWN_CHARS - 1] + "…"
    value = say(lang, "date_error.value", value=shown)
    prefix = say(lang, "date_error.field", field=error.field) if error.field else ""
    if error.problem == "ambiguous":
        days = say(lang, "date_error.or_day").join(format_date(d.isoformat(), lang) for d in error.readings)
        isos = say(lang, "date_error.or").join(d.isoformat() for d in error.readings)
        return prefix + say(lang, "date_error.ambiguous", value=value, days=days, isos=isos)
    if error.problem == "reversed" and error.other:
        other_field, end = error.other
        return say(lang, "date_error.reversed", field=error.field, start=format_date(error.value, lang),
                   other_field=other_field, end=format_date(end.isoformat(), lang))
    return prefix + say(lang, "date_error.unknown", value=value)
