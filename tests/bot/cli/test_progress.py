"""An ingest's progress where stderr is a log: a line per stage now and then, and at its end."""

from __future__ import annotations

import io
import logging
import sys

from bot.cli.progress import LoggedProgress, ingest_progress


class Clock:
    """Seconds that pass only when the test says so."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def logged_progress() -> tuple[list[str], Clock, LoggedProgress]:
    """The lines written, the clock, and the progress callback, a line at most every 30 s."""
    lines, clock = [], Clock()
    return lines, clock, LoggedProgress(lines.append, every_s=30, clock=clock)


def test_a_line_every_interval_and_one_at_the_end_with_rate_and_time_left():
    lines, clock, progress = logged_progress()
    progress("embed", 0, 108_890)
    for done in range(256, 5_000, 256):  # 20 s of batches: nothing to say yet
        clock.now += 1
        progress("embed", done, 108_890)
    assert lines == []
    clock.now = 1030.0
    progress("embed", 750, 108_890)
    clock.now = 1045.0
    progress("embed", 1_000, 108_890)  # 15 s after the last line: quiet
    clock.now = 1060.0
    progress("embed", 1_500, 108_890)
    clock.now = 1000.0 + 4_000
    progress("embed", 108_890, 108_890)
    progress("embed", 108_890, 108_890)  # the end is said once
    assert lines == [
        "Embedding chunks: 750 of 108,890 (1%), 25.0/s, about 1 h 12 min left",
        "Embedding chunks: 1,500 of 108,890 (1%), 25.0/s, about 1 h 12 min left",
        "Embedding chunks: 108,890 of 108,890 done in 1 h 07 min",
    ]


def lines_of(*steps: tuple[float, str, int, int]) -> list[str]:
    """The lines logged for calls made ``seconds`` after the one before: (seconds, stage, done, total)."""
    lines, clock, progress = logged_progress()
    for seconds, stage, done, total in steps:
        clock.now += seconds
        progress(stage, done, total)
    return lines


def test_stages_without_a_total_or_with_one_step():
    assert lines_of((0, "read", 500, 0), (40, "read", 20_500, 0), (2, "read", 21_000, 21_000),
                    (0, "index", 0, 1), (75, "index", 1, 1)) == [
        "Reading articles: 20,500 so far, 512.5/s", "Reading articles: 21,000 of 21,000 done in 42 s",
        "Building keyword index: done in 1 min 15 s"]


def test_a_streaming_total_that_grows_is_reached_again():
    assert lines_of((0, "embed", 0, 256), (40, "embed", 256, 256), (5, "embed", 256, 512), (5, "embed", 512, 512)) == [
        "Embedding chunks: 256 of 256 done in 40 s", "Embedding chunks: 512 of 512 done in 50 s"]


def test_quick_stages_say_nothing():
    """`kiosque update` from cron every few minutes: its stages take seconds; only failures should show."""
    stages = (("feeds", 2), ("pages", 3), ("read", 3), ("embed", 35), ("index", 1))
    assert lines_of(*[step for stage, total in stages for step in ((0, stage, 0, total), (2, stage, total, total))]) == []


def test_without_a_terminal_the_progress_goes_to_the_log(caplog, monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # as under cron, or `2> ingest.log`
    with ingest_progress() as progress:
        assert isinstance(progress, LoggedProgress)
        with caplog.at_level(logging.INFO, logger="kiosque"):
            progress.write("Embedding chunks: 1 of 2 (50%), 1.0/s, about 1 s left")
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("kiosque", "Embedding chunks: 1 of 2 (50%), 1.0/s, about 1 s left")]
