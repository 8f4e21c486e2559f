"""Scores: pure functions from (question, answer, article texts) to per-question scores, and from
those to the run's metrics. No I/O, no model: everything here is testable on hand-made answers.

A question **passes** when
- answerable: the answer is not a refusal, cites at least one relevant article (when the question
  names any), contains every expected fact, and every citation quotes its article verbatim;
- unanswerable: the answer is a refusal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from bot.answer.types import Answer
from bot.evaluation.questions import Question


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    higher_is_better: bool = True
    unit: str = ""  # "" = a share in [0, 1]; "ms" = milliseconds


#: every metric a run reports, in report order; names are what --fail-under/--fail-over accept
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("pass_rate", "questions that pass (see the definition in evals/README.md)"),
    Metric("hit_at_1", "answerable questions whose first retrieved article is relevant"),
    Metric("hit_at_5", "answerable questions with a relevant article among the first 5 retrieved"),
    Metric("mrr_at_10", "mean reciprocal rank of the first relevant article in the first 10 retrieved"),
    Metric("cited_article_accuracy", "answerable questions whose answer cites a relevant article"),
    Metric("fact_recall", "share of expected facts present in the answer (mean over answerable questions)"),
    Metric("citation_validity", "citations whose quote occurs verbatim in the cited article"),
    Metric("citation_precision", "cited articles that are relevant (answerable questions)"),
    Metric("refusal_accuracy", "unanswerable questions that are refused"),
    Metric("false_refusal_rate", "answerable questions that are refused", higher_is_better=False),
    Metric("language_accuracy", "questions with a lang whose answer is framed in that language"),
    Metric("latency_p50_ms", "median time to answer", higher_is_better=False, unit="ms"),
    Metric("latency_p95_ms", "95th percentile time to answer", higher_is_better=False, unit="ms"),
    Metric("judge_faithfulness", "LLM-judged: the answer says only what its quotes support (0-1)"),
    Metric("judge_correctness", "LLM-judged: the answer agrees with the reference (0-1)"),
)}

_PUNCT = str.maketrans({
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'",
    "\u00ab": '"', "\u00bb": '"', "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-",
})


def fold(text: str) -> str:
    """Case-, accent-, quote-style- and spacing-insensitive form: "Choïgou" and "CHOIGOU" fold alike,
    as do l’Iran and l'Iran (the seeds mix both apostrophes)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(_PUNCT).casefold()
    return re.sub(r"\s+", " ", text).strip()


def contains(haystack: str, needle: str) -> bool:
    """``needle`` occurs in ``haystack`` once both are folded, as whole words ("six" is not in "sixième")."""
    needle = fold(needle)
    if not needle:
        return False
    return re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", fold(haystack)) is not None


def fact_present(alternatives: Sequence[str], text: str) -> bool:
    return any(contains(text, alt) for alt in alternatives)


def citation_is_valid(article_id: str, quote: str, texts: Mapping[str, str]) -> bool:
    """Verbatim, not folded: the quote must be a passage of the cited article, character for character.
    A citation of an article that is not in the store is invalid."""
    text = texts.get(article_id)
    return bool(quote) and text is not None and quote in text


@dataclass
class QuestionScores:
    refused: bool
    #: the answer is framed in the question's language (None when the question gives no lang)
    language_ok: bool | None = None
    #: None where the measure does not apply (e.g. retrieval scores of an unanswerable question)
    hit_at_1: float | None = None
    hit_at_5: float | None = None
    rr_at_10: float | None = None
    cited_relevant: float | None = None
    fact_recall: float | None = None
    facts_found: list[bool] = field(default_factory=list)
    citations: int = 0
    citations_valid: int = 0
    invalid_citations: list[int] = field(default_factory=list)
    cited_articles: int = 0
    cited_articles_relevant: int = 0
    passed: bool = False
    #: why it did not pass, for people
    failures: list[str] = field(default_factory=list)
    #: filled by the LLM judge when it runs
    judge: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _fact_label(alternatives: Sequence[str]) -> str:
    return " | ".join(alternatives)


