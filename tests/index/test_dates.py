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


def test_the_refusal_is_one_line_in_the_users_language_and_says_what_to_write():
    with pytest.raises(DateError) as caught:
        parse_day("12/01/2026")
    named = caught.value.named("--from")
    assert named.message("en") == ("--from: “12/01/2026” could be 12 January 2026 or 1 December 2026: "
                                   "write 2026-01-12 or 2026-12-01.")
    assert named.message("fr") == ("--from : « 12/01/2026 » peut être le 12 janvier 2026 ou le 1er décembre 2026 : "
                                   "écrivez 2026-01-12 ou 2026-12-01.")
    with pytest.raises(DateError) as caught:
        parse_day("hier")
    assert caught.value.message("fr") == ("« hier » n'est pas une date : écrivez-la par exemple 2025-12-31, "
                                          "31/12/2025 ou 31 décembre 2025.")
    with pytest.raises(DateError) as caught:
        parse_day("x" * 500)
    assert len(caught.value.message("en")) < 150  # a pasted paragraph is not echoed back whole
