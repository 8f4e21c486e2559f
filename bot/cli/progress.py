"""A rich progress bar for long ingests; silent when stderr is not a terminal (logs, CI, cron)."""

from __future__ import annotations

import sys
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.cli.common import err

_LABELS = {"read": "Reading articles", "embed": "Embedding chunks", "index": "Building keyword index",
           "feeds": "Reading feeds", "pages": "Fetching articles"}


@contextmanager
def ingest_progress():
    """Yields a ``progress(stage, done, total)`` callback."""
    if not sys.stderr.isatty():
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=True,
    )
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(_LABELS.get(stage, stage), total=total or None)
        bar.update(tasks[stage], completed=done, total=total or None)

    with bar:
        yield update
