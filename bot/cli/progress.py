"""An ingest's progress: a rich bar on a terminal; where stderr is a log (cron, CI, `> ingest.log`), a log
line every half minute for a stage that lasts longer, and at its end, so that an hour-long ingest still
says how far it is while a quick one says nothing."""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from typing import Callable

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.cli.common import err

log = logging.getLogger("kiosque")

_LABELS = {"read": "Reading articles", "embed": "Embedding chunks", "index": "Building keyword index",
           "feeds": "Reading feeds", "pages": "Fetching articles"}

#: seconds between two log lines of one stage; a stage that ends sooner logs nothing
LOG_EVERY_S = 30.0


@contextmanager
def ingest_progress():
    """Yields a ``progress(stage, done, total)`` callback."""
    if not sys.stderr.isatty():
        yield LoggedProgress(log.info)
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


class LoggedProgress:
    """``progress(stage, done, total)`` as log lines: a stage's first call starts its clock; a line when
    ``every_s`` have passed since its last one, with the rate and, while a total is known, the time left
    at that rate; and one when it reaches its total (done ≥ total > 0; a streaming ingest's total grows,
    so a stage may reach it more than once) if it took ``every_s`` or more."""

    def __init__(self, write: Callable[[str], None], every_s: float = LOG_EVERY_S,
                 clock: Callable[[], float] = time.monotonic):
        self.write, self.every_s, self.clock = write, every_s, clock
        self._started: dict[str, float] = {}
        self._logged: dict[str, float] = {}
        self._reached: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        started = self._started.setdefault(stage, now)
        label, elapsed = _LABELS.get(stage, stage), now - started
        if 0 < total <= done:
            # a stage quicker than the interval says nothing: `kiosque update` from cron stays quiet
            if self._reached.get(stage) != total and elapsed >= self.every_s:
                self._logged[stage] = now
                count = "" if total == 1 else f" {done:,} of {total:,}"
                self.write(f"{label}:{count} done in {_duration(elapsed)}")
            self._reached[stage] = total
            return
        if now - self._logged.get(stage, started) < self.every_s:
            return
        self._logged[stage] = now
        rate = done / elapsed if elapsed > 0 else 0.0
        if not total:
            self.write(f"{label}: {done:,} so far, {rate:,.1f}/s")
            return
        left = f", about {_duration((total - done) / rate)} left" if rate > 0 else ""
        self.write(f"{label}: {done:,} of {total:,} ({done / total:.0%}), {rate:,.1f}/s{left}")


def _duration(seconds: float) -> str:
    """``42 s``, ``7 min 05 s``, ``1 h 09 min``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(round((minutes * 60 + seconds) / 60), 60)
    return f"{hours} h {minutes:02d} min"
