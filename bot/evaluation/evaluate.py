"""One evaluation run, end to end: ask, score, judge (optional), compare (optional), gate, write.

`evaluate` takes the answer function and a texts lookup rather than the application, so tests can
run it on hand-made answers; `context_of` reads what a run must record from a `Kiosque`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from bot.evaluation import baseline as baseline_mod
from bot.evaluation import gate
from bot.evaluation.metrics import aggregate
from bot.evaluation.questions import Question
from bot.evaluation.records import FORMAT_VERSION, ResultRecord
from bot.evaluation.report import write_reports
from bot.evaluation.runner import AnswerFn, TextsFn, record, run_questions, score_outcomes

if TYPE_CHECKING:
    from bot.evaluation.judge import Judge

log = logging.getLogger("kiosque.eval")
WARMUP_QUESTION = "Qui a rencontré qui ?"
#: the checkout this code runs from, when it runs from one (not from an installed wheel)
SOURCE_ROOT = Path(__file__).resolve().parents[2]


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=SOURCE_ROOT, capture_output=True, text=True, timeout=10).stdout.strip()


def code_version() -> dict:
    """The commit (and whether the tree had changes) and the package version, where they are known.

    An installed wheel is not a checkout: git is asked only when this file is tracked by the
    repository around it (a venv inside some checkout must not report that checkout's commit)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("kiosque")
    except PackageNotFoundError:
        package = None
    git = dirty = None
    try:
        if _git("ls-files", "--error-unmatch", str(Path(__file__).resolve())):
            git = _git("rev-parse", "--short", "HEAD") or None
            dirty = bool(_git("status", "--porcelain", "--untracked-files=no")) if git else None
    except (OSError, subprocess.SubprocessError):
        pass
    return {"git": git, "dirty": dirty, "package": package}


def context_of(app) -> dict:
    """The settings that shape answers, and the corpus size, from a `Kiosque`."""
    s = app.settings
    status = app.store.status()
    settings = {
        "answer_mode": s.answer.mode,
        "embed_model": status.embed_model or s.embed.model,
        "embed_precision": app.embedder_plan()["precision"],
        "chunk_target_chars": s.chunk.target_chars,
        "chunk_max_chars": s.chunk.max_chars,
        "top_k": s.retrieval.top_k,
        "candidates": s.retrieval.candidates,
        "fusion": s.retrieval.fusion,
        "dense_weight": s.retrieval.dense_weight,
        "rrf_k": s.retrieval.rrf_k,
        "nlp_model": s.answer.nlp_model,
        "reader_weights": _reader_weights_digest(),
        "reading_model": s.answer.reading_model,
    }
    if s.answer.mode == "generative":
        settings.update(llm_provider=s.llm.provider, llm_model=s.llm.model)
    corpus = {"store": status.store, "articles": status.articles, "chunks": status.chunks}
    return {"settings": settings, "corpus": corpus}


def _reader_weights_digest() -> str:
    """Which fitted reader answered (the weights file's digest)."""
    from importlib import resources

    data = resources.files("bot.answer.reader").joinpath("weights.json").read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


def _file_digest(path: Path | None) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16] if path else None
    except OSError:
        return None


def evaluate(
    questions: list[Question],
    answer_fn: AnswerFn,
    texts_fn: TextsFn,
    *,
    questions_file: Path | str | None = None,
    context: dict | None = None,
    judge: Judge | None = None,
    baseline: tuple[Path, dict, list[dict]] | None = None,
    fail_under: dict[str, float] | None = None,
    fail_over: dict[str, float] | None = None,
    progress: bool | None = None,
    console: Console | None = None,
    warmup: bool = True,
) -> tuple[dict, list[ResultRecord]]:
    """(summary, results) of one run; nothing is written (see `write_run`).

    With ``warmup``, one untimed question first loads what loads lazily (the embedding model: seconds),
    so latencies measure answering, not start-up."""
    if warmup and questions:
        try:
            answer_fn(WARMUP_QUESTION, None)
        except Exception:  # the questions themselves will record the error
            log.warning("the warm-up question raised", exc_info=True)
    outcomes = run_questions(questions, answer_fn, progress=progress, console=console)
    scored = score_outcomes(outcomes, texts_fn)
    results = [record(o, s) for o, s in zip(scored.outcomes, scored.scores)]
    metrics = scored.metrics

    judge_info = None
    if judge is not None:
        judged = errors = 0
        for o, s, r in zip(scored.outcomes, scored.scores, results):
            if s is None or o.answer is None or o.answer.refused:
                continue  # refusals are measured exactly by refusal_accuracy / false_refusal_rate
            verdict = judge.judge(o.question, r)
            r.judge = verdict
            if "error" in verdict:
                errors += 1
            else:
                s.judge = verdict
                judged += 1
        metrics = aggregate(scored.questions, scored.scores, [o.latency_ms for o in outcomes])
        judge_info = {"model": judge.model, "judged": judged, "errors": errors, "label": "LLM-judged"}

    context = context or {}
    summary = {
        "format": FORMAT_VERSION,
        "questions_file": str(questions_file) if questions_file else None,
        "questions_sha256": _file_digest(Path(questions_file)) if questions_file else None,
        "date": dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds"),
        "code_version": code_version(),
        "settings": context.get("settings", {}),
        "corpus": context.get("corpus", {}),
        "counts": scored.counts,
        "metrics": metrics,
        "by_category": scored.by_category,
        "by_language": scored.by_language,
        "judge": judge_info,
        "baseline": None,
        "thresholds": None,
    }
    if baseline is not None:
        base_dir, base_summary, base_results = baseline
        summary["baseline"] = {"dir": str(base_dir),
                               **baseline_mod.compare(metrics, results, base_summary, base_results)}
    if fail_under or fail_over:
        summary["thresholds"] = {"fail_under": fail_under or {}, "fail_over": fail_over or {},
                                 "failed": gate.check(metrics, fail_under or {}, fail_over or {})}
    return summary, results


def write_run(out: Path | str, summary: dict, results: list[ResultRecord]) -> list[Path]:
    """results.jsonl, summary.json, report.md, report.html and the plots into ``out``.

    Everything is written to a scratch folder first and moved in at the end, summary.json last: an
    interrupted write leaves the previous run's files, never a half-written report."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".eval-", dir=out))
    try:
        rows = [r.to_dict() for r in results]
        with open(scratch / "results.jsonl", "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        names = ["results.jsonl", *write_reports(summary, rows, scratch), "summary.json"]
        (scratch / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n",
                                              encoding="utf-8")
        for name in names:
            os.replace(scratch / name, out / name)
        return [out / n for n in names]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
