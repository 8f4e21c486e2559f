"""The fixed question set about the seeds stays usable: valid, big and varied enough, and every
expected fact really is in one of its relevant articles (an extractive answer can contain it)."""

from __future__ import annotations

from collections import Counter

from bot.evaluation.metrics import fact_present
from bot.evaluation.questions import load_questions
from index.loading import load_paths
from tests.conftest import SEED_QUESTIONS, SEEDS



def seed_texts() -> dict[str, str]:
    """The seeds as ingest cleans them (the text citations are checked against)."""
    return {a.id: a.text for a in load_paths([SEEDS], SEEDS, 5_000_000) if hasattr(a, "text")}


def test_the_seed_question_set_is_valid_and_varied():
    qs = load_questions(SEED_QUESTIONS)
    texts = seed_texts()
    assert len(texts) == 5
    assert len(qs) >= 60
    assert sum(not q.answerable for q in qs) >= 10
    assert sum(q.lang == "en" for q in qs) >= 15
    assert all(q.lang in ("fr", "en") and q.category for q in qs)
    categories = Counter(q.category for q in qs)
    assert {"who", "what", "when", "number", "place", "multi-hop", "unanswerable"} <= set(categories)
    assert sum(len(q.relevant_articles) > 1 for q in qs) >= 5  # some need two articles
    assert {a for q in qs for a in q.relevant_articles} == set(texts)  # every seed is asked about


def test_every_expected_fact_occurs_in_a_relevant_article():
    texts = seed_texts()
    missing = []
    for q in load_questions(SEED_QUESTIONS):
        if q.answerable:
            assert q.relevant_articles and q.expected_facts, q.id
        for fact in q.expected_facts:
            if not any(fact_present(fact, texts[a]) for a in q.relevant_articles):
                missing.append((q.id, fact))
    assert missing == []
