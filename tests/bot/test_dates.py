"""Dates said to people: a day written out in their language, and a refusal of a typed date that says
what to write, in one line."""

from __future__ import annotations

import pytest

from bot.dates import date_error_message, format_date
from index.dates import DateError, parse_day
from index.retrieval import Filters


def test_a_day_is_written_out_in_the_users_language():
    assert format_date("2026-01-12", "fr") == "12 janvier 2026"
    assert format_date("2026-01-12", "en") == "12 January 2026"
    assert format_date("2026-12-01", "fr") == "1er décembre 2026"
    assert format_date("2026-12-01", "en") == "1 December 2026"
    assert format_date("2025-08-05", "fr", approx=True) == "vers le 5 août 2025"
    assert format_date("2025-08-05", "en", approx=True) == "around 5 August 2025"
    assert (format_date(None, "fr"), format_date("", "en")) == ("date inconnue", "date unknown")
    assert format_date("2026-13-45", "fr") == "2026-13-45"  # not a day: shown as it is


def refusal(text: str, *, field: str = ""):
    with pytest.raises(DateError) as caught:
        parse_day(text)
    return caught.value.named(field) if field else caught.value


def test_the_refusal_is_one_line_in_the_users_language_and_says_what_to_write():
    named = refusal("12/01/2026", field="--from")
    assert date_error_message(named, "en") == ("--from: “12/01/2026” could be 12 January 2026 or 1 December 2026: "
                                               "write 2026-01-12 or 2026-12-01.")
    assert date_error_message(named, "fr") == ("--from : « 12/01/2026 » peut être le 12 janvier 2026 ou le "
                                               "1er décembre 2026 : écrivez 2026-01-12 ou 2026-12-01.")
    assert date_error_message(refusal("hier"), "fr") == ("« hier » n'est pas une date : écrivez-la par exemple "
                                                         "2025-12-31, 31/12/2025 ou 31 décembre 2025.")
    assert len(date_error_message(refusal("x" * 500), "en")) < 150  # a pasted paragraph is not echoed back whole


def test_a_reversed_range_names_both_fields_and_days():
    with pytest.raises(DateError) as caught:
        Filters.parse(date_from="2026-02-01", as_of="2026-01-01", names={"date_from": "--from", "as_of": "--as-of"})
    assert date_error_message(caught.value, "en") == ("--from (1 February 2026) is after --as-of (1 January 2026): "
                                                      "no article can match.")
    assert date_error_message(caught.value, "fr") == ("--from (1er février 2026) est après --as-of "
                                                      "(1er janvier 2026) : aucun article ne peut correspondre.")
