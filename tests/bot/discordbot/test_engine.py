"""The one surface the bot reaches Kiosque through returns typed results, not dicts read by key."""

from __future__ import annotations

from bot.discordbot.engine import KiosqueEngine
from index.catalog import IngestCounts
from index.ingest import IngestReport
from index.store import StoreStatus
from tests.bot.discordbot.conftest import make_kiosque


def test_reindex_and_status_are_typed(tmp_path, embedder, cache_dir):
    kiosque = make_kiosque(tmp_path, embedder, cache_dir)
    try:
        engine = KiosqueEngine(kiosque)
        (tmp_path / "corpus" / "new.txt").write_text("Un titre\nUn article tout neuf sur la pêche en Bretagne.",
                                                     encoding="utf-8")
        report = engine.reindex()
        assert isinstance(report, IngestReport) and (report.articles_added, report.articles_unchanged) == (1, 5)
        status = engine.status()
        assert isinstance(status, StoreStatus) and status.articles == 6
        journal = status.last_ingest.report
        assert (journal.articles_added, journal.articles_unchanged, journal.chunks_embedded) == (
            1, 5, report.chunks_embedded)
        assert status.to_dict()["last_ingest"]["report"]["articles_added"] == 1  # what `status --json` prints
    finally:
        kiosque.close()


def test_a_journal_row_of_another_version_reads_back_typed():
    """Rows written before a count existed read 0 for it; counts this version does not know are ignored."""
    assert IngestCounts.from_json({"articles_added": 2, "problems": 1, "later_count": 9}) == IngestCounts(
        articles_added=2, problems=1)
