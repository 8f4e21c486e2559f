"""`kiosque ask` and `kiosque chat`: Kiosque in a terminal, with the same answerer as the bot."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.answer.records import AnswerRecord, TimelineRecord
from bot.answer.render import render_text
from bot.answer.types import Turn
from bot.cli.common import (AsOfOption, EnvFileOption, FromOption, JsonOption, OutletOption, StoreOption, ToOption,
                            app_for, err, filters_from, out, print_json)
from bot.messages import say
from bot.settings import AnswerMode

ModeOption = Annotated[Optional[AnswerMode], typer.Option(
    "--mode", help="extractive (no LLM) or generative (the LLM configured in .env).", show_default=False)]


def ask(
    question: Annotated[str, typer.Argument(help="A question in French or English.")],
    date_from: FromOption = None, date_to: ToOption = None, as_of: AsOfOption = None, outlet: OutletOption = None,
    quotes: Annotated[bool, typer.Option("--quotes", help="Show the verbatim passage under each source.")] = False,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Show the sentences weighed and the evidence that decided (extractive mode).")] = False,
    mode: ModeOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
    env_file: EnvFileOption = Path(".env"),
) -> None:
    """Answer one question from the articles, with numbered, dated, verbatim sources."""
    with app_for(store, env_file, answer__mode=mode) as app:
        filters = filters_from(question, date_from, date_to, as_of, outlet)
        answer = app.answerer.answer(question, filters=filters, explain=explain)
    if as_json:
        print_json(AnswerRecord.of(answer).to_dict())
        return
    out.print(render_text(answer, quotes=quotes), markup=False)
    if explain:
        _print_evidence(answer)


def _print_evidence(answer) -> None:
    """One line per sentence weighed: its probability of answering and the features that decided."""
    if answer.answerable is not None:
        out.print(f"\nAnswerable: {answer.answerable:.2f} (the reader refuses below its fitted threshold)", markup=False)
        if answer.refusal_reason:
            out.print(f"Refused: {answer.refusal_reason}", markup=False)
    out.print("Sentences weighed, best first (* = quoted):", markup=False)
    for e in answer.evidence:
        f = e.features
        out.print(
            f"{'*' if e.chosen else ' '} {e.probability:.2f}  cover {f.get('coverage_soft', 0):.2f}  "
            f"context {f.get('context_coverage', 0):.2f}  names {f.get('names_here', 0):.1f}/{f.get('names_article', 0):.1f}  "
            f"kind {'yes' if f.get('kind_present') else 'no'}  dense {f.get('dense', 0):.3f}"
            f"{' x-lingual' if e.cross_lingual else ''}  [{e.article_id}] {e.text[:110]}", markup=False, soft_wrap=True)


def chat(
    date_from: FromOption = None, date_to: ToOption = None, as_of: AsOfOption = None, outlet: OutletOption = None,
    mode: ModeOption = None,
    store: StoreOption = None,
    env_file: EnvFileOption = Path(".env"),
) -> None:
    """A conversation in the terminal: follow-up questions ("et en 2024 ?", "who else?") use what
    was asked before. Commands: /sources (quotes of the last answer), /reset, /quit."""
    with app_for(store, env_file, answer__mode=mode) as app:
        filters = filters_from(None, date_from, date_to, as_of, outlet)
        app.store.hold_serving_lock()
        interactive = sys.stdin.isatty()
        if interactive:
            err.print("Kiosque — posez une question / ask a question. /sources, /reset, /quit.")
        history: list[Turn] = []
        last = None
        while True:
            try:
                line = input("» " if interactive else "")
            except EOFError:
                break
            line = line.strip()
            if not line:
                continue
            if line in {"/quit", "/exit", "/q"}:
                break
            if line == "/reset":
                history, last = [], None
                out.print("(nouvelle conversation / new conversation)")
                continue
            if line == "/sources":
                out.print(render_text(last, quotes=True) if last else "(no answer yet)", markup=False)
                continue
            answer = app.answerer.answer(line, history=history[-4:], filters=filters)
            out.print(render_text(answer), markup=False)
            out.print("")
            history.append(Turn(line, answer.text, answer.resolved_question,
                                tuple(c.article_id for c in answer.citations)))
            last = answer


def timeline(
    topic: Annotated[str, typer.Argument(help="What the timeline is about, e.g. \"Russie Iran\".")],
    k: Annotated[int, typer.Option("-k", help="At most this many articles.")] = 12,
    date_from: FromOption = None, date_to: ToOption = None, as_of: AsOfOption = None, outlet: OutletOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
    env_file: EnvFileOption = Path(".env"),
) -> None:
    """The articles on a topic in date order, each with a quoted one-sentence gist."""
    from bot.answer.timeline import build_timeline

    with app_for(store, env_file) as app:
        result = build_timeline(app.answerer, topic, k=k, filters=filters_from(topic, date_from, date_to, as_of, outlet))
    if as_json:
        print_json(TimelineRecord.of(result).to_dict())
        return
    out.print(result.text, markup=False)
    if result.entries:
        out.print("")
        out.print(f"{say(result.language, 'answer.sources')}:")
        for c in result.entries:
            out.print(c.source_line(result.language) + (f" <{c.url}>" if c.url else ""), markup=False)
