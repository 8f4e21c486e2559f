"""Dates people type into filters: every accepted form, and a refusal that says what to write."""

from __future__ import annotations

from datetime import date

import pytest

from index.dates import DateError, parse_day

JAN_12 = date(2026, 1, 12)


@pytest.mark.parametrize("text", [
    "2026-01-12", "2026-1-12", " 2026-01-12 ", "2026-01-12T10:30:00Z", "2026-01-12 10:30", "2026/01/12",
    "12 janvier 2026", "12 JANVIER 2026", "12 Jan 2026", "12 jan. 2026", "January 12, 2026", "Jan 12 2026",
    "2026.01.12",
])
def test_one_day_written_many_ways(text):
    assert parse_day(text) == JAN_12


def test_numeric_dates_are_read_only_when_one_reading_exists():
    assert parse_day("25/12/2025") == parse_day("12/25/2025") == date(2025, 12, 25)
    assert parse_day("01/01/2026") == date(2026, 1, 1)  # both readings are the same day
    assert parse_day("1er janvier 2026") == date(2026, 1, 1)
    with pytest.raises(DateError) as caught:
        parse_day("12/01/2026")
    assert caught.value.problem == "ambiguous" and caught.value.readings == (JAN_12, date(2026, 12, 1))


def test_a_month_or_a_year_is_its_first_day_or_with_end_its_last():
    assert (parse_day("janvier 2026"), parse_day("janvier 2026", end=True)) == (date(2026, 1, 1), date(2026, 1, 31))
    assert parse_day("February 2024", end=True) == date(2024, 2, 29)
    assert parse_day("2026-02", end=True) == date(2026, 2, 28)
    assert (parse_day("2025"), parse_day("2025", end=True)) == (date(2025, 1, 1), date(2025, 12, 31))


@pytest.mark.parametrize("text", ["hier", "yesterday", "31/02/2026", "2026-13-01", "12 janvier 2026 et demi", "",
                                  "12/01/26", "le 12"])
def test_what_is_not_one_day_is_refused(text):
    with pytest.raises(DateError) as caught:
        parse_day(text)
    assert caught.value.problem == "unknown"


def test_a_refusal_carries_what_went_wrong_as_data_for_the_front_ends_to_say():
    """The sentences are bot/dates.py's, in the user's language (tests/bot/test_dates.py)."""
    with pytest.raises(DateError) as caught:
        parse_day("12/01/2026")
    named = caught.value.named("--from")
    assert (named.field, named.value, named.problem, named.readings) == ("--from", "12/01/2026", "ambiguous",
                                                                         (JAN_12, date(2026, 12, 1)))
    assert str(named) == "--from: ambiguous date '12/01/2026' (2026-01-12, 2026-12-01)"
