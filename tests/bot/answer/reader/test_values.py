"""Numbers and dates with their values (French and English ways of writing them)."""

from __future__ import annotations

import pytest

from bot.answer.reader.values import find_values, same_value


def found(text):
    return [(text[v.start : v.end], v.kind, v.norm) for v in find_values(text)]


@pytest.mark.parametrize("text, expected", [
    ("1 300 Israéliens", [("1 300", "number", "1300")]),
    ("14,2 milliards d'euros", [("14,2 milliards", "number", "14200000000")]),
    ("six fois au téléphone", [("six", "number", "6")]),
    ("deux nouveaux réacteurs", [("deux", "number", "2")]),
    ("le 12 janvier 2026", [("12 janvier 2026", "date", "2026-01-12")]),
    ("August 5, 2024", [("August 5, 2024", "date", "2024-08-05")]),
    ("en juin 2025", [("juin 2025", "date", "2025-06")]),
    ("en 2003 et 12 milliards", [("2003", "date", "2003"), ("12 milliards", "number", "12000000000")]),
    ("au XVIe siècle", [("XVIe siècle", "date", "C16")]),
    ("dans les années 1980", [("années 1980", "date", "D1980")]),
    ("en 843", [("843", "date", "843")]),
    ("300 hommes et 58 %", [("300", "number", "300"), ("58", "number", "58")]),
    ("une lettre", []),  # an article, not a count
    ("s'est rendu à Téhéran lundi, où", [("lundi", "date", "W1")]),  # news dates events by the weekday
    ("On Tuesday evening", [("Tuesday", "date", "W2")]),
    ("le lundi 3 mars 2025", [("lundi 3 mars 2025", "date", "2025-03-03")]),  # one date, not two
    # history is dated too: one date, not a figure ("8") and a month ("septembre 1613")
    ("mort le 8 septembre 1613 à Gesualdo", [("8 septembre 1613", "date", "1613-09-08")]),
    ("le 1er janvier 800", [("1er janvier 800", "date", "0800-01-01")]),
    ("mardi, 4 avril 2023", [("mardi, 4 avril 2023", "date", "2023-04-04")]),
    # ordinals are figures ("depuis combien d'années ?" "… qui entre dans sa quatrième année")
    ("qui entre dans sa quatrième année", [("quatrième", "number", "4")]),
    ("for the fourth time", [("fourth", "number", "4")]),
    ("le Premier ministre, au second tour", []),
    # number words are found as written, accents included
    ("la moitié des votes", [("moitié", "number", "0.5")]),
])
def test_values(text, expected):
    assert found(text) == expected


def test_same_value_across_precision():
    a, b = find_values("le 13 juin 2025")[0], find_values("en 2025")[0]
    assert same_value(a, b)
    assert not same_value(find_values("six fois")[0], find_values("huit fois")[0])
    assert same_value(find_values("six fois")[0], find_values("6 fois")[0])


def test_a_weekday_is_not_another_weekday_nor_a_figure():
    assert same_value(find_values("lundi")[0], find_values("Monday")[0])
    assert not same_value(find_values("lundi")[0], find_values("mardi")[0])
    assert not same_value(find_values("lundi")[0], find_values("1 fois")[0])
