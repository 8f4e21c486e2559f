"""`kiosque eval`: run a fixed question set through the answerer the bot uses, score it, write a
report, compare with a baseline, and gate CI on thresholds.

Exit codes: 0 = done (and every threshold met); 1 = a threshold was missed or a question raised an
error (the run's files are written); 2 = unusable input (question file, thresholds, baseline, empty
store, unreachable judge): nothing was run and nothing written.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import BAD_INPUT, EnvFileOption, JsonOption, StoreOption, app_for, err, out, print_json
from bot.errors import KiosqueError
from bot.evaluation.baseline import load_run
from bot.evaluation.evaluate import context_of, evaluate, write_run
from bot.evaluation.gate import ThresholdError, parse_thresholds
from bot.evaluation.judge import Judge
from bot.evaluation.metrics import METRICS, metric_value_label
from bot.evaluation.questions import check_articles, load_questions
from bot.evaluation.records import ResultRecord


def _bad_input(exc: Exception) -> typer.Exit:
    err.print("[red]error:[/red] " + escape(str(exc)), soft_wrap=True)
    return typer.Exit(BAD_INPUT)


def _check_writable(out_dir: Path) -> None:
    """Found out before the run, not after minutes of answering."""
    if out_dir.exists() and not out_dir.is_dir():
        raise KiosqueError(f"--out {out_dir}: exists and is not a directory")
    parent = next((p for p in [out_dir, *out_dir.parents] if p.exists()), Path("."))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise KiosqueError(f"--out {out_dir}: {parent} is not writable")


def eval_(
    questions: Annotated[Path, typer.Argument(help="The question set (JSONL), e.g. evals/seeds.jsonl.",
                                              show_default=False)],
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out", help="Where to write results.jsonl, summary.json, report.md and report.html "
                      "(default: runs/eval-DATE-TIME).", show_default=False)] = None,
    baseline: Annotated[Optional[Path], typer.Option(
        "--baseline", help="An earlier run's --out directory: show metric deltas and questions that changed.",
        show_default=False)] = None,
    fail_under: Annotated[Optional[list[str]], typer.Option(
        "--fail-under", metavar="METRIC=VALUE",
        help="Exit 1 when METRIC falls below VALUE (repeatable), e.g. fact_recall=0.8.")] = None,
    fail_over: Annotated[Optional[list[str]], typer.Option(
        "--fail-over", metavar="METRIC=VALUE",
        help="Exit 1 when a lower-is-better METRIC rises above VALUE, e.g. false_refusal_rate=0.2.")] = None,
    judge: Annotated[bool, typer.Option(
        "--judge", help="Also have the configured LLM (KIOSQUE_LLM_*) grade faithfulness and correctness; "
                        "reported apart, as LLM-judged.")] = False,
    as_json: JsonOption = False,
    store: StoreOption = None,
    env_file: EnvFileOption = Path(".env"),
) -> None:
    """Evaluate answers against a fixed question set; write a report; gate on thresholds."""
    try:
        under = parse_thresholds(fail_under, under=True)
        over = parse_thresholds(fail_over, under=False)
        judged = [n for n in [*under, *over] if n.startswith("judge_")]
        if judged and not judge:
            raise ThresholdError(f"{', '.join(judged)} needs --judge")
        question_set = load_questions(questions)
        base = (baseline, *load_run(baseline)) if baseline else None
        out_dir = out_dir or Path("runs") / dt.datetime.now().strftime("eval-%Y%m%d-%H%M%S")
        _check_writable(out_dir)
    except KiosqueError as exc:
        raise _bad_input(exc) from None

    with app_for(store, env_file) as app:
        try:
            catalog = app.store.catalog
            if not catalog.counts()["articles"]:
                raise KiosqueError(f"the index at {app.settings.store.dir} is empty: run `kiosque ingest` first")
            check_articles(question_set, {a for a, _, _ in catalog.article_meta()}, questions)
            the_judge = None
            if judge:
                the_judge = Judge.configured(app.settings)
                the_judge.probe()
        except KiosqueError as exc:
            raise _bad_input(exc) from None
        summary, results = evaluate(
            question_set,
            lambda q, filters: app.answerer.answer(q, filters=filters),
            lambda ids: {aid: a.text for aid, a in catalog.get_articles(ids).items()},
            questions_file=questions, context=context_of(app), judge=the_judge, baseline=base,
            fail_under=under, fail_over=over, console=err,
        )
        written = write_run(out_dir, summary, results)

    failed_gate = (summary.get("thresholds") or {}).get("failed") or []
    if as_json:
        print_json({**summary, "out": str(out_dir)})
    else:
        _print_summary(summary, results, out_dir, written)
    for f in failed_gate:
        err.print(f"[red]threshold missed:[/red] {escape(f)}", soft_wrap=True)
    errors = summary["counts"]["errors"]
    if errors:
        err.print(f"[red]{errors} question(s) raised an error[/red]: see {escape(str(out_dir / 'report.md'))}",
                  soft_wrap=True)
    if failed_gate or errors:
        raise typer.Exit(1)


def _print_summary(summary: dict, results: list[ResultRecord], out_dir: Path, written: list[Path]) -> None:
    c = summary["counts"]
    table = Table(title=f"{c['passed']} of {c['questions']} questions pass", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    deltas = (summary.get("baseline") or {}).get("deltas", {})
    if deltas:
        table.add_column("Δ baseline", justify="right")
    for name, value in summary["metrics"].items():
        if value is None and name.startswith("judge_"):
            continue
        row = [name + (" (LLM-judged)" if name.startswith("judge_") else ""), metric_value_label(name, value)]
        if deltas:
            d = (deltas.get(name) or {}).get("delta")
            row.append("" if d is None else (f"{d:+,.0f}" if METRICS[name].unit == "ms" else f"{d:+.3f}"))
        table.add_row(*row)
    out.print(table)
    failed = [r.id for r in results if not r.passed]
    if failed:
        out.print(f"Failed: {escape(', '.join(failed))}")
    base = summary.get("baseline")
    if base:
        out.print(f"Against {escape(base['dir'])}: {len(base['regressions'])} pass → fail"
                  + (f" ({escape(', '.join(base['regressions']))})" if base["regressions"] else "")
                  + f", {len(base['fixes'])} fail → pass"
                  + (f" ({escape(', '.join(base['fixes']))})" if base["fixes"] else ""))
    out.print(f"Report: {escape(str(out_dir / 'report.html'))} (and report.md, results.jsonl, summary.json)")
