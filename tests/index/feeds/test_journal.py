"""The feed journal's records read back typed, whichever Kiosque wrote them."""

from __future__ import annotations

from index.feeds.journal import FeedJournal, PollCounts


def test_the_last_poll_reads_back_typed_and_tolerates_other_versions(tmp_path):
    journal = FeedJournal(tmp_path / "feeds.sqlite")
    try:
        assert journal.last_run() is None
        journal.finish_run(journal.start_run("cli"), PollCounts(feeds=3, new=2, failed=1, seconds=1.5))
        last = journal.last_run()
        assert (last.trigger, last.report) == ("cli", PollCounts(feeds=3, new=2, failed=1, seconds=1.5))
        assert last.finished_at >= last.started_at
        # a row written by another version: a count it lacked reads 0, one this version does not know is ignored
        journal.db.execute("UPDATE runs SET report = ? WHERE id = ?", ('{"new": 4, "later_count": 9}', last.id))
        assert journal.last_run().report == PollCounts(new=4)
    finally:
        journal.close()
