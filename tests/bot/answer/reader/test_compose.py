"""The shape of an answer: the answer first, in bold, with its citation; then the verbatim sentence
with its article, outlet and date; the note on which source is newer."""

from __future__ import annotations

from bot.answer.reader.compose import compose, date_notes
from bot.answer.types import Answer, Citation

SENTENCE = "Selon Anatoly Viktorov, les deux pays ont sollicité la médiation russe."


def cite(n, article, date, outlet="Brussels Morning", source="dateline", quote=SENTENCE, span=None):
    start = quote.find(span) if span else None
    return Citation(n=n, article_id=article, title=f"Titre {article}", outlet=outlet, date=date,
                    date_source=source if date else "", url=None, quote=quote, start=0, end=len(quote),
                    answer_span=span, span_start=start, span_end=start + len(span) if span else None)


def test_the_answer_comes_first_then_the_sentence_that_holds_it():
    text, notes = compose("fr", [cite(1, "a", "2026-01-12", span="Anatoly Viktorov")])
    assert text.splitlines() == [
        "**Anatoly Viktorov** [1]",
        f"« {SENTENCE} » — *Titre a* (Brussels Morning, 12 janvier 2026)",
    ] and notes == []
    english, _ = compose("en", [cite(1, "a", "2024-08-05", outlet=None, source="embedded-post", span="Anatoly Viktorov")])
    assert english.splitlines()[1] == f"“{SENTENCE}” — *Titre a* (around 5 August 2024)"


def test_without_a_span_the_sentences_answer_numbered():
    text, _ = compose("fr", [cite(1, "a", "2026-01-12", quote="Parce que."), cite(2, "a", "2026-01-12", quote="Et voilà.")])
    assert text.splitlines() == ["[1] « Parce que. » — *Titre a* (Brussels Morning, 12 janvier 2026)",
                                 "[2] « Et voilà. » — le même article"]


def test_a_list_answer_gives_its_items_each_cited():
    text, _ = compose("fr", [cite(1, "a", "2024-08-05"), cite(2, "b", "2024-08-05")],
                      [("M. Pezeshkian", 1), ("Mohammad Bagheri", 1), ("Ali Akbar Ahmadian", 2)])
    assert text.splitlines()[0] == "**M. Pezeshkian** [1], **Mohammad Bagheri** [1] et **Ali Akbar Ahmadian** [2]"
    assert text.splitlines()[1].startswith("[1] « ") and text.splitlines()[2].startswith("[2] « ")


def test_another_article_stating_the_fact_otherwise_is_said_up_front():
    text, notes = compose("fr", [cite(1, "a", "2026-01-17", span="six fois", quote="Ils se sont parlé six fois."),
                                 cite(2, "b", "2026-03-02", span="huit fois", quote="Ils se sont parlé huit fois.")])
    assert text.splitlines()[0] == "**six fois** [1] ; selon un autre article : **huit fois** [2]"
    assert notes == ["L'article [2] (2 mars 2026) est plus récent que [1] (17 janvier 2026)."]


def test_the_newer_source_is_named():
    notes = date_notes("fr", [cite(1, "a", "2024-08-05"), cite(2, "b", "2026-01-12")])
    assert notes == ["L'article [2] (12 janvier 2026) est plus récent que [1] (5 août 2024)."]
    notes = date_notes("en", [cite(1, "a", "2024-08-05"), cite(2, "b", "2026-01-12"), cite(3, "c", "2025-03-01"),
                              cite(4, "d", None)])
    assert notes == ["From newest to oldest: [2] (12 January 2026), [3] (1 March 2025), [1] (5 August 2024).",
                     "The date of [4] is not known."]
    assert date_notes("fr", [cite(1, "a", "2024-08-05"), cite(2, "a", "2024-08-05")]) == []


def test_two_quotes_of_one_article_are_one_source_line():
    a = Answer(question="q", text="t", citations=[cite(1, "a", "2026-01-12"), cite(2, "b", None), cite(3, "a", "2026-01-12")],
               refused=False, language="fr", mode="extractive")
    assert a.sources_lines() == ["[1], [3] Titre a — Brussels Morning, 12 janvier 2026",
                                 "[2] Titre b — Brussels Morning, date inconnue"]