def score_question(question: Question, answer: Answer, texts: Mapping[str, str]) -> QuestionScores:
    """The scores of one answer. ``texts`` maps article ids to their text (at least the cited ones)."""
    s = QuestionScores(refused=answer.refused)
    if question.lang:
        s.language_ok = answer.language == question.lang
    relevant = set(question.relevant_articles)

    for c in answer.citations:
        s.citations += 1
        if citation_is_valid(c.article_id, c.quote, texts):
            s.citations_valid += 1
        else:
            s.invalid_citations.append(c.n)
    cited = list(dict.fromkeys(c.article_id for c in answer.citations))
    s.cited_articles = len(cited)
    s.cited_articles_relevant = sum(1 for a in cited if a in relevant)

    if not question.answerable:
        s.passed = answer.refused
        if not s.passed:
            s.failures.append("answered a question the articles do not answer")
        return s

    if relevant:
        ranked = list(answer.retrieved)
        s.hit_at_1 = float(bool(ranked[:1]) and ranked[0] in relevant)
        s.hit_at_5 = float(any(a in relevant for a in ranked[:5]))
        s.rr_at_10 = next((1.0 / r for r, a in enumerate(ranked[:10], start=1) if a in relevant), 0.0)
        s.cited_relevant = float(s.cited_articles_relevant > 0)
    if question.expected_facts:
        s.facts_found = [fact_present(f, answer.text) for f in question.expected_facts]
        s.fact_recall = sum(s.facts_found) / len(s.facts_found)

    if answer.refused:
        s.failures.append("refused an answerable question")
    if relevant and not s.cited_relevant and not answer.refused:
        s.failures.append("cites no relevant article (cited: " + (", ".join(cited) or "nothing") + ")")
    missing = [_fact_label(f) for f, ok in zip(question.expected_facts, s.facts_found) if not ok]
    if missing:
        s.failures.append("missing facts: " + "; ".join(missing))
    if s.invalid_citations:
        s.failures.append("citations not verbatim in their article: "
                          + ", ".join(f"[{n}]" for n in s.invalid_citations))
    s.passed = not s.failures
    return s


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def percentile(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None


def aggregate(
    questions: Sequence[Question], scores: Sequence[QuestionScores | None], latencies_ms: Sequence[float]
) -> dict:
    """The run's metrics. A ``None`` score is a question whose answer raised an error: it fails, and
    counts in nothing else. Metrics with no question to measure them are ``None``."""
    pairs = [(q, s) for q, s in zip(questions, scores) if s is not None]
    answerable = [s for q, s in pairs if q.answerable]
    unanswerable = [s for q, s in pairs if not q.answerable]
    with_relevant = [s for q, s in pairs if q.answerable and q.relevant_articles]
    judged = [s.judge for _, s in pairs if s.judge]
    metrics = {
        "pass_rate": _ratio(sum(s.passed for _, s in pairs), len(questions)),
        "hit_at_1": _mean(s.hit_at_1 for s in with_relevant),
        "hit_at_5": _mean(s.hit_at_5 for s in with_relevant),
        "mrr_at_10": _mean(s.rr_at_10 for s in with_relevant),
        "cited_article_accuracy": _mean(s.cited_relevant for s in with_relevant),
        "fact_recall": _mean(s.fact_recall for s in answerable),
        "citation_validity": _ratio(sum(s.citations_valid for _, s in pairs), sum(s.citations for _, s in pairs)),
        "citation_precision": _ratio(sum(s.cited_articles_relevant for s in with_relevant),
                                     sum(s.cited_articles for s in with_relevant)),
        "refusal_accuracy": _mean(float(s.refused) for s in unanswerable),
        "false_refusal_rate": _mean(float(s.refused) for s in answerable),
        "language_accuracy": _mean(None if s.language_ok is None else float(s.language_ok) for _, s in pairs),
        "latency_p50_ms": percentile(latencies_ms, 50),
        "latency_p95_ms": percentile(latencies_ms, 95),
        "judge_faithfulness": _mean(j.get("faithfulness") for j in judged),
        "judge_correctness": _mean(j.get("correctness") for j in judged),
    }
    assert list(metrics) == list(METRICS)
    return metrics


def counts(questions: Sequence[Question], scores: Sequence[QuestionScores | None]) -> dict:
    return {
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "unanswerable": sum(not q.answerable for q in questions),
        "passed": sum(bool(s and s.passed) for s in scores),
        "errors": sum(s is None for s in scores),
        "citations": sum(s.citations for s in scores if s),
    }


def breakdown(questions: Sequence[Question], scores: Sequence[QuestionScores | None], key) -> dict[str, dict]:
    """Pass rate and fact recall per group, ``key(question)`` naming the group."""
    groups: dict[str, list[tuple[Question, QuestionScores | None]]] = {}
    for q, s in zip(questions, scores):
        groups.setdefault(key(q), []).append((q, s))
    return {
        label: {
            "questions": len(items),
            "pass_rate": sum(bool(s and s.passed) for _, s in items) / len(items),
            "fact_recall": _mean(s.fact_recall for _, s in items if s),
        }
        for label, items in sorted(groups.items())
    }


def by_category(questions: Sequence[Question], scores: Sequence[QuestionScores | None]) -> dict[str, dict]:
    """Per category (what the report plots)."""
    return breakdown(questions, scores, lambda q: q.label)


def by_language(questions: Sequence[Question], scores: Sequence[QuestionScores | None]) -> dict[str, dict]:
    """Per question language: English questions are asked of French articles."""
    return breakdown(questions, scores, lambda q: q.lang or "unspecified")


def metric_value_label(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if METRICS[name].unit == "ms":
        return f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"
    return f"{value:.3f}"
