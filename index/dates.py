"""Find dates written in French or English news text and read the dates people type (filters).

Saying dates back to people, and what is wrong with one they typed, is the front ends' part
(bot/dates.py, in the words of the message catalogue): `DateError` carries what went wrong as data."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

FR_MONTHS = {
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
}
EN_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
}

_FR = "|".join(sorted(FR_MONTHS, key=len, reverse=True))
_EN = "|".join(sorted(EN_MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:er)?\s+({_FR}|{_EN})\.?\s+(\d{{4}})\b", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"\b({_EN})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
_MONTH_YEAR = re.compile(rf"\b({_FR}|{_EN})\s+(\d{{4}})\b", re.IGNORECASE)


@dataclass(frozen=True)
class FoundDate:
    value: date
    start: int
    end: int
    #: "day" for a full date, "month" for "décembre 2025"
    precision: str = "day"


def _make(y: int, m: int, d: int) -> date | None:
    try:
        if 1900 <= y <= 2100:
            return date(y, m, d)
    except ValueError:
        pass
    return None


def find_dates(text: str, *, month_precision: bool = False) -> list[FoundDate]:
    """Every full date in ``text`` (and "month year" ones if asked), in order of appearance."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []

    def add(value: date | None, m: re.Match, precision: str = "day") -> None:
        if value is None or any(a < m.end() and m.start() < b for a, b in taken):
            return
        taken.append((m.start(), m.end()))
        found.append(FoundDate(value, m.start(), m.end(), precision))

    for m in _DAY_MONTH_YEAR.finditer(text):
        month = FR_MONTHS.get(m.group(2).lower()) or EN_MONTHS.get(m.group(2).lower().rstrip("."))
        add(_make(int(m.group(3)), month, int(m.group(1))), m)
    for m in _MONTH_DAY_YEAR.finditer(text):
        add(_make(int(m.group(3)), EN_MONTHS[m.group(1).lower()], int(m.group(2))), m)
    for m in _ISO.finditer(text):
        add(_make(int(m.group(1)), int(m.group(2)), int(m.group(3))), m)
    for m in _NUMERIC.finditer(text):  # day first: the European and French convention
        add(_make(int(m.group(3)), int(m.group(2)), int(m.group(1))), m)
    if month_precision:
        for m in _MONTH_YEAR.finditer(text):
            month = FR_MONTHS.get(m.group(1).lower()) or EN_MONTHS.get(m.group(1).lower())
            add(_make(int(m.group(2)), month, 1), m, "month")
    found.sort(key=lambda f: f.start)
    return found


def parse_date(value: str | None) -> str | None:
    """A metadata date (ISO, with or without time, or written out) as YYYY-MM-DD, else None."""
    if not value:
        return None
    value = str(value).strip()
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", value)
    if m:
        d = _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return d.isoformat() if d else None
    found = find_dates(value)
    return found[0].value.isoformat() if found else None


class DateError(ValueError):
    """A date a person typed that names no single day. ``problem`` is "unknown" (not a date),
    "ambiguous" (``readings`` holds the days it could be) or "reversed" (a range whose start is after
    its end; ``other`` is the end); ``field`` is the name the front end gave the value (``--from``).
    Its ``str()`` is for logs and library users; people are told with bot/dates.py `date_error_message`."""

    def __init__(self, value: str, problem: str, *, field: str = "", readings: tuple[date, ...] = (),
                 other: tuple[str, date] | None = None):
        self.value, self.problem, self.field, self.readings, self.other = value, problem, field, readings, other
        where = f"{field}: " if field else ""
        detail = (f" ({', '.join(d.isoformat() for d in readings)})" if readings else
                  f" (after {other[0]} {other[1].isoformat()})" if other else "")
        super().__init__(f"{where}{problem} date {value!r}{detail}")

    def named(self, field: str) -> DateError:
        return DateError(self.value, self.problem, field=field, readings=self.readings, other=self.other)


_TYPED_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ][0-9:.]+(?:z|[+-]\d{2}:?\d{2})?)?")  # lower case
_TYPED_YEAR_FIRST = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_TYPED_NUMERIC = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_TYPED_YEAR_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_TYPED_YEAR = re.compile(r"(\d{4})")


def parse_day(text: str, *, end: bool = False) -> date:
    """The day a person means by ``text``, for a date filter; raises `DateError`.

    Reads ISO (``2026-01-12``, with or without a time), ``2026/01/12``, ``12 janvier 2026``,
    ``1er janvier 2026``, ``January 12, 2026``, ``12 Jan 2026`` and numeric dates when only one
    reading exists: ``25/12/2025`` (day first) or ``12/25/2025`` (month first); ``12/01/2026`` could
    be either and is refused, naming both. A month (``janvier 2026``, ``2026-01``) or a year
    (``2026``) stands for its first day, or with ``end`` its last (``--to 2025`` means all of 2025)."""
    raw = " ".join(str(text).split())
    value = raw.lower().rstrip(".")
    if m := _TYPED_ISO.fullmatch(value) or _TYPED_YEAR_FIRST.fullmatch(value):
        return _day_or_error(raw, int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _TYPED_NUMERIC.fullmatch(value):
        first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        readings = tuple(dict.fromkeys(d for d in (_make(year, second, first), _make(year, first, second)) if d))
        if len(readings) == 1:
            return readings[0]
        raise DateError(raw, "ambiguous" if readings else "unknown", readings=readings)
    if found := [f for f in find_dates(value) if f.start == 0 and f.end == len(value)]:
        return found[0].value
    month = year = None
    if m := _TYPED_YEAR_MONTH.fullmatch(value):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _MONTH_YEAR.fullmatch(value):
        year, month = int(m.group(2)), FR_MONTHS.get(m.group(1)) or EN_MONTHS.get(m.group(1))
    elif m := _TYPED_YEAR.fullmatch(value):
        year, month = int(m.group(1)), 12 if end else 1
    if year is not None and 1 <= month <= 12:
        return _day_or_error(raw, year, month, calendar.monthrange(year, month)[1] if end else 1)
    raise DateError(raw, "unknown")


def _day_or_error(raw: str, y: int, m: int, d: int) -> date:
    day = _make(y, m, d)
    if day is None:
        raise DateError(raw, "unknown")
    return day


def date_to_int(day: str | date | None) -> int:
    """20260112 for filters in Chroma metadata (which has no date type); 0 when unknown."""
    if not day:
        return 0
    day = day if isinstance(day, date) else date.fromisoformat(day)
    return day.year * 10_000 + day.month * 100 + day.day
