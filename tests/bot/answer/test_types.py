"""How a citation shows its quote and title in an answer: verbatim pieces around the answer, cut at
words, with "…" wherever something was left out."""

from __future__ import annotations

import re

import pytest

from bot.answer.types import EXCERPT_CHARS, Citation

SPAN = "Anatoly Viktorov"


def citation(quote: str, span: str | None = SPAN, title: str = "L'ambassadeur russe révèle") -> Citation:
    start = quote.find(span) if span else None
    return Citation(n=1, article_id="a", title=title, outlet="All Israel News", date=None, date_source="none",
                    url=None, quote=quote, start=0, end=len(quote), answer_span=span, span_start=start,
                    span_end=start + len(span) if span else None)


def pieces(excerpt: str) -> list[str]:
    return [p.strip() for p in excerpt.split("…") if p.strip()]


def test_a_short_quote_is_shown_whole_with_its_spaces_tidied():
    quote = "Selon Anatoly Viktorov,\n les deux pays ont sollicité la médiation russe."
    assert citation(quote).excerpt() == "Selon Anatoly Viktorov, les deux pays ont sollicité la médiation russe."


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_a_long_quote_shows_the_words_around_the_answer(where):
    filler = " ".join(f"mot{i}" for i in range(120))  # ~830 characters
    quote = {"start": f"{SPAN} a dit {filler}.", "middle": f"{filler[:400]} {SPAN} {filler[400:]}.",
             "end": f"{filler} selon {SPAN}."}[where]
    shown = citation(quote).excerpt()
    assert SPAN in shown and len(shown) <= EXCERPT_CHARS + 4  # two "… " at most
    assert all(p in quote for p in pieces(shown))  # every piece verbatim
    assert shown.startswith("… ") == (where != "start") and shown.endswith(" …") == (where != "end")
    for p in pieces(shown):  # cut between words, never inside one
        assert re.search(rf"(^|\s){re.escape(p.split()[0])}", quote) and re.search(rf"{re.escape(p.split()[-1])}(\s|$)",
                                                                               quote)


def test_without_an_answer_span_a_long_quote_shows_its_beginning():
    quote = " ".join(f"mot{i}" for i in range(120))
    shown = citation(quote, span=None).excerpt()
    assert shown.endswith(" …") and quote.startswith(shown[:-2])


def test_a_long_title_is_cut_at_a_word():
    title = "Khamenei demande davantage d’aide à Poutine après les frappes américaines sur les sites nucléaires"
    short = citation("x", span=None, title=title).short_title()
    assert short == "Khamenei demande davantage d’aide à Poutine après les…"
    assert citation("x", span=None, title="Court").short_title() == "Court"
