"""The frame around quotes, and the note on which source is newer."""

from __future__ import annotations

from bot.answer.extractive import compose, date_notes
from bot.answer.types import Citation


def cite(n, article, date, outlet="Brussels Morning", source="dateline"):
    return Citation(n=n, article_id=article, title=f"Titre {article}", outlet=outlet, date=date,
                    date_source=source if date else "", url=None, quote=f"Citation {n}.", start=0, end=12)


def test_french_frame_and_dates():
    text, notes = compose("fr", [cite(1, "a", "2026-01-12")])
    assert text == "Selon *Titre a* (Brussels Morning, 12 janvier 2026) [1] : « Citation 1. »" and notes == []


def test_a_further_quote_of_the_same_article_is_not_attributed_again():
    text, _ = compose("fr", [cite(1, "a", "2026-01-12"), cite(2, "a", "2026-01-12"), cite(3, "b", None),
                             cite(4, "a", "2026-01-12")])
    assert text.splitlines() == [
        "Selon *Titre a* (Brussels Morning, 12 janvier 2026) [1] : « Citation 1. »",
        "Le même article [2] : « Citation 2. »",
        "Selon *Titre b* (Brussels Morning, date inconnue) [3] : « Citation 3. »",
        "Selon *Titre a* (Brussels Morning, 12 janvier 2026) [4] : « Citation 4. »",  # not next to its first
        "La date de [3] n'est pas connue.",
    ]
    english, _ = compose("en", [cite(1, "a", "2026-01-12"), cite(2, "a", "2026-01-12")])
    assert english.splitlines()[1] == "The same article [2]: “Citation 2.”"


def test_english_frame_keeps_the_quote_verbatim():
    text, _ = compose("en", [cite(1, "a", "2024-08-05", outlet=None, source="embedded-post")])
    assert text == "According to *Titre a* (around 5 August 2024) [1]: “Citation 1.”"


def test_the_newer_source_is_named():
    notes = date_notes("fr", [cite(1, "a", "2024-08-05"), cite(2, "b", "2026-01-12")])
    assert notes == ["L'article [2] (12 janvier 2026) est plus récent que [1] (5 août 2024)."]
    notes = date_notes("en", [cite(1, "a", "2024-08-05"), cite(2, "b", "2026-01-12"), cite(3, "c", "2025-03-01"),
                              cite(4, "d", None)])
    assert notes == ["From newest to oldest: [2] (12 January 2026), [3] (1 March 2025), [1] (5 August 2024).",
                     "The date of [4] is not known."]
    # one article quoted twice, or the same date: nothing to say
    assert date_notes("fr", [cite(1, "a", "2024-08-05"), cite(2, "a", "2024-08-05")]) == []


def test_two_quotes_of_one_article_are_one_source_line():
    from bot.answer.types import Answer

    a = Answer(question="q", text="t", citations=[cite(1, "a", "2026-01-12"), cite(2, "b", None), cite(3, "a", "2026-01-12")],
               refused=False, language="fr", mode="extractive")
    assert a.sources_lines() == ["[1], [3] Titre a — Brussels Morning, 12 janvier 2026",
                                 "[2] Titre b — Brussels Morning, date inconnue"]
