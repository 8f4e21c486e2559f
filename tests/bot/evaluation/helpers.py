"""Hand-made answers and articles for evaluation tests: what the answerer would return, built by hand
so each metric's arithmetic can be checked exactly."""

from __future__ import annotations

from bot.answer.types import Answer, Citation
from bot.evaluation.questions import Question

TEXTS = {
    "a1": "Sergueï Choïgou s'est entretenu avec Ali Akbar Ahmadian. L'appel a eu lieu le 12 janvier 2026.",
    "a2": "Le commerce bilatéral aurait atteint plus de 2 milliards de dollars en 2025.",
    "a3": "Poutine et Netanyahu se sont entretenus six fois au téléphone l'année dernière.",
}


def cite(n: int, article_id: str, quote: str) -> Citation:
    text = TEXTS.get(article_id, "")
    start = max(text.find(quote), 0)
    return Citation(n=n, article_id=article_id, title=f"Title {article_id}", outlet="Outlet", date="2026-01-12",
                    date_source="dateline", url=None, quote=quote, start=start, end=start + len(quote))


def answer(question: str = "q", text: str = "", citations=(), *, refused: bool = False, retrieved=(),
           related=()) -> Answer:
    return Answer(question=question, text=text, citations=list(citations), refused=refused, language="fr",
                  mode="extractive", retrieved=list(retrieved), related=list(related))


def question(qid: str = "q1", *, answerable: bool = True, relevant=("a1",), facts=(), category=None,
             text: str = "Avec qui Choïgou s'est-il entretenu ?", lang: str | None = None) -> Question:
    return Question(id=qid, question=text, answerable=answerable,
                    relevant_articles=tuple(relevant) if answerable else (),
                    expected_facts=tuple(tuple(f) for f in facts) if answerable else (), category=category, lang=lang)
