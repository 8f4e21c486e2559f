"""Run every question through an answer function (the one the bot uses), timing each, then score.

The answer function is anything ``(question, filters) -> Answer``: the evaluation never reaches into the
answerer, so it measures exactly what users get. An answer that raises is recorded with its error
and fails; the other questions still run.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.answer.records import AnswerRecord
from bot.answer.types import Answer
from bot.evaluation.metrics import QuestionScores, aggregate, by_category, by_language, counts, score_question
from bot.evaluation.questions import Question
from bot.evaluation.records import QuestionFields, ResultRecord
from index.retrieval import Filters

log = logging.getLogger("kiosque.eval")

#: (question, its filters or None) -> the answer
AnswerFn = Callable[[str, Filters | None], Answer]
#: article ids -> their texts (the store catalog in production)
TextsFn = Callable[[Iterable[str]], Mapping[str, str]]


@dataclass
class Outcome:
    question: Question
    answer: Answer | None
    latency_ms: float
    error: str | None = None


@dataclass
class Scored:
    outcomes: list[Outcome]
    scores: list[QuestionScores | None]
    metrics: dict
    counts: dict
    by_category: dict
    by_language: dict

    @property
    def questions(self) -> list[Question]:
        return [o.question for o in self.outcomes]


def _progress_bar(console: Console | None, enabled: bool | None):
    console = console or Console(stderr=True)
    if enabled is None:
        enabled = sys.stderr.isatty() and console.is_terminal
    if not enabled:
        return None
    return Progress(TextColumn("Evaluating"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[qid]}"),
                    TimeRemainingColumn(), console=console, transient=True)


def run_questions(
    questions: Sequence[Question], answer_fn: AnswerFn, *, progress: bool | None = None,
    console: Console | None = None,
) -> list[Outcome]:
    """Ask every question in order; a progress bar on a terminal, nothing otherwise (CI logs)."""
    bar = _progress_bar(console, progress)
    outcomes: list[Outcome] = []
    with bar if bar is not None else nullcontext():
        task = bar.add_task("eval", total=len(questions), qid="") if bar is not None else None
        for q in questions:
            if bar is not None:
                bar.update(task, qid=q.id)
            t0 = time.perf_counter()
            try:
                answer, error = answer_fn(q.question, q.filters.filters() if q.filters else None), None
            except Exception as exc:  # one broken answer must not lose the other questions' results
                log.exception("question %s raised", q.id)
                answer, error = None, f"{type(exc).__name__}: {exc}"
            outcomes.append(Outcome(q, answer, (time.perf_counter() - t0) * 1e3, error))
            if bar is not None:
                bar.advance(task)
    return outcomes


def score_outcomes(outcomes: Sequence[Outcome], texts_fn: TextsFn) -> Scored:
    """Per-question scores and the run's metrics. ``texts_fn`` gives the cited articles' texts."""
    cited = {c.article_id for o in outcomes if o.answer for c in o.answer.citations}
    texts = texts_fn(sorted(cited)) if cited else {}
    scores = [score_question(o.question, o.answer, texts) if o.answer is not None else None for o in outcomes]
    questions = [o.question for o in outcomes]
    return Scored(list(outcomes), scores, aggregate(questions, scores, [o.latency_ms for o in outcomes]),
                  counts(questions, scores), by_category(questions, scores), by_language(questions, scores))


def record(outcome: Outcome, scores: QuestionScores | None) -> ResultRecord:
    """One line of results.jsonl: the question, what was answered, and how it scored."""
    q, a = outcome.question, outcome.answer
    measures = None
    if scores is not None:
        measures = scores.to_dict()
        for key in ("passed", "failures"):
            measures.pop(key)
    return ResultRecord(
        **{name: getattr(q, name) for name in QuestionFields.model_fields},
        answer=AnswerRecord.of(a) if a else None, latency_ms=round(outcome.latency_ms, 1), error=outcome.error,
        passed=bool(scores and scores.passed), failures=scores.failures if scores else [f"error: {outcome.error}"],
        scores=measures,
    )
