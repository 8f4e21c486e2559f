"""Find dates written in French or English news text, and format them back for people."""

from __future__ import annotations

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
FR_MONTH_NAMES = [
    "", "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
    "novembre", "décembre",
]
EN_MONTH_NAMES = [
    "", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
]

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


def format_date(iso: str | None, lang: str = "fr", *, approx: bool = False) -> str:
    """``2026-01-12`` -> ``12 janvier 2026`` / ``12 January 2026``; unknown dates say so."""
    if not iso:
        return "date inconnue" if lang == "fr" else "date unknown"
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    if lang == "fr":
        day = "1er" if d.day == 1 else str(d.day)
        text = f"{day} {FR_MONTH_NAMES[d.month]} {d.year}"
        return f"vers le {text}" if approx else text
    text = f"{d.day} {EN_MONTH_NAMES[d.month]} {d.year}"
    return f"around {text}" if approx else text


def date_to_int(iso: str | None) -> int:
    """20260112 for filters in Chroma metadata (which has no date type); 0 when unknown."""
    return int(iso.replace("-", "")) if iso else 0
