"""Numbers and dates written in a sentence, with their values: what "how many" and "when"
questions ask for, and what a generated sentence must not state unless its passage does.

Our own parsing (spaCy tags NUM tokens but knows no values): digits with French and English
separators ("1 500", "14,2", "3.7"), number words ("six", "trente", "deux millions", "la moitié") and
ordinals ("quatrième"), full dates
(``index.dates``), month + year, years, centuries ("XVIe siècle"), decades ("années 1980") and days
of the week ("lundi", "mardi soir": news says when by them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.answer.reader.lexicon import ARTICLE_NUMBERS, MULTIPLIERS, NUMBER_WORDS, ORDINAL_WORDS, WEEKDAYS
from index.dates import EN_MONTHS, FR_MONTHS, find_dates
from index.keyword import fold


@dataclass(frozen=True)
class Value:
    """A number or a date found in a text: ``text[start:end]``, normalised."""

    kind: str  # "number" or "date"
    start: int
    end: int
    #: a number's value, or a date as "YYYY", "YYYY-MM", "YYYY-MM-DD", "C18" (a century), "D1980" (a decade),
    #: "W1" (a Monday)
    norm: str


_MONTHS = "|".join(sorted({*FR_MONTHS, *EN_MONTHS}, key=len, reverse=True))
_MONTH_YEAR = re.compile(rf"\b({_MONTHS})\.?\s+(?:de\s+l'an\s+)?(\d{{3,4}})\b", re.IGNORECASE)
#: a full date of any year ("mort le 8 septembre 1613"): ``index.dates`` reads when an article was
#: published and keeps to 1900-2100, but a sentence dates history too (read as a figure, "8", and a
#: month, "septembre 1613", it answered "Quel âge avait-il ?" with "8 septembre")
_DAY_MONTH_ANY_YEAR = re.compile(rf"\b(\d{{1,2}})(?:er)?\s+({_MONTHS})\.?\s+(\d{{3,4}})\b", re.IGNORECASE)
#: a 3-digit number is a year only after "en", "in", "vers", "an"
_YEAR_CONTEXT = re.compile(r"\b(en|in|vers|an|around|since|depuis|jusqu'en|until)\s+$", re.IGNORECASE)
_CENTURY = re.compile(r"\b([IVXL]+|\d{1,2})(?:e|è|ème|eme|er|re|th|st|nd|rd)\s+(siècle|siecle|century)\b",
                      re.IGNORECASE)
_DECADE = re.compile(r"\b(?:années|annees)\s+((?:19|20)?\d0)\b|\b((?:19|20)\d0)s\b", re.IGNORECASE)
_DIGITS = re.compile(r"(?<![\w.,])\d{1,3}(?:[\u00a0\u202f ]\d{3})+(?:[.,]\d+)?(?!\d)|(?<![\w.,])\d+(?:[.,]\d+)?(?!\d)")
_ACCENTED = {"e": "[eéèêë]", "a": "[aàâä]", "i": "[iîï]", "o": "[oôö]", "u": "[uùûü]", "c": "[cç]"}


def _spelled(folded: str) -> str:
    """A pattern for a folded word as it is written, accents or not ("moitie": "moitié", "moitie")."""
    return "".join(_ACCENTED.get(ch, re.escape(ch)) for ch in folded)


_WORD_VALUES = {**NUMBER_WORDS, **ORDINAL_WORDS}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_spelled(w) for w in sorted(_WORD_VALUES, key=len, reverse=True)) + r")\b",
                          re.IGNORECASE)
_MULTIPLIER_AFTER = re.compile(r"^\s+(" + "|".join(sorted(MULTIPLIERS, key=len, reverse=True)) + r")\b",
                               re.IGNORECASE)
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.IGNORECASE)
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}


def _roman(text: str) -> int | None:
    total, prev = 0, 0
    for ch in reversed(text.upper()):
        v = _ROMAN.get(ch)
        if v is None:
            return None
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total or None


def _is_year(digits: str, before: str, after: str) -> bool:
    if not digits.isdigit() or after.strip().startswith("%"):
        return False
    if len(digits) == 4:
        return 1000 <= int(digits) <= 2099
    return len(digits) == 3 and bool(_YEAR_CONTEXT.search(before))


def _number(text: str) -> float | None:
    t = re.sub(r"[\u00a0\u202f ]", "", text)
    if "," in t and "." not in t:
        t = t.replace(",", ".")
    elif "," in t:  # 1,234.5
        t = t.replace(",", "")
    try:
        return float(t)
    except ValueError:
        return None


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def find_values(text: str) -> list[Value]:
    """Every date and number in ``text``, in order, never overlapping (dates win)."""
    out: list[Value] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int, norm: str) -> None:
        if any(a < end and start < b for a, b in taken):
            return
        taken.append((start, end))
        out.append(Value(kind, start, end, norm))

    for d in find_dates(text, month_precision=False):
        add("date", d.start, d.end, d.value.isoformat())
    for m in _DAY_MONTH_ANY_YEAR.finditer(text):
        month = FR_MONTHS.get(m.group(2).lower()) or EN_MONTHS.get(m.group(2).lower())
        try:
            add("date", m.start(), m.end(), date(int(m.group(3)), month, int(m.group(1))).isoformat())
        except (TypeError, ValueError):  # no such day ("31 février 1700")
            pass
    for m in _MONTH_YEAR.finditer(text):
        month = FR_MONTHS.get(m.group(1).lower()) or EN_MONTHS.get(m.group(1).lower())
        if month:
            add("date", m.start(), m.end(), f"{int(m.group(2)):04d}-{month:02d}")
    for m in _CENTURY.finditer(text):
        n = int(m.group(1)) if m.group(1).isdigit() else _roman(m.group(1))
        if n:
            add("date", m.start(), m.end(), f"C{n}")
    for m in _DECADE.finditer(text):
        year = m.group(1) or m.group(2)
        year = year if len(year) == 4 else "19" + year
        add("date", m.start(), m.end(), f"D{year}")
    for m in _WEEKDAY.finditer(text):
        following = next((v for v in out if v.kind == "date" and not text[m.end() : v.start].strip(" ,")
                          and v.start >= m.end()), None)
        if following is not None:  # "lundi 3 mars 2025": one date, the 3rd of March
            out[out.index(following)] = Value("date", m.start(), following.end, following.norm)
            taken.append((m.start(), m.end()))
        else:
            add("date", m.start(), m.end(), f"W{WEEKDAYS[m.group(1).lower()]}")
    for m in _DIGITS.finditer(text):
        value = _number(m.group(0))
        if value is None:
            continue
        end = m.end()
        mult = _MULTIPLIER_AFTER.match(text[end:])
        if not mult and _is_year(m.group(0), text[max(0, m.start() - 12) : m.start()], text[end : end + 2]):
            add("date", m.start(), end, m.group(0))
            continue
        if mult:
            value *= MULTIPLIERS[fold(mult.group(1))]
            end += mult.end()
        add("number", m.start(), end, _fmt(value))
    for m in _NUMBER_WORD.finditer(text):
        word = fold(m.group(1))
        if word in ARTICLE_NUMBERS:
            continue
        value = _WORD_VALUES[word]
        end = m.end()
        mult = _MULTIPLIER_AFTER.match(text[end:])
        if mult and word not in MULTIPLIERS:
            value *= MULTIPLIERS[fold(mult.group(1))]
            end += mult.end()
        add("number", m.start(), end, _fmt(value))
    out.sort(key=lambda v: v.start)
    return out


def same_value(a: Value, b: Value) -> bool:
    """Equal numbers; or dates where one is a more precise form of the other (2025 ~ 2025-06-13)."""
    if a.kind != b.kind:
        # a bare year may be read as a number elsewhere ("en 2024" / "2024")
        return a.norm == b.norm
    if a.kind == "number":
        return a.norm == b.norm
    return a.norm.startswith(b.norm) or b.norm.startswith(a.norm)
