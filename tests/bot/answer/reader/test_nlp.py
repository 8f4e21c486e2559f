"""spaCy's French pipeline as the reader runs it: the components it needs, a parse cache that stays
bounded however long the bot runs, and a clear message when the pipeline is not installed."""

from __future__ import annotations

import pytest

from bot.answer.reader.nlp import EXCLUDED_COMPONENTS, FrenchNLP

SENTENCES = [f"Sergueï Choïgou a rencontré Ali Akbar Ahmadian à Téhéran le {d} janvier 2026." for d in range(1, 8)]


def test_the_pipeline_reads_entities_and_the_parse_without_the_components_it_does_not_need(nlp):
    doc = nlp.parse(SENTENCES[0])
    assert {"tok2vec", "parser", "ner"} <= set(nlp._pipeline().pipe_names)
    assert not set(EXCLUDED_COMPONENTS) & set(nlp._pipeline().pipe_names)
    assert ("Ali Akbar Ahmadian", "PER") in {(e.text, e.label_) for e in doc.ents}
    assert any(t.dep_ == "ROOT" and t.text == "rencontré" for t in doc)


def test_the_parse_cache_returns_the_same_doc_and_forgets_the_oldest_beyond_its_size(nlp):
    small = FrenchNLP(nlp.model, cache_size=3)
    small._nlp = nlp._pipeline()  # the loaded pipeline, shared: only the cache is under test
    first = small.parse(SENTENCES[0])
    assert small.parse(SENTENCES[0]) is first
    docs = small.parse_many(SENTENCES[1:5])  # four more: the cache keeps the three most recent
    assert [d.text for d in docs] == SENTENCES[1:5]
    assert list(small._cache) == SENTENCES[2:5]
    assert small.parse(SENTENCES[0]) is not first  # forgotten, parsed again


def test_the_default_cache_is_bounded_for_a_long_running_bot():
    assert FrenchNLP().cache_size == FrenchNLP.CACHE_SIZE <= 5_000


def test_a_pipeline_that_is_not_installed_says_what_to_install():
    missing = FrenchNLP("fr_core_news_xx")
    with pytest.raises(RuntimeError, match=r"pip install fr-core-news-xx"):
        missing.parse("Bonjour.")
